package io.genten.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the unsigned-byte IDX files of MNIST and Fashion-MNIST: images (magic 0x00000803:
 * count, rows, cols) and labels (magic 0x00000801: count). A stream may be raw or gzip; gzip is
 * recognized by its magic bytes 1f 8b, not by the file name. All header integers are big-endian.
 */
public final class IdxReader {
    /** The magic number of an IDX file of unsigned-byte images (3 dimensions). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** The magic number of an IDX file of unsigned-byte labels (1 dimension). */
    public static final int LABELS_MAGIC = 0x00000801;
    /** Largest accepted rows or cols: IDX images beyond this are not images this project can train on. */
    public static final int MAX_SIDE = 4096;
    /** Trailing bytes after the records are counted exactly up to this many (64 MiB). */
    static final long TRAILING_COUNT_CAP = 64L << 20;

    private IdxReader() {}

    /**
     * Reads an image file (raw or gzip).
     *
     * @param file the IDX3 file
     * @return the images
     * @throws IOException when the file is unreadable or malformed ({@link DataFormatException} names what is wrong)
     */
    public static IdxImages readImages(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return readImages(in, file.toString(), rawSize(file));
        }
    }

    /**
     * Reads a label file (raw or gzip).
     *
     * @param file the IDX1 file
     * @return one label byte per image
     * @throws IOException when the file is unreadable or malformed ({@link DataFormatException} names what is wrong)
     */
    public static byte[] readLabels(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return readLabels(in, file.toString(), rawSize(file));
        }
    }

    /**
     * Reads an image file from {@code in} (not closed).
     *
     * @param in     the stream, raw or gzip
     * @param source names the stream in error messages
     * @return the images
     * @throws IOException when the stream is unreadable or malformed
     */
    public static IdxImages readImages(InputStream in, String source) throws IOException {
        return readImages(in, source, -1);
    }

    /**
     * Reads a label file from {@code in} (not closed).
     *
     * @param in     the stream, raw or gzip
     * @param source names the stream in error messages
     * @return one label byte per image
     * @throws IOException when the stream is unreadable or malformed
     */
    public static byte[] readLabels(InputStream in, String source) throws IOException {
        return readLabels(in, source, -1);
    }

    /** The file's length when it is not gzip (so a header's counts can be checked against it before any allocation), else -1. */
    private static long rawSize(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            int m0 = in.read(), m1 = in.read();
            return m0 == 0x1f && m1 == 0x8b ? -1 : Files.size(file);
        }
    }

    /**
     * A header's declared body against the real length of a raw file, refused before memory is
     * allocated for it (trailing bytes are found later, by {@link #checkEnd}).
     */
    private static void checkDeclared(int headerBytes, long body, long rawSize, String source, String what) throws DataFormatException {
        if (rawSize >= 0 && headerBytes + body > rawSize) {
            throw new DataFormatException(source + ": truncated file (or corrupt header): " + what + " need " + body + " bytes but only "
                    + Math.max(0, rawSize - headerBytes) + " were found");
        }
    }

    private static IdxImages readImages(InputStream in, String source, long rawSize) throws IOException {
        var s = decompressIfGzip(in, source);
        // the magic first, so a label file passed as images says so instead of "truncated"
        checkMagic(intAt(readExactly(s, 4, source, "magic number"), 0), IMAGES_MAGIC, source);
        byte[] header = readExactly(s, 12, source, "header after the magic number");
        int count = intAt(header, 0), rows = intAt(header, 4), cols = intAt(header, 8);
        if (count <= 0 || rows <= 0 || cols <= 0 || rows > MAX_SIDE || cols > MAX_SIDE) {
            throw new DataFormatException(source + ": implausible IDX image dimensions: count " + Integer.toUnsignedString(count) + ", "
                    + Integer.toUnsignedString(rows) + "x" + Integer.toUnsignedString(cols)
                    + " (need count >= 1 and 1 <= rows, cols <= " + MAX_SIDE + ")");
        }
        long total = (long) count * rows * cols;
        if (total > Integer.MAX_VALUE - 16) {
            throw new DataFormatException(source + ": " + count + " images of " + rows + "x" + cols + " = " + total + " bytes is more than one array can hold");
        }
        checkDeclared(16, total, rawSize, source, count + " images of " + rows + "x" + cols);
        byte[] pixels = readExactly(s, (int) total, source, count + " images of " + rows + "x" + cols);
        checkEnd(s, 16 + total, source);
        return new IdxImages(count, rows, cols, pixels);
    }

    private static byte[] readLabels(InputStream in, String source, long rawSize) throws IOException {
        var s = decompressIfGzip(in, source);
        checkMagic(intAt(readExactly(s, 4, source, "magic number"), 0), LABELS_MAGIC, source);
        int count = intAt(readExactly(s, 4, source, "header after the magic number"), 0);
        if (count <= 0) {
            throw new DataFormatException(source + ": implausible IDX label count " + Integer.toUnsignedString(count) + " (need at least 1)");
        }
        checkDeclared(8, count, rawSize, source, count + " labels");
        byte[] labels = readExactly(s, count, source, count + " labels");
        checkEnd(s, 8L + count, source);
        return labels;
    }

    private static InputStream decompressIfGzip(InputStream in, String source) throws IOException {
        var b = new BufferedInputStream(in, 1 << 16);
        b.mark(2);
        int m0 = b.read(), m1 = b.read();
        b.reset();
        if (m0 == 0x1f && m1 == 0x8b) {
            try {
                return new BufferedInputStream(new GZIPInputStream(b, 1 << 16), 1 << 16);
            } catch (ZipException | java.io.EOFException e) { // EOF: the gzip header itself is cut (found by fuzzing)
                throw new DataFormatException(source + ": corrupt or truncated gzip stream: " + (e.getMessage() == null ? "ends inside the gzip header" : e.getMessage()));
            }
        }
        return b;
    }

    private static void checkMagic(int found, int expected, String source) throws DataFormatException {
        if (found == expected) return;
        String hint = switch (found) {
            case IMAGES_MAGIC -> " (that is an IDX image file)";
            case LABELS_MAGIC -> " (that is an IDX label file)";
            default -> (found >>> 16) == 0 ? " (an IDX file of another element type or rank)" : " (not an IDX file)";
        };
        String what = expected == IMAGES_MAGIC ? "unsigned-byte images, 3 dimensions" : "unsigned-byte labels, 1 dimension";
        throw new DataFormatException(String.format("%s: wrong magic number: expected 0x%08X (%s) but found 0x%08X%s", source, expected, what, found, hint));
    }

    /**
     * Reads n bytes, growing the buffer as data actually arrives (doubling from 1 MiB): a
     * compressed stream whose header declares far more than it holds fails at its end having
     * allocated about twice what it held, never the declared size.
     */
    private static byte[] readExactly(InputStream s, int n, String source, String what) throws IOException {
        var out = new byte[Math.min(n, 1 << 20)];
        int got = 0;
        try {
            while (got < n) {
                if (got == out.length) out = java.util.Arrays.copyOf(out, (int) Math.min(n, 2L * out.length));
                int r = s.read(out, got, out.length - got);
                if (r < 0) break;
                got += r;
            }
        } catch (java.io.EOFException | ZipException e) {
            throw new DataFormatException(source + ": truncated or corrupt file while reading " + what + " (" + got + " of " + n + " bytes read): " + e.getMessage());
        }
        if (got < n) {
            throw new DataFormatException(source + ": truncated file: " + what + " need " + n + " bytes but only " + got + " were found");
        }
        return out;
    }

    /**
     * Trailing bytes mean the header's count does not describe the file: better an error than a
     * silent partial read. Up to 64 MiB of them are counted exactly; beyond that the message says
     * "more than" (a gzip bomb could hold far more, and reading stops a chunk past the cap).
     */
    private static void checkEnd(InputStream s, long expectedSize, String source) throws IOException {
        final long cap = TRAILING_COUNT_CAP;
        long more = 0;
        try {
            if (s.read() < 0) return;
            more = 1;
            var skip = new byte[8192];
            for (int r; more <= cap && (r = s.read(skip)) > 0; ) more += r;
        } catch (java.io.EOFException | ZipException e) {
            throw new DataFormatException(source + ": corrupt data after the last record: " + e.getMessage());
        }
        throw new DataFormatException(source + ": " + (more > cap ? "more than " + cap : Long.toString(more)) + " bytes after the "
                + expectedSize + " bytes that the header announces");
    }

    private static int intAt(byte[] b, int i) {
        return (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
    }
}
