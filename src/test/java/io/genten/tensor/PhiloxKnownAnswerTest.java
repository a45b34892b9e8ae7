package io.genten.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The uniform and normal streams bit for bit against values computed by an independent
 * implementation, {@code src/test/resources/philox/philox_kat.py} (written from the Random123
 * paper and the stream contract, checked there against Random123's known answers). These bits
 * are the CPU/GPU noise contract: a change to the word layout, the transforms or Box-Muller's
 * guard shows here, not only in the moments.
 */
class PhiloxKnownAnswerTest {
    record Stream(String kind, long seed, long offset, int length) {}

    record Expected(int index, int bits) {}

    static Map<Stream, List<Expected>> load() throws IOException {
        var in = PhiloxKnownAnswerTest.class.getResourceAsStream("/philox/philox_kat.txt");
        assertNotNull(in, "philox/philox_kat.txt is missing from the test resources");
        var out = new LinkedHashMap<Stream, List<Expected>>();
        try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                var f = line.trim().split(" ");
                if (f.length != 6) continue;
                var s = new Stream(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]));
                out.computeIfAbsent(s, k -> new ArrayList<>()).add(new Expected(Integer.parseInt(f[4]), Integer.parseUnsignedInt(f[5], 16)));
            }
        }
        return out;
    }

    @Test
    void uniformAndNormalStreamsMatchTheIndependentImplementation() throws IOException {
        var cases = load();
        int checked = 0;
        for (var e : cases.entrySet()) {
            var s = e.getKey();
            var values = new float[s.length()];
            switch (s.kind()) {
                case "uniform" -> Philox.fillUniform(s.seed(), s.offset(), values);
                case "normal" -> Philox.fillNormal(s.seed(), s.offset(), values);
                default -> throw new AssertionError("unknown kind " + s.kind());
            }
            float[] viaBackend = null;
            if (s.length() < 100) {
                try (var t = s.kind().equals("uniform") ? CpuBackend.get().rand(Shape.of(s.length()), s.seed(), s.offset())
                        : CpuBackend.get().randn(Shape.of(s.length()), s.seed(), s.offset())) {
                    viaBackend = t.toArray();
                }
            }
            for (var x : e.getValue()) {
                String what = s + " element " + x.index();
                assertEquals(Integer.toHexString(x.bits()), Integer.toHexString(Float.floatToRawIntBits(values[x.index()])), what);
                if (viaBackend != null) {
                    assertEquals(Integer.toHexString(x.bits()), Integer.toHexString(Float.floatToRawIntBits(viaBackend[x.index()])), what + " (CpuBackend)");
                }
                checked++;
            }
        }
        assertTrue(checked >= 240, "checked " + checked + " values");
    }

    /**
     * Stream (42, 89553) has the word 0x0000005a at element 8: u1 = ((x >>> 8) + 1) 2^-24 is 2^-24,
     * the smallest value, so r = sqrt(-2 ln 2^-24) = 5.768; without the +1 it would be log(0).
     */
    @Test
    void boxMullerNeverTakesTheLogOfZero() {
        assertEquals(0, Philox.streamBlock(42, 89553, 2)[0] >>> 8, "the guard case's word");
        var v = new float[12];
        Philox.fillNormal(42, 89553, v);
        for (float x : v) assertTrue(Float.isFinite(x), "non-finite normal " + x);
        double r = Math.hypot(v[8], v[9]);
        assertEquals(Math.sqrt(-2 * Math.log(0x1p-24)), r, 1e-5, "radius at u1 = 2^-24");
    }
}
