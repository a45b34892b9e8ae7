package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader's plausibility limit on the header length, 100 MiB, at its exact boundary: a header of
 * exactly 100 MiB passes the length check (and fails later, on its content), one byte more is refused
 * as a corrupt length. The files are sparse: only the length field and two bytes of JSON are written.
 */
class SafeTensorsHeaderLimitTest {
    private static final long LIMIT = 100L << 20;
    @TempDir Path dir;

    /** A file of 8 + headerLen bytes whose length field says headerLen and whose header starts with "{}". */
    private Path sparse(String name, long headerLen) throws IOException {
        var file = dir.resolve(name);
        try (var f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLen).array());
            f.write(new byte[] {'{', '}'});
            f.setLength(8 + headerLen); // the rest reads as zeros without being written
        }
        return file;
    }

    @Test void aHeaderOfExactlyTheLimitPassesTheLengthCheck() throws IOException {
        var file = sparse("at-limit.safetensors", LIMIT);
        try {
            SafeTensors.readHeader(file).shapes();
        } catch (CheckpointException e) {
            assertFalse(e.getMessage().contains("header length"), "refused for its length: " + e.getMessage());
        }
    }

    @Test void aHeaderOneByteOverTheLimitIsRefusedAsACorruptLength() throws IOException {
        var file = sparse("over-limit.safetensors", LIMIT + 1);
        var e = assertThrows(CheckpointException.class, () -> SafeTensors.readHeader(file));
        assertTrue(e.getMessage().contains("corrupt safetensors header length " + (LIMIT + 1)), e.getMessage());
    }
}
