package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.genten.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of mutated inputs for the safetensors and IDX readers in every CI run, beside the
 * Jazzer corpus replay (the fuzz targets in SafeTensorsFuzzTest and IdxFuzzTest): bit flips,
 * interesting values at random places (0, -1, 2^31, 2^63 - 1 ...), truncations, insertions and,
 * for safetensors, edits of the JSON header itself (numbers, names, nesting). Every input must
 * read or fail with the reader's own exception, and no input may make the reader allocate much
 * more than the file's size.
 */
class ReaderMutationTest {
    private static final int INPUTS_PER_READER = 3000;
    private static final long ALLOCATION_SLACK = 48L << 20;
    @TempDir Path dir;

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private interface Reader { void read(byte[] input) throws Exception; }

    /** Runs every input; returns how many read fine. Fails on any other outcome than success or the expected exception. */
    private static int runAll(List<byte[]> inputs, Class<? extends Exception> clean, Reader reader) {
        int ok = 0;
        long id = Thread.currentThread().threadId();
        for (int i = 0; i < inputs.size(); i++) {
            byte[] in = inputs.get(i);
            long before = THREADS.getThreadAllocatedBytes(id);
            try {
                reader.read(in);
                ok++;
            } catch (Throwable t) {
                if (!clean.isInstance(t)) {
                    fail("input " + i + " (" + in.length + " bytes) threw " + t + "; first bytes " + hex(in), t);
                }
                if (t.getMessage() == null || t.getMessage().chars().anyMatch(c -> c < 0x20)) fail("input " + i + ": message not one printable line: " + t.getMessage());
            }
            long allocated = THREADS.getThreadAllocatedBytes(id) - before;
            if (allocated > 8L * in.length + ALLOCATION_SLACK) fail("input " + i + " of " + in.length + " bytes allocated " + allocated + " bytes");
        }
        return ok;
    }

    @Test void mutatedSafetensorsFilesReadOrFailCleanly() throws IOException {
        var seed = dir.resolve("seed.safetensors");
        var r = new SplittableRandom(1);
        var tensors = new LinkedHashMap<String, Tensor>();
        tensors.put("enc.weight", Tensor.randn(1, 0, 4, 3));
        tensors.put("enc.bias", Tensor.randn(1, 1, 4));
        tensors.put("bn.running_var", Tensor.rand(1, 2, 4));
        tensors.put("empty", Tensor.zeros(0, 2));
        SafeTensors.write(seed, tensors, java.util.Map.of("model", "vae", "step", "12"));
        byte[] valid = Files.readAllBytes(seed);
        var inputs = new ArrayList<byte[]>();
        for (int i = 0; i < INPUTS_PER_READER; i++) inputs.add(i % 3 == 0 ? mutateHeader(valid, r) : mutateBytes(valid, r));
        var file = dir.resolve("m.safetensors");
        int ok = runAll(inputs, CheckpointException.class, in -> {
            Files.write(file, in);
            try (var c = SafeTensors.read(file)) {
                c.tensors().values().forEach(Tensor::toArray);
            }
        });
        System.out.printf("safetensors mutations: %d inputs, %d read, %d refused cleanly%n", inputs.size(), ok, inputs.size() - ok);
        assertTrue(ok > 0 && ok < inputs.size(), "the mutations reach both outcomes: " + ok);
    }

    @Test void mutatedIdxFilesReadOrFailCleanly() throws IOException {
        var r = new SplittableRandom(2);
        byte[] images = ByteBuffer.allocate(16 + 3 * 4 * 5).putInt(0x803).putInt(3).putInt(4).putInt(5).put(new byte[60]).array();
        byte[] labels = ByteBuffer.allocate(8 + 3).putInt(0x801).putInt(3).put(new byte[] {1, 2, 3}).array();
        var seeds = List.of(images, labels, gzip(images), gzip(labels));
        var inputs = new ArrayList<byte[]>();
        for (int i = 0; i < INPUTS_PER_READER; i++) inputs.add(mutateBytes(seeds.get(i % seeds.size()), r));
        var file = dir.resolve("m.idx");
        int ok = runAll(inputs, io.genten.data.DataFormatException.class, in -> {
            boolean asImages = (in.length > 3 && in[3] == 3) || in.length % 2 == 0;
            if (asImages) io.genten.data.IdxReader.readImages(new ByteArrayInputStream(in), "mutant");
            else io.genten.data.IdxReader.readLabels(new ByteArrayInputStream(in), "mutant");
            Files.write(file, in);
            if (asImages) io.genten.data.IdxReader.readImages(file);
            else io.genten.data.IdxReader.readLabels(file);
        });
        System.out.printf("IDX mutations: %d inputs, %d read, %d refused cleanly%n", inputs.size(), ok, inputs.size() - ok);
        assertTrue(ok > 0 && ok < inputs.size(), "the mutations reach both outcomes: " + ok);
    }

    private static final long[] INTERESTING = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fffffffL, 0x80000000L, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 29, 1L << 31};

    static byte[] mutateBytes(byte[] valid, SplittableRandom r) {
        byte[] b = valid.clone();
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            switch (r.nextInt(5)) {
                case 0 -> { if (b.length > 0) b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8)); }
                case 1 -> { // an interesting 4- or 8-byte value, either byte order, often in the header
                    long v = INTERESTING[r.nextInt(INTERESTING.length)];
                    int width = r.nextBoolean() ? 4 : 8;
                    if (b.length >= width) {
                        int at = r.nextInt(Math.min(b.length - width + 1, r.nextBoolean() ? 24 : b.length - width + 1));
                        var bb = ByteBuffer.wrap(b, at, width).order(r.nextBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
                        if (width == 4) bb.putInt((int) v); else bb.putLong(v);
                    }
                }
                case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1)); // truncate
                case 3 -> { // insert random bytes
                    int at = r.nextInt(b.length + 1), n = 1 + r.nextInt(16);
                    var out = new byte[b.length + n];
                    System.arraycopy(b, 0, out, 0, at);
                    for (int k = 0; k < n; k++) out[at + k] = (byte) r.nextInt(256);
                    System.arraycopy(b, at, out, at + n, b.length - at);
                    b = out;
                }
                default -> { if (b.length > 0) b[r.nextInt(b.length)] = (byte) r.nextInt(256); }
            }
        }
        return b;
    }

    /** Edits the JSON header as text (numbers, names, brackets), keeping the 8-byte length consistent. */
    static byte[] mutateHeader(byte[] valid, SplittableRandom r) {
        long len = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(valid, 8, (int) len, StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(valid, 8 + (int) len, valid.length);
        var numbers = new ArrayList<int[]>();
        var m = java.util.regex.Pattern.compile("-?\\d+").matcher(header);
        while (m.find()) numbers.add(new int[] {m.start(), m.end()});
        String h = header;
        switch (r.nextInt(6)) {
            case 0, 1 -> {
                var at = numbers.get(r.nextInt(numbers.size()));
                String[] values = {"0", "-1", "2147483647", "2147483648", "4294967296", "9223372036854775807", "99999999999999999999", "536870912", "1e3", "4.0"};
                h = header.substring(0, at[0]) + values[r.nextInt(values.length)] + header.substring(at[1]);
            }
            case 2 -> h = header.replace("\"enc.bias\"", "\"enc.weight\""); // duplicate name
            case 3 -> h = header.replaceFirst("\\[", "[".repeat(1 + r.nextInt(200))); // unbalanced or deep nesting
            case 4 -> h = header.replaceFirst("\"enc", "\"\\\\u001b[31menc\\\\n"); // control characters in a name
            default -> h = header.replace("F32", r.nextBoolean() ? "F16" : "I64");
        }
        byte[] hb = h.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).put(hb).put(data).array();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        var bos = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(bos)) {
            gz.write(raw);
        }
        return bos.toByteArray();
    }

    private static String hex(byte[] b) {
        var s = new StringBuilder();
        for (int i = 0; i < Math.min(32, b.length); i++) s.append(String.format("%02x", b[i]));
        return s.toString();
    }
}
