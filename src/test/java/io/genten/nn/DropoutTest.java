package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Dropout: the Philox mask of (seed, offset), a new offset each forward, the same mask in backward. */
class DropoutTest {
    private static final float P = 0.3f;
    private static final long SEED = 1234;

    /** The reference: keep x / (1 - p) where the uniform of (seed, offset) is >= p. */
    private static float[] masked(float[] x, long offset) {
        var u = new float[x.length];
        Philox.fillUniform(SEED, offset, u);
        var y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = u[i] >= P ? x[i] / (1 - P) : 0f;
        return y;
    }

    @Test void maskAdvancesEachForwardAndBackwardReusesIt() {
        var drop = new Dropout(CpuBackend.get(), P, SEED);
        var shape = Shape.of(3, 37);
        try (var scope = TensorScope.open()) {
            float[] x = GradCheck.randn(1, shape.size());
            float[] y0 = drop.forward(Tensor.wrap(x.clone(), shape)).toArray();
            assertArrayEquals(masked(x, 0), y0, 1e-6f);
            float[] dy = GradCheck.randn(2, shape.size());
            assertArrayEquals(masked(dy, 0), drop.backward(Tensor.wrap(dy.clone(), shape)).toArray(), 1e-6f);

            float[] y1 = drop.forward(Tensor.wrap(x.clone(), shape)).toArray();
            assertArrayEquals(masked(x, 1), y1, 1e-6f);
            assertFalse(Arrays.equals(y0, y1), "the second forward must draw a new mask");
            assertArrayEquals(masked(dy, 1), drop.backward(Tensor.wrap(dy.clone(), shape)).toArray(), 1e-6f);
            assertEquals(2, drop.nextOffset());

            long zeros = 0;
            for (float v : y1) if (v == 0f) zeros++;
            assertTrue(zeros > 0 && zeros < y1.length, "some but not all values dropped: " + zeros);
        }
    }

    @Test void identityInEvalAndWithZeroRate() {
        var drop = new Dropout(CpuBackend.get(), P, SEED);
        drop.eval();
        var x = Tensor.of(new float[] {1, 2, 3}, 1, 3);
        assertSame(x, drop.forward(x));
        assertSame(x, drop.backward(x));
        assertEquals(0, drop.nextOffset(), "eval forward must not consume an offset");
        var off = new Dropout(CpuBackend.get(), 0f, SEED);
        assertSame(x, off.forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(CpuBackend.get(), 1f, SEED));
        assertThrows(IllegalStateException.class, () -> new Dropout(CpuBackend.get(), P, SEED).backward(x));
    }
}
