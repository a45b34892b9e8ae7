package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Headers as other writers lay them out, byte for byte: the Rust safetensors crate (what
 * {@code safetensors.torch.save_file} calls: compact serde_json, raw UTF-8, control characters as
 * {@code \}u00XX, space padding to 8 bytes), Python's {@code json.dumps} (", " and ": " separators,
 * ASCII only, so {@code \}u escapes with surrogate pairs), and {@code json.dumps(indent=2)} with
 * CRLF line ends and tabs. All describe the same two tensors and metadata.
 */
class SafeTensorsHeaderStylesTest {
    @TempDir Path dir;

    private static final float[] WEIGHT = {0.5f, -1.25f, 3f, Float.MIN_VALUE};
    private static final float[] BIAS = {-0f, 7.5f, 1e-30f};
    private static final String NOTE = "café ☕ 😀 tab\there \u001f end";

    private static final String RUST = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"café ☕ 😀 tab\\there \\u001f end\"},"
            + "\"café.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]},"
            + "\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[2,1,1,2],\"data_offsets\":[0,16]}}";

    private static final String PYTHON = "{\"__metadata__\": {\"format\": \"pt\", \"note\": \"caf\\u00e9 \\u2615 \\ud83d\\ude00 tab\\there \\u001f end\"}, "
            + "\"conv.weight\": {\"dtype\": \"F32\", \"shape\": [2, 1, 1, 2], \"data_offsets\": [0, 16]}, "
            + "\"caf\\u00e9.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [16, 28]}}";

    private static final String PRETTY = String.join("\r\n",
            "{",
            "  \"__metadata__\": {",
            "    \"format\": \"pt\",",
            "    \"note\": \"caf\\u00E9 \\u2615 \\uD83D\\uDE00 tab\\there \\u001F end\"",
            "  },",
            "\t\"conv.weight\" : {",
            "    \"dtype\": \"F32\",",
            "    \"shape\": [",
            "      2,",
            "      1,",
            "      1,",
            "      2",
            "    ],",
            "    \"data_offsets\": [ 0 , 16 ]",
            "  },",
            "  \"caf\\u00e9.b\\u0069as\": {",
            "    \"dtype\": \"F32\",",
            "    \"shape\": [ 3 ],",
            "    \"data_offsets\": [",
            "      16,",
            "      28",
            "    ]",
            "  }",
            "}");

    private Path file(String name, String header, int align) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int pad = (align - h.length % align) % align;
        var out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length + pad).array());
        out.writeBytes(h);
        for (int i = 0; i < pad; i++) out.write(' ');
        var data = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : WEIGHT) data.putFloat(v);
        for (float v : BIAS) data.putFloat(v);
        out.writeBytes(data.array());
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    private static void assertContents(String style, SafeTensors.Contents c) {
        assertEquals(List.of(2, 1, 1, 2), asList(c.get("conv.weight").shape().dims()), style);
        assertEquals(List.of(3), asList(c.get("café.bias").shape().dims()), style);
        assertArrayEquals(bits(WEIGHT), bits(c.get("conv.weight").toArray()), style + " weight");
        assertArrayEquals(bits(BIAS), bits(c.get("café.bias").toArray()), style + " bias");
        assertEquals(Map.of("format", "pt", "note", NOTE), c.metadata(), style + " metadata");
    }

    @Test void rustCrateHeader() throws IOException {
        try (var c = SafeTensors.read(file("rust.safetensors", RUST, 8))) {
            assertContents("Rust", c);
        }
    }

    @Test void pythonJsonDumpsHeader() throws IOException {
        try (var c = SafeTensors.read(file("python.safetensors", PYTHON, 8))) {
            assertContents("Python json.dumps", c);
        }
    }

    @Test void prettyPrintedHeaderWithCrlfTabsUppercaseEscapesAndNoPadding() throws IOException {
        try (var c = SafeTensors.read(file("pretty.safetensors", PRETTY, 1))) {
            assertContents("pretty", c);
        }
    }

    /** Our writer's escapes read back: quotes, backslashes, control characters, non-ASCII in names and metadata. */
    @Test void ourEscapesRoundTrip() throws IOException {
        var f = dir.resolve("ours.safetensors");
        String name = "a\"b\\c\nd\te\rf\u0001g é 😀";
        String value = "\"quoted\" \\ back\nnew\ttab\rcr\u0000nul\u001f ☕";
        try (var t = io.genten.tensor.Tensor.wrap(WEIGHT.clone(), io.genten.tensor.Shape.of(4))) {
            SafeTensors.write(f, Map.of(name, t), Map.of(value, value));
        }
        try (var c = SafeTensors.read(f)) {
            assertArrayEquals(bits(WEIGHT), bits(c.get(name).toArray()));
            assertEquals(Map.of(value, value), c.metadata());
        }
        String header = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        assertEquals(true, header.contains("\\u0001") && header.contains("\\u0000") && header.contains("\\n") && header.contains("\\\""), header);
    }

    private static List<Integer> asList(int[] a) { return java.util.Arrays.stream(a).boxed().toList(); }

    private static int[] bits(float[] v) {
        var b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }
}
