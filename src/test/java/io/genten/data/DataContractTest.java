package io.genten.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data package's limits and accessors: dimensions at their bounds, magic-number hints, indexing, scaling. */
class DataContractTest {
    @TempDir Path dir;

    @Test void dimensionsAtTheirLimitsAreAccepted() throws IOException {
        var one = IdxReader.readImages(new ByteArrayInputStream(IdxBytes.images(IdxReader.IMAGES_MAGIC, 1, 1, 1, new byte[] {7})), "one");
        assertEquals(1, one.imageSize());
        assertEquals(7, one.pixel(0, 0, 0));
        var tall = IdxReader.readImages(new ByteArrayInputStream(IdxBytes.images(IdxReader.IMAGES_MAGIC, 1, IdxReader.MAX_SIDE, 2,
                new byte[2 * IdxReader.MAX_SIDE])), "tall");
        assertEquals(IdxReader.MAX_SIDE, tall.rows());
        var wide = IdxReader.readImages(new ByteArrayInputStream(IdxBytes.images(IdxReader.IMAGES_MAGIC, 1, 2, IdxReader.MAX_SIDE,
                new byte[2 * IdxReader.MAX_SIDE])), "wide");
        assertEquals(IdxReader.MAX_SIDE, wide.cols());
        for (int[] d : new int[][] {{1, IdxReader.MAX_SIDE + 1, 1}, {1, 1, IdxReader.MAX_SIDE + 1}}) {
            var bytes = IdxBytes.images(IdxReader.IMAGES_MAGIC, d[0], d[1], d[2], new byte[IdxReader.MAX_SIDE + 1]);
            assertThrows(DataFormatException.class, () -> IdxReader.readImages(new ByteArrayInputStream(bytes), "big"));
        }
        assertEquals(12, new IdxImages(2, 3, 4, new byte[24]).imageSize());
        assertEquals(1, IdxReader.readLabels(new ByteArrayInputStream(IdxBytes.labels(IdxReader.LABELS_MAGIC, 1, new byte[] {3})), "l").length);
    }

    @Test void wrongMagicNumbersAreNamed() {
        var labelsAsImages = assertThrows(DataFormatException.class,
                () -> IdxReader.readImages(new ByteArrayInputStream(IdxBytes.labels(3, 1)), "x"));
        assertTrue(labelsAsImages.getMessage().contains("unsigned-byte images") && labelsAsImages.getMessage().contains("IDX label file"),
                labelsAsImages.getMessage());
        var imagesAsLabels = assertThrows(DataFormatException.class,
                () -> IdxReader.readLabels(new ByteArrayInputStream(IdxBytes.images(1, 2, 2, 1)), "x"));
        assertTrue(imagesAsLabels.getMessage().contains("unsigned-byte labels") && imagesAsLabels.getMessage().contains("IDX image file"),
                imagesAsLabels.getMessage());
        var floats = assertThrows(DataFormatException.class,
                () -> IdxReader.readImages(new ByteArrayInputStream(IdxBytes.images(0x00000D03, 1, 2, 2, new byte[16])), "x"));
        assertTrue(floats.getMessage().contains("another element type or rank"), floats.getMessage());
        var png = assertThrows(DataFormatException.class,
                () -> IdxReader.readImages(new ByteArrayInputStream(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0}), "x"));
        assertTrue(png.getMessage().contains("not an IDX file") && png.getMessage().contains("0x89504E47"), png.getMessage());
    }

    @Test void imagesAndLabelsByIndex() {
        byte[] pixels = IdxBytes.randomBytes(3 * 2 * 2, 5, 256);
        var d = Dataset.of(new IdxImages(3, 2, 2, pixels), new byte[] {4, 0, 9}, Scaling.UNIT);
        for (int i = 0; i < 3; i++) {
            float[] img = d.image(i);
            for (int k = 0; k < 4; k++) assertEquals((pixels[i * 4 + k] & 0xFF) / 255f, img[k], 1e-7f, "image " + i + " pixel " + k);
        }
        assertEquals(9, d.label(2));
        assertThrows(IndexOutOfBoundsException.class, () -> d.image(3));
        assertThrows(IndexOutOfBoundsException.class, () -> d.label(3));
        assertThrows(IndexOutOfBoundsException.class, () -> d.image(-1));
        assertTrue(d.toString().contains("3 images 2x2"), d.toString());
    }

    @Test void scalingEnds() {
        assertEquals(0f, Scaling.UNIT.lo());
        assertEquals(1f, Scaling.UNIT.hi());
        assertEquals(-1f, Scaling.SYMMETRIC.lo());
        assertEquals(1f, Scaling.SYMMETRIC.hi());
        assertEquals(Scaling.SYMMETRIC.hi(), Scaling.SYMMETRIC.apply((byte) 255));
        assertEquals(Scaling.SYMMETRIC.lo(), Scaling.SYMMETRIC.apply((byte) 0));
    }

    @Test void batchesReportTheirSettings() {
        var d = Dataset.of(new IdxImages(5, 1, 1, new byte[5]), new byte[5], Scaling.UNIT);
        var training = Batches.forTraining(d, 2, 1);
        assertTrue(training.dropLast());
        assertEquals(2, training.batchSize());
        assertSame(d, training.dataset());
        assertEquals(2, training.batchesPerEpoch());
        var all = new Batches(d, 2, 1, false);
        assertFalse(all.dropLast());
        assertEquals(3, all.batchesPerEpoch());
        var it = all.epoch(0);
        assertEquals(3, it.remaining(), "batches left");
        try (var b = it.next()) {
            assertEquals(2, it.remaining());
        }
    }

    @Test void emptyAndSingleElementPermutations() {
        assertArrayEquals(new int[0], Shuffle.permutation(0, 1, 0));
        assertArrayEquals(new int[] {0}, Shuffle.permutation(1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Shuffle.permutation(-1, 1, 0));
    }

    /** Only files named like IDX image / label files are candidates: other files in the folder do not confuse the search. */
    @Test void unrelatedFilesInTheDataFolderAreIgnored() throws IOException {
        Files.write(dir.resolve("mnist-images-idx3-ubyte"), IdxBytes.images(4, 2, 2, 1));
        Files.write(dir.resolve("mnist-labels-idx1-ubyte"), IdxBytes.labels(4, 2));
        Files.writeString(dir.resolve("README.txt"), "notes");
        Files.writeString(dir.resolve("images.csv"), "1,2");
        assertEquals(4, Datasets.fromDirectory(dir, Scaling.UNIT).count());
    }
}
