package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The io package's limits and chunked paths at their exact edges, found untested by the 2026-12-01
 * mutation run: the JSON depth and value-count limits, tensors larger than the 1 MiB read and write
 * chunk, the heap check's byte count, message escaping of surrogates and its length cut, and the
 * permissions an atomic write keeps.
 */
class IoBoundsTest {
    @TempDir Path dir;

    /** {"a": [[...]]}: the top object and {@code arrays} nested arrays, so depth 1 + arrays. */
    private static String nested(int arrays) {
        return "{\"a\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
    }

    @Test void jsonDepthLimitIsExact() {
        assertDoesNotThrow(() -> Json.parseObject(nested(Json.MAX_DEPTH - 1)), "depth exactly " + Json.MAX_DEPTH);
        var e = assertThrows(IllegalArgumentException.class, () -> Json.parseObject(nested(Json.MAX_DEPTH)));
        assertTrue(e.getMessage().startsWith("nested deeper than " + Json.MAX_DEPTH), e.getMessage());
        // depth is given back after each nested value: many siblings at depth 2 are fine
        assertDoesNotThrow(() -> Json.parseObject("{\"a\":[" + "[],".repeat(3 * Json.MAX_DEPTH) + "[]]}"));
    }

    /** The top object, one array and {@code numbers} zeros: numbers + 2 values. */
    private static String values(int numbers) {
        var b = new StringBuilder(2 * numbers + 16).append("{\"a\":[");
        for (int i = 0; i < numbers; i++) b.append(i == 0 ? "0" : ",0");
        return b.append("]}").toString();
    }

    @Test void jsonValueLimitIsExact() {
        var ok = Json.parseObject(values(Json.MAX_VALUES - 2));
        assertEquals(Json.MAX_VALUES - 2, ((java.util.List<?>) ok.get("a")).size());
        var e = assertThrows(IllegalArgumentException.class, () -> Json.parseObject(values(Json.MAX_VALUES - 1)));
        assertTrue(e.getMessage().startsWith("more than " + Json.MAX_VALUES + " values"), e.getMessage());
    }

    /** Tensors of several 1 MiB chunks, one not a whole number of them, read back bit for bit. */
    @Test void tensorsLargerThanTheIoChunkRoundTrip() throws IOException {
        var tensors = new LinkedHashMap<String, Tensor>();
        tensors.put("a", Tensor.rand(1, 0, 3, 100_001)); // 1.2 MB: two chunks, the second partial
        tensors.put("b", Tensor.rand(2, 0, 524_288));   // exactly two chunks
        tensors.put("c", Tensor.rand(3, 0, 5));
        var file = dir.resolve("big.safetensors");
        SafeTensors.write(file, tensors, Map.of());
        try (var c = SafeTensors.read(file)) {
            for (var e : tensors.entrySet()) {
                assertEquals(e.getValue().shape(), c.tensors().get(e.getKey()).shape(), e.getKey());
                assertArrayEquals(e.getValue().toArray(), c.tensors().get(e.getKey()).toArray(), e.getKey());
            }
        }
        tensors.values().forEach(Tensor::close);
    }

    /**
     * A file whose tensors need more than the free heap is refused naming the exact byte count: two
     * tensors (the second at a non-zero offset) of 2^29 floats each, enough of them to exceed the
     * heap, in a sparse file (only the header is written).
     */
    @Test void tensorsBeyondTheHeapAreRefusedWithTheirByteCount() throws IOException {
        long each = 4L << 29; // 2 GiB
        int count = (int) (Runtime.getRuntime().maxMemory() / each) + 2;
        var header = new StringBuilder("{");
        for (int k = 0; k < count; k++) {
            header.append(k == 0 ? "" : ",").append("\"t").append(k).append("\":{\"dtype\":\"F32\",\"shape\":[").append(1 << 29)
                    .append("],\"data_offsets\":[").append(k * each).append(',').append((k + 1) * each).append("]}");
        }
        byte[] h = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        var file = dir.resolve("huge.safetensors");
        try (var f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            f.write(h);
            f.setLength(8 + h.length + count * each);
        }
        var e = assertThrows(CheckpointException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains("its tensors need " + count * each + " bytes but the Java heap has about"), e.getMessage());
    }

    @Test void messagesEscapeLoneSurrogatesAndKeepPairs() {
        String pair = "\uD83D\uDE00"; // one emoji, a valid pair
        assertEquals("a" + pair + "b", Printable.of("a" + pair + "b"));
        assertEquals(pair, Printable.of(pair), "a pair at the very end");
        assertEquals("\\ud83d", Printable.of("\uD83D"), "a high surrogate alone at the end");
        assertEquals("\\ud83dx", Printable.of("\uD83Dx"), "a high surrogate before a non-surrogate");
        assertEquals("\\ude00", Printable.of("\uDE00"), "a low surrogate alone at the start");
        assertEquals("x\\ude00", Printable.of("x\uDE00"), "a low surrogate after a non-surrogate");
        assertEquals("\\ude00\\ud83d", Printable.of("\uDE00\uD83D"), "a reversed pair");
        assertEquals("\\u0001\\n\\r\\t\\u2028\\u2029", Printable.line("\u0001\n\r\t\u2028\u2029"));
    }

    @Test void messagesAreCutAfterExactly300Characters() {
        String exact = "x".repeat(300);
        assertEquals(exact, Printable.of(exact), "300 characters are kept whole");
        assertEquals(exact + "...(301 chars)", Printable.of(exact + "y"));
        String longer = "z".repeat(5000);
        assertEquals(longer, Printable.line(longer), "line() never cuts");
    }

    /** A replaced file keeps its permissions; a new one gets rw-r--r--, not the temp file's owner-only ones. */
    @Test void atomicWritesKeepThePermissionsOfTheFileTheyReplace() throws IOException {
        var file = dir.resolve("state.safetensors");
        try (var t = Tensor.rand(4, 0, 3)) {
            SafeTensors.write(file, Map.of("t", t), Map.of());
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "a new file");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
            SafeTensors.write(file, Map.of("t", t), Map.of());
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "a replaced file");
        }
        try (var c = SafeTensors.read(file)) {
            assertEquals(Shape.of(3), c.tensors().get("t").shape());
        }
    }
}
