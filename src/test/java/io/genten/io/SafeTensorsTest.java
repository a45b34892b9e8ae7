package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    @BeforeEach void makeTensors() {
        var r = new SplittableRandom(17);
        tensors.put("gen.main.0.weight", random(r, 3, 5, 4, 4));
        tensors.put("gen.main.1.bias", random(r, 7));
        tensors.put("a_scalar", Tensor.scalar(-2.5f));
        tensors.put("empty", Tensor.wrap(new float[0], Shape.of(0, 3)));
        // values whose bits a careless writer would change
        tensors.put("special", Tensor.of(new float[] {-0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, Float.MAX_VALUE, 1e-40f, Float.intBitsToFloat(0x7fc12345)}, 8));
    }

    @AfterEach void closeTensors() { tensors.values().forEach(Tensor::close); }

    private static Tensor random(SplittableRandom r, int... dims) {
        var v = new float[Shape.of(dims).size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.wrap(v, Shape.of(dims));
    }

    private static int[] bits(float[] v) {
        return Arrays.stream(toBoxed(v)).mapToInt(Float::floatToRawIntBits).toArray();
    }

    private static Float[] toBoxed(float[] v) {
        var out = new Float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    private void assertNoTempFiles() throws IOException {
        try (var files = Files.list(dir)) {
            var left = files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
            assertEquals(List.of(), left, "temp files left behind");
        }
    }

    @Test void roundTripIsBitwiseWithMetadata() throws IOException {
        var file = dir.resolve("ckpt.safetensors");
        var meta = Map.of("step", "1200", "model", "dcgan", "quote\"and\\back", "line\nbreak \u00e9\u4e2d");
        SafeTensors.write(file, tensors, meta);
        try (var c = SafeTensors.read(file)) {
            assertEquals(tensors.keySet().stream().sorted().toList(), List.copyOf(c.tensors().keySet()), "names, sorted");
            for (var e : tensors.entrySet()) {
                var back = c.get(e.getKey());
                assertEquals(e.getValue().shape(), back.shape(), e.getKey());
                assertArrayEquals(bits(e.getValue().toArray()), bits(back.toArray()), e.getKey());
            }
            assertEquals(meta, c.metadata());
            assertThrows(IllegalArgumentException.class, () -> c.get("missing"));
        }
        // the data section starts 8-byte aligned
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8);
        assertNoTempFiles();
    }

    @Test void writeWithoutMetadata() throws IOException {
        var file = dir.resolve("plain.safetensors");
        SafeTensors.write(file, Map.of("x", tensors.get("gen.main.1.bias")), null);
        try (var c = SafeTensors.read(file)) {
            assertEquals(Map.of(), c.metadata());
            assertArrayEquals(tensors.get("gen.main.1.bias").toArray(), c.get("x").toArray());
        }
    }

    @Test void failedWriteLeavesTheOldFileAndNoTemp() throws IOException {
        var file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, tensors, Map.of("step", "1"));
        byte[] before = Files.readAllBytes(file);
        var closed = Tensor.of(new float[] {1, 2, 3}, 3);
        closed.close();
        var broken = new LinkedHashMap<>(tensors);
        broken.put("zz_closed", closed); // sorted last: written after the others, mid-file
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(file, broken, Map.of("step", "2")));
        assertArrayEquals(before, Files.readAllBytes(file));
        assertNoTempFiles();
        try (var c = SafeTensors.read(file)) {
            assertEquals("1", c.metadata().get("step"));
        }
    }

    private Path validFile() throws IOException {
        var file = dir.resolve("good.safetensors");
        SafeTensors.write(file, tensors, Map.of("k", "v"));
        return file;
    }

    private static String header(byte[] file) {
        int len = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(file, 8, len, StandardCharsets.UTF_8);
    }

    /** A file with the given header text (padded to keep its declared length) and data bytes. */
    private Path craft(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        var b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    private static void assertCheckpointError(Path file, String... fragments) {
        var e = assertThrows(CheckpointException.class, () -> SafeTensors.read(file));
        for (var f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test void truncatedFile() throws IOException {
        byte[] good = Files.readAllBytes(validFile());
        var cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(good, good.length - 10));
        assertCheckpointError(cut, "truncated");
        var tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[] {1, 2, 3});
        assertCheckpointError(tiny, "only 3 bytes");
        var headerCut = Files.write(dir.resolve("hcut.safetensors"), Arrays.copyOf(good, 20));
        assertCheckpointError(headerCut, "header length");
    }

    @Test void corruptHeaderLength() throws IOException {
        byte[] good = Files.readAllBytes(validFile());
        for (long len : new long[] {0, -5, 1L << 40, good.length}) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
            var f = Files.write(dir.resolve("len" + len), bad);
            assertCheckpointError(f, "corrupt safetensors header length " + len);
        }
    }

    @Test void headerThatIsNotJson() throws IOException {
        byte[] data = new byte[16];
        assertCheckpointError(craft("a", "this is not json", data), "corrupt safetensors header");
        assertCheckpointError(craft("b", "{\"x\":{\"dtype\":\"F32\"", data), "corrupt safetensors header");
        assertCheckpointError(craft("c", "[1,2,3]", data), "corrupt safetensors header", "not an object");
        assertCheckpointError(craft("d", "{\"x\": 5}", data), "'x' is not an object");
        assertCheckpointError(craft("e", "{\"x\":{\"dtype\":\"F32\",\"shape\":[\"four\"],\"data_offsets\":[0,16]}}", data), "non-integer shape");
        assertCheckpointError(craft("f", "{\"x\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", data), "dimension -4");
        assertCheckpointError(craft("g", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4]}}", data), "lacks shape or data_offsets");
        // a header turned to garbage inside a real file
        byte[] good = Files.readAllBytes(validFile());
        byte[] bad = good.clone();
        bad[8] = '#';
        assertCheckpointError(Files.write(dir.resolve("h"), bad), "corrupt safetensors header");
    }

    @Test void wrongDtype() throws IOException {
        byte[] good = Files.readAllBytes(validFile());
        String h = header(good);
        int at = h.indexOf("\"F32\"");
        byte[] bad = good.clone();
        bad[8 + at + 2] = '1';
        bad[8 + at + 3] = '6';
        assertCheckpointError(Files.write(dir.resolve("f16"), bad), "dtype F16", "F32 only");
        assertCheckpointError(craft("bf", "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]), "'w'", "dtype BF16");
    }

    @Test void byteRangeOutsideTheFile() throws IOException {
        var data = new byte[16];
        assertCheckpointError(craft("over", "{\"x\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", data),
                "byte range [0, 32)", "holds 16 bytes");
        assertCheckpointError(craft("neg", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", data), "byte range [-8, 0)");
        assertCheckpointError(craft("size", "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", data), "shape [3]", "[0, 16)");
        // a valid range is read
        try (var c = SafeTensors.read(craft("ok", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", data))) {
            assertEquals(Shape.of(2, 2), c.get("x").shape());
        }
    }

    @Test void sizesBeyondIntAreRefusedWithoutOverflow() throws IOException {
        var data = new byte[16];
        // 2^29 floats = 2^31 bytes: once overflowed an int ("capacity < 0")
        assertCheckpointError(craft("big", "{\"x\":{\"dtype\":\"F32\",\"shape\":[536870912],\"data_offsets\":[0,2147483648]}}", data),
                "byte range [0, 2147483648)", "holds 16 bytes");
        assertCheckpointError(craft("huge", "{\"x\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,16]}}", data), "too large");
        assertCheckpointError(craft("longs", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[9223372036854775807,-9223372036854775808]}}", data),
                "byte range");
        assertCheckpointError(craft("rank", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,4],\"data_offsets\":[0,16]}}", data), "rank 10");
    }

    @Test void overlappingAndDuplicateEntriesAreRejected() throws IOException {
        var data = new byte[16];
        assertCheckpointError(craft("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", data), "'a'", "'b'", "overlap");
        assertCheckpointError(craft("dup", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", data), "duplicate key \"a\"");
    }

    @Test void deepNestingAndControlCharactersGiveOneLineErrors() throws IOException {
        var data = new byte[16];
        // 100,000 nested arrays once overflowed the parser's stack
        String deep = "{\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertCheckpointError(craft("deep", deep, data), "nested deeper than 32");
        // a name with an escape sequence and a newline is shown escaped, on one line
        var e = assertThrows(CheckpointException.class, () -> SafeTensors.read(craft("ctl",
                "{\"evil\\u001b[2J\\nname\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", data)));
        assertTrue(e.getMessage().contains("evil\\u001b[2J\\nname"), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), e.getMessage());
        assertCheckpointError(craft("utf8", "{\"\u00e9\":1}", data), "'\u00e9' is not an object");
        byte[] notUtf8 = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        var b = ByteBuffer.allocate(8 + notUtf8.length).order(ByteOrder.LITTLE_ENDIAN).putLong(notUtf8.length).put(notUtf8);
        assertCheckpointError(Files.write(dir.resolve("bad-utf8"), b.array()), "not UTF-8");
    }

    @Test void aHeaderIsValidatedBeforeAnyDataIsRead() throws IOException {
        var file = validFile();
        var header = SafeTensors.readHeader(file);
        assertEquals(tensors.size(), header.entries().size());
        assertEquals(Shape.of(3, 5, 4, 4), header.shapes().get("gen.main.0.weight"));
        try (var c = SafeTensors.read(header)) {
            assertArrayEquals(bits(tensors.get("gen.main.1.bias").toArray()), bits(c.get("gen.main.1.bias").toArray()));
        }
    }
}
