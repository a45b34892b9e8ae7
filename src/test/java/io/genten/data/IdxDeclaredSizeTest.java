package io.genten.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the 2026-12-01 mutation run found untested in the IDX reader: a raw file's declared size is
 * checked against its length before any allocation (the check's own message, for images and labels),
 * a complete raw or gzip file read from a path passes it, and trailing bytes are counted exactly up
 * to the 64 MiB cap and reported as "more than" only beyond it.
 */
class IdxDeclaredSizeTest {
    @TempDir Path dir;

    @Test void completeRawAndGzipFilesReadFromAPath() throws IOException {
        byte[] images = IdxBytes.images(3, 4, 5, 1);
        byte[] labels = IdxBytes.labels(3, 2);
        var raw = Files.write(dir.resolve("raw-images-idx3-ubyte"), images);
        var gz = Files.write(dir.resolve("gz-images-idx3-ubyte.gz"), IdxBytes.gzip(images));
        for (var f : new Path[] {raw, gz}) {
            var read = IdxReader.readImages(f);
            assertEquals(3, read.count(), f.toString());
            assertArrayEquals(java.util.Arrays.copyOfRange(images, 16, images.length), read.pixels(), f.toString());
        }
        var rawLabels = Files.write(dir.resolve("raw-labels-idx1-ubyte"), labels);
        var gzLabels = Files.write(dir.resolve("gz-labels-idx1-ubyte.gz"), IdxBytes.gzip(labels));
        for (var f : new Path[] {rawLabels, gzLabels}) {
            assertArrayEquals(java.util.Arrays.copyOfRange(labels, 8, labels.length), IdxReader.readLabels(f), f.toString());
        }
    }

    /**
     * A gzip file much smaller than what it holds (all-zero images compress ~400 times): its compressed
     * length must not be taken for the raw size the header is checked against.
     */
    @Test void aGzipFileSmallerThanItsContentReadsFromAPath() throws IOException {
        byte[] images = IdxBytes.images(IdxReader.IMAGES_MAGIC, 50, 28, 28, new byte[50 * 28 * 28]);
        var gz = Files.write(dir.resolve("zeros-images-idx3-ubyte.gz"), IdxBytes.gzip(images));
        assertTrue(Files.size(gz) < 16 + 50 * 28 * 28 / 10, "compressed to " + Files.size(gz) + " bytes");
        assertEquals(50, IdxReader.readImages(gz).count());
        byte[] labels = IdxBytes.labels(IdxReader.LABELS_MAGIC, 5000, new byte[5000]);
        var gzLabels = Files.write(dir.resolve("zeros-labels-idx1-ubyte.gz"), IdxBytes.gzip(labels));
        assertEquals(5000, IdxReader.readLabels(gzLabels).length);
    }

    /** A raw file one byte short is refused by the declared-size check, before reading, with its own message. */
    @Test void aShortRawFileIsRefusedByTheDeclaredSizeCheck() throws IOException {
        byte[] images = IdxBytes.images(3, 4, 5, 1);
        var f = Files.write(dir.resolve("short-images-idx3-ubyte"), java.util.Arrays.copyOf(images, images.length - 1));
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(f));
        assertTrue(e.getMessage().contains("truncated file (or corrupt header): 3 images of 4x5 need 60 bytes but only 59 were found"), e.getMessage());
        byte[] labels = IdxBytes.labels(7, 2);
        var g = Files.write(dir.resolve("short-labels-idx1-ubyte"), java.util.Arrays.copyOf(labels, labels.length - 2));
        var l = assertThrows(DataFormatException.class, () -> IdxReader.readLabels(g));
        assertTrue(l.getMessage().contains("truncated file (or corrupt header): 7 labels need 7 bytes but only 5 were found"), l.getMessage());
    }

    private static byte[] gzipWithTrailing(byte[] labels, long trailing) throws IOException {
        var bos = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(bos, 1 << 16)) {
            gz.write(labels);
            var zeros = new byte[1 << 20];
            for (long left = trailing; left > 0; left -= zeros.length) gz.write(zeros, 0, (int) Math.min(left, zeros.length));
        }
        return bos.toByteArray();
    }

    @Test void trailingBytesAreCountedExactlyUpToTheCap() throws IOException {
        byte[] labels = IdxBytes.labels(3, 4);
        long cap = IdxReader.TRAILING_COUNT_CAP;
        var exact = assertThrows(DataFormatException.class,
                () -> IdxReader.readLabels(new ByteArrayInputStream(gzipWithTrailing(labels, cap)), "exact"));
        assertTrue(exact.getMessage().contains(": " + cap + " bytes after the 11 bytes"), exact.getMessage());
        var over = assertThrows(DataFormatException.class,
                () -> IdxReader.readLabels(new ByteArrayInputStream(gzipWithTrailing(labels, cap + 1)), "over"));
        assertTrue(over.getMessage().contains(": more than " + cap + " bytes after the 11 bytes"), over.getMessage());
    }
}
