package io.genten.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test void readsRawImagesAndLabelsWithOddSizes() throws IOException {
        byte[] pixels = IdxBytes.randomBytes(3 * 5 * 7, 11, 256);
        var images = IdxReader.readImages(file("img", IdxBytes.images(IdxReader.IMAGES_MAGIC, 3, 5, 7, pixels)));
        assertEquals(3, images.count());
        assertEquals(5, images.rows());
        assertEquals(7, images.cols());
        assertArrayEquals(pixels, images.pixels());
        assertEquals(pixels[(2 * 5 + 4) * 7 + 6] & 0xFF, images.pixel(2, 4, 6));
        byte[] labels = {9, 0, 4};
        assertArrayEquals(labels, IdxReader.readLabels(file("lab", IdxBytes.labels(IdxReader.LABELS_MAGIC, 3, labels))));
    }

    @Test void gzipIsDetectedByMagicBytesNotByName() throws IOException {
        byte[] raw = IdxBytes.images(4, 6, 6, 3);
        var fromRaw = IdxReader.readImages(file("plain-but-named.gz", raw));
        var fromGz = IdxReader.readImages(file("gzip-without-suffix", IdxBytes.gzip(raw)));
        assertArrayEquals(fromRaw.pixels(), fromGz.pixels());
        assertEquals(4, fromGz.count());
    }

    @Test void embeddedGzipAndARawCopyReadTheSame() throws IOException {
        byte[] gz;
        try (var in = IdxReaderTest.class.getResourceAsStream(Datasets.EMBEDDED_IMAGES)) {
            gz = in.readAllBytes();
        }
        var raw = file("images-idx3-ubyte", IdxBytes.gunzip(gz));
        assertEquals(16 + 10000 * 784, Files.size(raw));
        var a = IdxReader.readImages(raw);
        var b = IdxReader.readImages(new ByteArrayInputStream(gz), "embedded");
        assertEquals(b.count(), a.count());
        assertArrayEquals(b.pixels(), a.pixels());

        byte[] lgz;
        try (var in = IdxReaderTest.class.getResourceAsStream(Datasets.EMBEDDED_LABELS)) {
            lgz = in.readAllBytes();
        }
        assertArrayEquals(IdxReader.readLabels(new ByteArrayInputStream(lgz), "embedded"),
                IdxReader.readLabels(file("labels-idx1-ubyte", IdxBytes.gunzip(lgz))));
    }

    @Test void wrongMagicSaysWhatWasFoundAndExpected() throws IOException {
        var labelsAsImages = file("x", IdxBytes.labels(5, 1));
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(labelsAsImages));
        assertTrue(e.getMessage().contains("expected 0x00000803"), e.getMessage());
        assertTrue(e.getMessage().contains("found 0x00000801"), e.getMessage());
        assertTrue(e.getMessage().contains("label file"), e.getMessage());
        assertTrue(e.getMessage().contains(labelsAsImages.toString()), e.getMessage());

        var png = file("y.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 0});
        var e2 = assertThrows(DataFormatException.class, () -> IdxReader.readLabels(png));
        assertTrue(e2.getMessage().contains("expected 0x00000801") && e2.getMessage().contains("found 0x89504E47"), e2.getMessage());
    }

    @Test void truncatedHeaderAndBodySayHowManyBytes() throws IOException {
        byte[] full = IdxBytes.images(3, 4, 5, 7);
        var shortHeader = file("h", Arrays.copyOf(full, 10));
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(shortHeader));
        assertTrue(e.getMessage().contains("need 12 bytes but only 6"), e.getMessage());

        var shortBody = file("b", Arrays.copyOf(full, full.length - 7));
        var e2 = assertThrows(DataFormatException.class, () -> IdxReader.readImages(shortBody));
        assertTrue(e2.getMessage().contains("need 60 bytes but only 53"), e2.getMessage());

        byte[] labels = IdxBytes.labels(9, 2);
        var shortLabels = file("l", Arrays.copyOf(labels, labels.length - 1));
        var e3 = assertThrows(DataFormatException.class, () -> IdxReader.readLabels(shortLabels));
        assertTrue(e3.getMessage().contains("need 9 bytes but only 8"), e3.getMessage());

        var empty = file("empty", new byte[0]);
        assertThrows(DataFormatException.class, () -> IdxReader.readLabels(empty));
    }

    @Test void truncatedGzipIsADataFormatError() throws IOException {
        byte[] gz = IdxBytes.gzip(IdxBytes.images(50, 8, 8, 5));
        var cut = file("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(cut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test void trailingBytesAreRejected() throws IOException {
        byte[] full = IdxBytes.images(2, 3, 3, 1);
        var longer = file("t", Arrays.copyOf(full, full.length + 5));
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(longer));
        assertTrue(e.getMessage().contains("5 bytes after the 34 bytes"), e.getMessage());
    }

    /** Labels too: a file with more labels than its header counts is not silently cut, raw or gzip, short or long tails. */
    @Test void trailingBytesInLabelFilesAreRejected() throws IOException {
        byte[] full = IdxBytes.labels(7, 2);
        for (int extra : new int[] {1, 10_000}) {
            byte[] longer = Arrays.copyOf(full, full.length + extra);
            for (var bytes : new byte[][] {longer, IdxBytes.gzip(longer)}) {
                var f = file("labels+" + extra + (bytes == longer ? "" : ".gz"), bytes);
                var e = assertThrows(DataFormatException.class, () -> IdxReader.readLabels(f));
                assertTrue(e.getMessage().contains(extra + " bytes after the 15 bytes"), e.getMessage());
                assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            }
        }
        // the exact length reads, also through gzip
        assertEquals(7, IdxReader.readLabels(file("exact.gz", IdxBytes.gzip(full))).length);
    }

    @Test void longTrailingDataAfterImagesIsCountedInFull() throws IOException {
        byte[] full = IdxBytes.images(2, 3, 3, 1);
        var longer = file("t.gz", IdxBytes.gzip(Arrays.copyOf(full, full.length + 20_000)));
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(longer));
        assertTrue(e.getMessage().contains("20000 bytes after the 34 bytes"), e.getMessage());
    }

    @Test void zeroNegativeAndHugeDimensionsAreRejected() throws IOException {
        int[][] bad = {{0, 28, 28}, {10, 0, 28}, {10, 28, 0}, {10, -28, 28}, {-1, 28, 28}, {1, 100_000, 100_000}};
        for (int[] d : bad) {
            var f = file("d" + Arrays.toString(d), IdxBytes.images(IdxReader.IMAGES_MAGIC, d[0], d[1], d[2], new byte[64]));
            var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(f), Arrays.toString(d));
            assertTrue(e.getMessage().contains("implausible IDX image dimensions"), e.getMessage());
        }
        var zeroLabels = file("zl", IdxBytes.labels(IdxReader.LABELS_MAGIC, 0, new byte[0]));
        assertThrows(DataFormatException.class, () -> IdxReader.readLabels(zeroLabels));
    }

    @Test void imageLabelCountMismatchNamesBothFiles() throws IOException {
        var img = file("train-images-idx3-ubyte", IdxBytes.images(6, 4, 4, 3));
        var lab = file("train-labels-idx1-ubyte", IdxBytes.labels(5, 3));
        var e = assertThrows(DataFormatException.class, () -> Datasets.fromFiles(img, lab, Scaling.UNIT));
        assertTrue(e.getMessage().contains("6 images") && e.getMessage().contains("5 labels"), e.getMessage());
        assertTrue(e.getMessage().contains(img.toString()) && e.getMessage().contains(lab.toString()), e.getMessage());
    }

    /** Bytes this thread allocated while {@code r} ran (HotSpot's per-thread counter). */
    private static long allocatedBy(org.junit.jupiter.api.function.Executable r) {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(id);
        assertThrows(DataFormatException.class, r);
        return mx.getThreadAllocatedBytes(id) - before;
    }

    @Test void declaredCountsAreCheckedBeforeMemoryIsAllocated() throws IOException {
        // 3 KB that declare 2.7 million 28x28 images (2.1 GB): once allocated the 2 GB up front
        byte[] small = IdxBytes.images(IdxReader.IMAGES_MAGIC, 2_700_000, 28, 28, new byte[3000]);
        var raw = file("huge-raw", small);
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(raw));
        assertTrue(e.getMessage().contains("need 2116800000 bytes but only 3000"), e.getMessage());
        assertTrue(allocatedBy(() -> IdxReader.readImages(raw)) < (16L << 20), "raw: refused before allocating");
        // compressed, the real length is unknown until the end: the buffer grows only as data arrives
        var gz = file("huge-gz", IdxBytes.gzip(small));
        assertTrue(allocatedBy(() -> IdxReader.readImages(gz)) < (64L << 20), "gzip: memory bounded by the data");
        var labels = file("labels-raw", IdxBytes.labels(IdxReader.LABELS_MAGIC, Integer.MAX_VALUE, new byte[100]));
        var e2 = assertThrows(DataFormatException.class, () -> IdxReader.readLabels(labels));
        assertTrue(e2.getMessage().contains("need 2147483647 bytes but only 100"), e2.getMessage());
        assertTrue(allocatedBy(() -> IdxReader.readLabels(labels)) < (16L << 20));
    }
}
