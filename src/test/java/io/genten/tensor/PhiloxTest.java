package io.genten.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PhiloxTest {

    /** Random123's known-answer vectors for philox4x32-10 (kat_vectors). */
    /** The pieces cover [lo, hi) in order, each word the block-by-block generator's, the last piece short. */
    @Test
    void wordsInPiecesEqualTheBlockByBlockGenerator() {
        long seed = 0x123456789ABCDEFL, offset = 77;
        int lo = 4 * 1000, hi = lo + 2 * 1024 + 13;
        int[] next = {lo};
        Philox.wordsInPieces(seed, offset, lo, hi, (w, from, to) -> {
            assertEquals(next[0], from, "pieces in order, none skipped");
            for (int i = from; i < to; i++) {
                int expected = Philox.streamBlock(seed, offset, i / 4)[i % 4];
                assertEquals(expected, w[i - from], "element " + i);
            }
            next[0] = to;
        });
        assertEquals(hi, next[0]);
        assertThrows(IllegalArgumentException.class, () -> Philox.wordsInPieces(seed, offset, 2, 10, (w, from, to) -> {}));
    }

    @Test
    void vectorizedWordsEqualTheBlockByBlockGenerator() {
        long[][] keys = {{0, 0}, {42, 7}, {-1L, -1L}, {0x123456789ABCDEFL, 1L << 40}};
        long[] starts = {0, 1, 999, (1L << 32) - 3}; // the last crosses the counter's 32-bit word
        for (long[] key : keys) {
            for (long start : starts) {
                // 13: one partial run of lanes; 600: two full runs of 256 and a partial one, into an
                // array of exactly 4 * blocks words
                for (int blocks : new int[] {13, 600}) {
                    var w = new int[4 * blocks];
                    Philox.words(key[0], key[1], start, blocks, w);
                    for (int j = 0; j < blocks; j++) {
                        assertArrayEquals(Philox.streamBlock(key[0], key[1], start + j), Arrays.copyOfRange(w, 4 * j, 4 * j + 4),
                                "block " + (start + j) + " of stream " + Arrays.toString(key) + ", " + blocks + " blocks");
                    }
                }
            }
        }
    }

    @Test
    void knownAnswerVectors() {
        assertArrayEquals(words(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8), Philox.block(0, 0, 0, 0, 0, 0));
        int f = 0xffffffff;
        assertArrayEquals(words(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd), Philox.block(f, f, f, f, f, f));
        assertArrayEquals(words(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1),
                Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    private static int[] words(int... w) { return w; }

    @Test
    void streamLayoutIsCounterBlockLaneAndKeySeed() {
        long seed = 0x0123456789abcdefL, offset = 0x1122334455667788L;
        var u = new float[4 * 5 + 3];
        Philox.fillUniform(seed, offset, u);
        for (int i = 0; i < u.length; i++) {
            long b = i / 4;
            int[] w = Philox.block((int) b, 0, 0x55667788, 0x11223344, 0x89abcdef, 0x01234567);
            assertEquals(Philox.uniform(w[i % 4]), u[i], "element " + i);
        }
    }

    @Test
    void normalMomentsOnAMillionSamples() {
        int n = 1_000_000;
        var x = new float[n];
        Philox.fillNormal(2024, 0, x);
        double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        for (float v : x) {
            assertTrue(Float.isFinite(v));
            s1 += v;
        }
        double mean = s1 / n;
        for (float v : x) {
            double d = v - mean;
            s2 += d * d;
            s3 += d * d * d;
            s4 += d * d * d * d;
        }
        double var = s2 / n, skew = s3 / n / Math.pow(var, 1.5), kurt = s4 / n / (var * var);
        // tolerances are about 6 standard errors of each estimate at n = 1e6
        assertEquals(0, mean, 0.006, "mean");
        assertEquals(1, var, 0.009, "variance");
        assertEquals(0, skew, 0.015, "skewness");
        assertEquals(3, kurt, 0.03, "kurtosis");
    }

    @Test
    void uniformRangeAndMoments() {
        assertEquals(0f, Philox.uniform(0));
        assertTrue(Philox.uniform(0xffffffff) < 1f);
        int n = 1_000_000;
        var u = new float[n];
        Philox.fillUniform(7, 3, u);
        double s = 0, s2 = 0;
        float min = 1, max = 0;
        for (float v : u) {
            assertTrue(v >= 0f && v < 1f, "out of [0, 1): " + v);
            s += v;
            s2 += (double) v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double mean = s / n;
        assertEquals(0.5, mean, 0.002);
        assertEquals(1.0 / 12, s2 / n - mean * mean, 0.001);
        assertTrue(min < 1e-4 && max > 1 - 1e-4, "covers the range");
    }

    @Test
    void sameKeySameValuesOtherKeyOtherValues() {
        var a = new float[1001];
        var b = new float[1001];
        Philox.fillNormal(5, 9, a);
        Philox.fillNormal(5, 9, b);
        assertArrayEquals(a, b, "same (seed, offset)");
        var prefix = new float[10];
        Philox.fillNormal(5, 9, prefix);
        assertArrayEquals(prefix, Arrays.copyOf(a, 10), "element i does not depend on the length");
        for (long[] other : new long[][] {{6, 9}, {5, 10}, {5 + (1L << 40), 9}, {5, 9 + (1L << 40)}, {9, 5}}) {
            Philox.fillNormal(other[0], other[1], b);
            assertFalse(Arrays.equals(a, b), "stream " + Arrays.toString(other) + " differs from (5, 9)");
        }
        var u1 = new float[64];
        var u2 = new float[64];
        Philox.fillUniform(1, 0, u1);
        Philox.fillUniform(1, 1, u2);
        assertFalse(Arrays.equals(u1, u2));
    }

    @Test
    void backendRandomTensorsAreThePhiloxStreams() {
        var cpu = CpuBackend.get();
        try (var scope = TensorScope.open()) {
            var n = new float[6 * 7];
            Philox.fillNormal(11, 4, n);
            assertArrayEquals(n, cpu.randn(Shape.of(6, 7), 11, 4).toArray());
            assertArrayEquals(n, Tensor.randn(11, 4, 6, 7).toArray());
            var u = new float[6 * 7];
            Philox.fillUniform(11, 4, u);
            assertArrayEquals(u, cpu.rand(Shape.of(6, 7), 11, 4).toArray());
        }
    }

    /**
     * Ranges that meet fill the array as one call does, at several chunks' worth and an odd tail; so
     * do the CPU backend's rand and randn, which split the range over their threads. Arrays start as
     * NaN, so an element no range wrote shows.
     */
    @Test
    void rangesThatMeetFillAsOneCall() {
        int n = 3 * (1 << 14) + 7, piece = 4 * 333;
        var wholeNormal = new float[n];
        var wholeUniform = new float[n];
        Philox.fillNormal(9, 3, wholeNormal);
        Philox.fillUniform(9, 3, wholeUniform);
        var normal = new float[n];
        var uniform = new float[n];
        Arrays.fill(normal, Float.NaN);
        Arrays.fill(uniform, Float.NaN);
        for (int lo = 0; lo < n; lo += piece) {
            Philox.fillNormal(9, 3, normal, lo, Math.min(n, lo + piece));
            Philox.fillUniform(9, 3, uniform, lo, Math.min(n, lo + piece));
        }
        assertArrayEquals(wholeNormal, normal);
        assertArrayEquals(wholeUniform, uniform);
        try (var two = CpuBackend.withThreads(2); var scope = TensorScope.open()) {
            assertArrayEquals(wholeNormal, two.randn(Shape.of(n), 9, 3).toArray());
            assertArrayEquals(wholeUniform, two.rand(Shape.of(n), 9, 3).toArray());
        }
    }

    @Test
    void aRangeThatSplitsABlockOrLeavesTheArrayIsRefused() {
        var out = new float[10];
        for (int[] r : new int[][] {{2, 10}, {0, 11}, {8, 4}, {-4, 4}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Philox.fillUniform(1, 2, out, r[0], r[1]));
            assertTrue(e.getMessage().contains("[" + r[0] + ", " + r[1] + ")"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Philox.fillNormal(1, 2, out, r[0], r[1]));
        }
    }

    @Test
    void dropoutMaskIsThePhiloxUniformMaskInBothDirections() {
        var cpu = CpuBackend.get();
        float p = 0.25f;
        int n = 200_000;
        try (var scope = TensorScope.open()) {
            var ones = cpu.full(Shape.of(n), 1f);
            float[] fwd = cpu.dropoutForward(ones, p, 31, 2).toArray();
            float[] bwd = cpu.dropoutBackward(ones, p, 31, 2).toArray();
            assertArrayEquals(fwd, bwd, "backward regenerates the forward mask");
            var u = new float[n];
            Philox.fillUniform(31, 2, u);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(u[i] >= p, fwd[i] != 0f, "element " + i);
                if (fwd[i] != 0f) kept++;
            }
            assertEquals(1 - p, kept / (double) n, 6 * Math.sqrt(p * (1 - p) / n));
        }
    }
}
