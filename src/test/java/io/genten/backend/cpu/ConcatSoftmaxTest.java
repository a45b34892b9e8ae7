package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Reduction;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** concat / slice and the softmax cross-entropy against plain float64 definitions and finite differences. */
class ConcatSoftmaxTest {
    private final CpuBackend cpu = CpuBackend.get();

    /** Element (n, c, i) of the concatenation is element (n, c - offset_k, i) of the part k that holds channel c. */
    @Test void concatRank4MatchesIndexDefinitionAndSliceInvertsIt() {
        var rnd = new Random(1);
        int n = 3, h = 5, w = 3;
        int[] channels = {1, 4, 2};
        try (var scope = TensorScope.open()) {
            var parts = new java.util.ArrayList<Tensor>();
            for (int c : channels) parts.add(Tensor.wrap(GradCheck.randn(rnd, n * c * h * w, 1, 0.5), Shape.of(n, c, h, w)));
            var out = cpu.concat(parts);
            assertEquals(Shape.of(n, 7, h, w), out.shape());
            float[] o = out.toArray();
            int at = 0;
            for (int k = 0; k < channels.length; k++) {
                float[] p = parts.get(k).toArray();
                for (int b = 0; b < n; b++)
                    for (int c = 0; c < channels[k]; c++)
                        for (int i = 0; i < h * w; i++)
                            assertEquals(p[(b * channels[k] + c) * h * w + i], o[(b * 7 + at + c) * h * w + i], "part " + k);
                assertArrayEquals(p, cpu.slice(out, at, channels[k]).toArray(), "slice of part " + k);
                at += channels[k];
            }
        }
    }

    @Test void concatRank2Features() {
        try (var scope = TensorScope.open()) {
            var a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
            var b = Tensor.of(new float[] {5, 6, 7, 8, 9, 10}, 2, 3);
            assertArrayEquals(new float[] {1, 2, 5, 6, 7, 3, 4, 8, 9, 10}, cpu.concat(List.of(a, b)).toArray());
            assertArrayEquals(new float[] {2, 5, 4, 8}, cpu.slice(cpu.concat(List.of(a, b)), 1, 2).toArray());
        }
    }

    @Test void badShapesNameTheOpAndShapes() {
        try (var scope = TensorScope.open()) {
            var a = Tensor.zeros(2, 3, 4, 4);
            var b = Tensor.zeros(2, 1, 4, 5);
            var e = assertThrows(IllegalArgumentException.class, () -> cpu.concat(List.of(a, b)));
            assertTrue(e.getMessage().contains("concat") && e.getMessage().contains("[2, 1, 4, 5]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.concat(List.of(a, Tensor.zeros(3, 3, 4, 4))));
            assertThrows(IllegalArgumentException.class, () -> cpu.concat(List.of()));
            assertThrows(IllegalArgumentException.class, () -> cpu.concat(List.of(Tensor.zeros(4))));
            var s = assertThrows(IllegalArgumentException.class, () -> cpu.slice(a, 2, 2));
            assertTrue(s.getMessage().contains("slice") && s.getMessage().contains("[2, 3, 4, 4]"), s.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.slice(a, -1, 1));
            assertThrows(IllegalArgumentException.class, () -> cpu.slice(a, 0, 0));
            var x = assertThrows(IllegalArgumentException.class, () -> cpu.softmaxCrossEntropy(Tensor.zeros(2, 3), Tensor.zeros(2, 4), Reduction.MEAN));
            assertTrue(x.getMessage().contains("softmaxCrossEntropy"), x.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.softmaxCrossEntropy(Tensor.zeros(6), Tensor.zeros(6), Reduction.MEAN));
        }
    }

    private static double xentRef(double[] x, float[] t, int n, int c, Reduction r) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < c; j++) s += Math.exp(x[i * c + j]);
            for (int j = 0; j < c; j++) total -= t[i * c + j] * (x[i * c + j] - Math.log(s));
        }
        return r == Reduction.MEAN ? total / n : total;
    }

    /** One-hot and soft targets (rows not summing to 1 too), both reductions, a scale, odd sizes. */
    @Test void softmaxCrossEntropyForwardAndFiniteDifferences() {
        var rnd = new Random(7);
        int n = 5, c = 7;
        float[] x = GradCheck.randn(rnd, n * c, 2.0, 0.3);
        var oneHot = new float[n * c];
        for (int i = 0; i < n; i++) oneHot[i * c + rnd.nextInt(c)] = 1f;
        float[] soft = GradCheck.uniform(rnd, n * c, 0.05, 0.6);
        for (float[] t : List.of(oneHot, soft)) {
            for (var r : Reduction.values()) {
                try (var scope = TensorScope.open()) {
                    var logits = Tensor.wrap(x.clone(), Shape.of(n, c));
                    var targets = Tensor.wrap(t.clone(), Shape.of(n, c));
                    double want = xentRef(GradCheck.toDouble(x), t, n, c, r);
                    assertEquals(want, cpu.softmaxCrossEntropy(logits, targets, r).item(), 1e-5 * Math.abs(want), r + " loss");
                    float scale = 0.75f;
                    var dx = cpu.softmaxCrossEntropyBackward(logits, targets, r, scale).toArray();
                    double[] num = GradCheck.numericGradient(GradCheck.toDouble(x), v -> scale * xentRef(v, t, n, c, r), 1e-6);
                    GradCheck.assertClose("softmaxCrossEntropy " + r + " dx", dx, num, 1e-6);
                }
            }
        }
    }

    /** Huge logits: log-sum-exp shifted by the row maximum stays finite and exact. */
    @Test void softmaxCrossEntropyIsStableForLargeLogits() {
        try (var scope = TensorScope.open()) {
            var logits = Tensor.of(new float[] {1000f, 0f, -1000f, 50f}, 2, 2);
            var targets = Tensor.of(new float[] {0f, 1f, 1f, 0f}, 2, 2);
            float loss = cpu.softmaxCrossEntropy(logits, targets, Reduction.SUM).item();
            assertEquals(1000f + 1050f, loss, 1e-3f);
            var dx = cpu.softmaxCrossEntropyBackward(logits, targets, Reduction.SUM, 1f).toArray();
            assertArrayEquals(new float[] {1f, -1f, -1f, 1f}, dx, 1e-6f);
        }
    }
}
