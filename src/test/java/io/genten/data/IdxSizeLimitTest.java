package io.genten.data;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image reader's limit, one Java array (2^31 - 1 - 16 pixel bytes), at its exact boundary, from
 * headers alone: 19,867 images of 411x263 are exactly 2^31 - 17 bytes (= 3 * 137 * 263 * 19867) and
 * pass the limit (the file, 16 bytes long, is then refused as truncated, before any allocation); one
 * image more is refused as too large for an array.
 */
class IdxSizeLimitTest {
    @TempDir Path dir;

    private Path header(String name, int count, int rows, int cols) throws IOException {
        return Files.write(dir.resolve(name), IdxBytes.images(IdxReader.IMAGES_MAGIC, count, rows, cols, new byte[0]));
    }

    @Test void exactlyTheLimitPassesAndIsThenFoundTruncated() throws IOException {
        assertTrue(19867L * 411 * 263 == Integer.MAX_VALUE - 16, "the boundary");
        var e = assertThrows(IOException.class, () -> IdxReader.readImages(header("at-limit-idx3-ubyte", 19867, 411, 263)));
        assertFalse(e.getMessage().contains("more than one array"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test void oneImageMoreIsRefusedAsTooLarge() throws IOException {
        var e = assertThrows(IOException.class, () -> IdxReader.readImages(header("over-limit-idx3-ubyte", 19868, 411, 263)));
        assertTrue(e.getMessage().contains("more than one array can hold"), e.getMessage());
    }
}
