package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Tensor;
import org.junit.jupiter.api.Test;

class BiasTest {
    private final CpuBackend cpu = CpuBackend.get();

    @Test void addsPerChannelAtOddAndEvenShapes() {
        for (int[] dims : new int[][] {{1, 1, 1, 1}, {3, 5, 7, 9}, {2, 4, 6, 6}, {5, 37}}) {
            try (var y = Tensor.randn(3, 1, dims); var b = Tensor.randn(4, 2, dims[1])) {
                var before = y.toArray();
                var bias = b.toArray();
                cpu.addBiasInPlace(y, b);
                var after = y.toArray();
                int c = dims[1], inner = before.length / (dims[0] * c);
                for (int i = 0; i < before.length; i++) {
                    int ch = (i / inner) % c;
                    assertEquals(before[i] + bias[ch], after[i], 0f, "element " + i);
                }
            }
        }
    }

    @Test void wrongBiasLengthNamesTheOp() {
        try (var y = Tensor.randn(1, 0, 2, 3, 4, 4); var b = Tensor.randn(1, 1, 4)) {
            var e = assertThrows(IllegalArgumentException.class, () -> cpu.addBiasInPlace(y, b));
            assertTrue(e.getMessage().contains("addBiasInPlace") && e.getMessage().contains("[2, 3, 4, 4]"), e.getMessage());
        }
    }
}
