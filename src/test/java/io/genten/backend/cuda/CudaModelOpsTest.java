package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;
import io.genten.backend.Reduction;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The extra models' ops (concat, slice, softmax cross-entropy; {@link CudaConcat}) on CUDA against
 * the CPU backend at odd and even sizes. Allocations are NaN-poisoned, so an element a kernel does
 * not write fails the comparison; concat and slice are copies and must be bit-exact.
 */
@Tag("gpu")
class CudaModelOpsTest {
    private static final CpuBackend CPU = CpuBackend.get();
    private static final CudaOptions POISONED = new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, true);

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    /** {n, h*w} x channel lists: rank 2 (h*w = 0 means rank 2) and rank 4, odd and even. */
    @Test void concatAndSliceAreExactCopies() {
        var gpu = GpuTestSupport.backend(POISONED);
        int[][] cases = {{1, 0, 1, 1}, {3, 0, 100, 10}, {64, 0, 100, 10}, {2, 9, 1, 10}, {5, 49, 3, 7, 2}, {64, 784, 1, 10}};
        long seed = 1;
        for (int[] cs : cases) {
            try (var scope = TensorScope.open()) {
                int n = cs[0], hw = cs[1];
                var host = new ArrayList<Tensor>();
                var dev = new ArrayList<Tensor>();
                for (int k = 2; k < cs.length; k++) {
                    var t = hw == 0 ? GpuTestSupport.randn(seed++, n, cs[k]) : GpuTestSupport.randn(seed++, n, cs[k], 1, hw);
                    host.add(t);
                    dev.add(gpu.copyOf(t));
                }
                var want = CPU.concat(host);
                var got = gpu.concat(dev);
                assertEquals(want.shape(), got.shape());
                assertArrayEquals(want.toArray(), got.toArray(), "concat " + want.shape());
                int total = want.dim(1);
                for (int[] range : new int[][] {{0, 1}, {0, total}, {total / 2, total - total / 2}, {total - 1, 1}}) {
                    assertArrayEquals(CPU.slice(want, range[0], range[1]).toArray(), gpu.slice(got, range[0], range[1]).toArray(),
                            "slice " + want.shape() + " [" + range[0] + ", +" + range[1] + ")");
                }
            }
        }
    }

    @Test void softmaxCrossEntropyMatchesTheCpu() {
        var gpu = GpuTestSupport.backend(POISONED);
        int[][] cases = {{1, 1}, {1, 10}, {7, 3}, {64, 10}, {257, 10}, {33, 1000}};
        long seed = 100;
        for (int[] nc : cases) {
            int n = nc[0], c = nc[1];
            try (var scope = TensorScope.open()) {
                var x = GpuTestSupport.randn(seed++, n, c);
                for (float[] t : List.of(oneHot(n, c, seed), GpuTestSupport.uniform(seed++, 0f, 1f, n, c).toArray())) {
                    var targets = Tensor.wrap(t, Shape.of(n, c));
                    for (var r : Reduction.values()) {
                        String what = "softmaxCrossEntropy (" + n + ", " + c + ") " + r;
                        float want = CPU.softmaxCrossEntropy(x, targets, r).item();
                        float got = gpu.softmaxCrossEntropy(gpu.copyOf(x), gpu.copyOf(targets), r).item();
                        assertEquals(want, got, 1e-5f * Math.max(1f, Math.abs(want)), what);
                        GpuTestSupport.close(what + " backward", gpu.softmaxCrossEntropyBackward(gpu.copyOf(x), gpu.copyOf(targets), r, 0.5f),
                                CPU.softmaxCrossEntropyBackward(x, targets, r, 0.5f), 1e-6);
                    }
                }
            }
        }
    }

    @Test void badShapesAreRefusedBeforeAnyLaunch() {
        var gpu = GpuTestSupport.backend(POISONED);
        try (var scope = TensorScope.open()) {
            assertThrows(IllegalArgumentException.class, () -> gpu.concat(List.of(gpu.zeros(Shape.of(2, 3)), gpu.zeros(Shape.of(3, 3)))));
            assertThrows(IllegalArgumentException.class, () -> gpu.slice(gpu.zeros(Shape.of(2, 3)), 2, 2));
            assertThrows(IllegalArgumentException.class, () -> gpu.concat(List.of(Tensor.zeros(2, 3))));
            assertThrows(IllegalArgumentException.class, () -> gpu.softmaxCrossEntropy(gpu.zeros(Shape.of(2, 3)), gpu.zeros(Shape.of(2, 4)), Reduction.SUM));
        }
    }

    private static float[] oneHot(int n, int c, long seed) {
        var t = new float[n * c];
        var rnd = new java.util.Random(seed);
        for (int i = 0; i < n; i++) t[i * c + rnd.nextInt(c)] = 1f;
        return t;
    }
}
