package io.genten.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path dir;

    @Test void embeddedFilesHaveThePublishedChecksums() throws IOException, NoSuchAlgorithmException {
        assertEquals("a8dabd9bf31366d401592d51a80076b1db6992c841dc8d7557d9a37ea974f280", sha256(Datasets.EMBEDDED_IMAGES));
        assertEquals("41a040b78627d546ad8b49c0a86aed71c27804c1a78a27f392db297d4894cd52", sha256(Datasets.EMBEDDED_LABELS));
        for (var extra : new String[] {"LICENSE", "NOTICE"}) {
            try (var in = DatasetsTest.class.getResourceAsStream(Datasets.EMBEDDED_ROOT + extra)) {
                assertTrue(in != null && new String(in.readAllBytes()).contains("Juan Cazala"), extra);
            }
        }
    }

    @Test void embeddedDigitsHaveThePublishedCountsAndUnitRange() throws IOException {
        var d = Datasets.embedded(Scaling.UNIT);
        assertEquals(10000, d.count());
        assertEquals(28, d.rows());
        assertEquals(28, d.cols());
        assertEquals(10000 * 784, d.images().length);
        assertArrayEquals(new int[] {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}, d.labelCounts());
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        double sum = 0;
        for (float v : d.images()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
        double mean = sum / d.images().length;
        assertTrue(mean > 0.08 && mean < 0.2, "MNIST mean intensity is about 0.13, got " + mean);
        // an MNIST digit sits in the middle of its frame: corners are background, the center is ink for most digits
        int centerInk = 0;
        for (int i = 0; i < d.count(); i++) {
            float[] img = d.image(i);
            assertEquals(0f, img[0], "corner of image " + i);
            if (img[14 * 28 + 14] > 0.5f) centerInk++;
        }
        assertTrue(centerInk > 2000, "center pixel inked in " + centerInk + " images");
    }

    @Test void symmetricScalingMapsTheSameBytesToMinusOneToOne() throws IOException {
        var unit = Datasets.embedded(Scaling.UNIT);
        var sym = Datasets.embedded(Scaling.SYMMETRIC);
        assertArrayEquals(unit.labels(), sym.labels());
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int i = 0; i < sym.images().length; i++) {
            float s = sym.images()[i];
            min = Math.min(min, s);
            max = Math.max(max, s);
            assertEquals(2.0 * unit.images()[i] - 1.0, s, 1e-6, "pixel " + i);
        }
        assertEquals(-1f, min);
        assertEquals(1f, max);
    }

    @Test void scalingTablesAreExactAtTheEnds() {
        assertEquals(0f, Scaling.UNIT.apply((byte) 0));
        assertEquals(1f, Scaling.UNIT.apply((byte) 255));
        assertEquals(-1f, Scaling.SYMMETRIC.apply((byte) 0));
        assertEquals(1f, Scaling.SYMMETRIC.apply((byte) 255));
        for (int p = 0; p < 256; p++) {
            assertEquals(p / 255.0, Scaling.UNIT.apply((byte) p), 1e-7);
            assertEquals(p / 127.5 - 1, Scaling.SYMMETRIC.apply((byte) p), 1e-7);
        }
    }

    @Test void fromDirectoryFindsStandardNamesRawOrGzip() throws IOException {
        byte[] img = IdxBytes.images(7, 28, 28, 21);
        byte[] lab = IdxBytes.labels(7, 22);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), IdxBytes.gzip(img));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), lab);
        // the test split must not be picked up instead of the training split
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), IdxBytes.images(3, 28, 28, 1));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxBytes.labels(3, 1));
        var d = Datasets.fromDirectory(dir, Scaling.UNIT);
        assertEquals(7, d.count());
        for (int i = 0; i < 7 * 784; i++) assertEquals((img[16 + i] & 0xFF) / 255f, d.images()[i], 1e-7);
        for (int i = 0; i < 7; i++) assertEquals(lab[8 + i], d.label(i));
    }

    /** Several non-standard files: the training split is taken, the test split ignored. */
    @Test void theFallbackPrefersTheTrainingSplit() throws IOException {
        byte[] img = IdxBytes.images(5, 28, 28, 31);
        Files.write(dir.resolve("train-digits-images-idx3.bin"), img);
        Files.write(dir.resolve("test-digits-images-idx3.bin"), IdxBytes.images(2, 28, 28, 32));
        Files.write(dir.resolve("train-digits-labels-idx1.bin"), IdxBytes.labels(5, 33));
        Files.write(dir.resolve("test-digits-labels-idx1.bin"), IdxBytes.labels(2, 34));
        var d = Datasets.fromDirectory(dir, Scaling.UNIT);
        assertEquals(5, d.count());
        assertEquals((img[16] & 0xFF) / 255f, d.images()[0], 1e-7);
    }

    @Test void fromDirectoryFallsBackToAnyImagesAndLabelsPair() throws IOException {
        Files.write(dir.resolve("fashion-images-idx3-ubyte.bin"), IdxBytes.images(4, 28, 28, 5));
        Files.write(dir.resolve("fashion-labels-idx1-ubyte.bin"), IdxBytes.labels(4, 5));
        Files.writeString(dir.resolve("README.txt"), "not data");
        assertEquals(4, Datasets.fromDirectory(dir, Scaling.SYMMETRIC).count());
    }

    @Test void fromDirectoryPrefersTrainAmongSeveralMatches() throws IOException {
        Files.write(dir.resolve("train.images.idx3"), IdxBytes.images(5, 2, 3, 5));
        Files.write(dir.resolve("test.images.idx3"), IdxBytes.images(2, 2, 3, 5));
        Files.write(dir.resolve("train.labels.idx1"), IdxBytes.labels(5, 5));
        Files.write(dir.resolve("test.labels.idx1"), IdxBytes.labels(2, 5));
        assertEquals(5, Datasets.fromDirectory(dir, Scaling.UNIT).count());
    }

    @Test void ambiguousFallbackIsAnError() throws IOException {
        Files.write(dir.resolve("a-images-idx3"), IdxBytes.images(5, 2, 3, 5));
        Files.write(dir.resolve("b-images-idx3"), IdxBytes.images(5, 2, 3, 5));
        Files.write(dir.resolve("a-labels-idx1"), IdxBytes.labels(5, 5));
        var e = assertThrows(DataFormatException.class, () -> Datasets.fromDirectory(dir, Scaling.UNIT));
        assertTrue(e.getMessage().contains("a-images-idx3") && e.getMessage().contains("b-images-idx3"), e.getMessage());
    }

    @Test void missingFilesListWhatWasLookedFor() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), IdxBytes.images(5, 2, 3, 5));
        var e = assertThrows(NoSuchFileException.class, () -> Datasets.fromDirectory(dir, Scaling.UNIT));
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte.gz") && e.getMessage().contains("*labels*idx1*"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> Datasets.fromDirectory(dir.resolve("nope"), Scaling.UNIT));
    }

    private static String sha256(String resource) throws IOException, NoSuchAlgorithmException {
        try (var in = DatasetsTest.class.getResourceAsStream(resource)) {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
        }
    }
}
