package io.genten.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files in memory for tests. */
final class IdxBytes {
    private IdxBytes() {}

    static byte[] images(int magic, int count, int rows, int cols, byte[] pixels) {
        return ByteBuffer.allocate(16 + pixels.length).putInt(magic).putInt(count).putInt(rows).putInt(cols).put(pixels).array();
    }

    static byte[] images(int count, int rows, int cols, long seed) {
        return images(IdxReader.IMAGES_MAGIC, count, rows, cols, randomBytes(count * rows * cols, seed, 256));
    }

    static byte[] labels(int magic, int count, byte[] labels) {
        return ByteBuffer.allocate(8 + labels.length).putInt(magic).putInt(count).put(labels).array();
    }

    static byte[] labels(int count, long seed) {
        return labels(IdxReader.LABELS_MAGIC, count, randomBytes(count, seed, 10));
    }

    static byte[] randomBytes(int n, long seed, int bound) {
        var r = new SplittableRandom(seed);
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(bound);
        return b;
    }

    static byte[] gzip(byte[] raw) throws IOException {
        var bos = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(bos)) {
            gz.write(raw);
        }
        return bos.toByteArray();
    }

    static byte[] gunzip(byte[] gz) throws IOException {
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }
}
