package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** Derived seeds: distinct per call, distinct from the model's seed, fixed by it, spread apart for nearby seeds. */
class InitSeedsTest {
    @Test void derivedSeedsAreDistinctAndReproducible() {
        for (long seed : new long[] {0, 1, 42, -1, Long.MIN_VALUE}) {
            var a = new Init(seed);
            var b = new Init(seed);
            var seen = new HashSet<Long>();
            seen.add(seed);
            for (int i = 0; i < 100; i++) {
                long s = a.derivedSeed();
                assertTrue(seen.add(s), "derived seed " + i + " of " + seed + " repeats: " + s);
                assertEquals(s, b.derivedSeed(), "derived seeds are fixed by the seed");
            }
            assertEquals(seed, a.seed());
        }
        // nearby model seeds give unrelated first derived seeds
        var firsts = new HashSet<Long>();
        for (long seed = 0; seed < 1000; seed++) firsts.add(new Init(seed).derivedSeed());
        assertEquals(1000, firsts.size());
        assertNotEquals(new Init(1).derivedSeed() + 1, new Init(2).derivedSeed());
    }

    /** SplitMix64's finalizer: known values computed in Python with 64-bit masking. */
    @Test void mixIsSplitMix64sFinalizer() {
        assertEquals(0L, Init.mix(0));
        assertEquals(6238072747940578789L, Init.mix(1));
        assertEquals(-2606959012126976886L, Init.mix(2));
        assertEquals(-6387817139659442654L, Init.mix(42));
    }

    /**
     * The first derived seeds of a few model seeds, mix(seed ^ 0x5DEECE66D * k) for k = 1, 2, 3, computed in
     * Python with 64-bit masking: a checkpoint's dropout masks depend on them, so they must not move.
     */
    @Test void derivedSeedsHaveKnownValues() {
        long[][] expected = {
            {0, -8334572583991434335L, -5581913314323939326L, 3571180410474562218L},
            {42, -7544679174058203999L, 1661784848245213269L, 7971054288594311643L},
            {-1, 7273797369855828669L, 338641580444024358L, -7974253177377774461L},
        };
        for (var e : expected) {
            var init = new Init(e[0]);
            for (int k = 1; k <= 3; k++) assertEquals(e[k], init.derivedSeed(), "derived seed " + k + " of " + e[0]);
        }
    }

    /**
     * Each uniform() draws from the next Philox offset, 0, 1, 2, ...: the values of seed 42 with bound
     * 0.5, (2u - 1) / 2 of Philox uniforms computed in Python (benchmarks/reference/philox.py's words).
     * A model's initial weights depend on this order.
     */
    @Test void uniformDrawsFromSuccessiveOffsetsWithKnownValues() {
        var init = new Init(42);
        var cpu = io.genten.backend.cpu.CpuBackend.get();
        float[][] expected = {
            {0.1129598617553711f, -0.031413495540618896f, -0.42676830291748047f},
            {-0.48994117975234985f, -0.37375015020370483f, -0.26793384552001953f},
            {-0.10158634185791016f, 0.020238399505615234f, -0.07838267087936401f},
        };
        for (int k = 0; k < expected.length; k++) {
            try (var t = init.uniform(cpu, io.genten.tensor.Shape.of(3), 0.5)) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(expected[k], t.toArray(), "offset " + k);
            }
        }
    }
}
