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

    /**
     * The extra models at small widths, built from the same seed on both backends (Philox init is
     * the same everywhere): their samples, and the losses of one training step on the same batch.
     */
    @Test void extraModelsMatchTheCpu() {
        var gpu = GpuTestSupport.backend(POISONED);
        int[] labels = {3, 7, 0, 9};
        var real = GpuTestSupport.uniform(41, -1f, 1f, 4, 1, 28, 28);
        var spec = new io.genten.models.ConditionalDcgan.Spec(8, 4, 4, 4, 4, 4, 0.3f);
        var lsSpec = new io.genten.models.MlpGan.Spec("lsgan", 8, new int[] {16, 8}, new int[] {8, 16}, true, true,
                io.genten.models.GanLoss.LEAST_SQUARES, 0.2f, true);
        java.util.List<java.util.function.Function<io.genten.backend.Backend, io.genten.models.PairGan>> models = List.of(
                b -> new io.genten.models.ConditionalDcgan(b, spec, 5),
                b -> new io.genten.models.MlpGan(b, lsSpec, 6),
                b -> new io.genten.models.MlpGan(b, io.genten.models.MlpGan.simple(), 7));
        for (var make : models) {
            var c = make.apply(CPU);
            var g = make.apply(gpu);
            try (var scope = TensorScope.open()) {
                var sc = c instanceof io.genten.models.ConditionalDcgan cc ? cc.sample(labels, 11) : c.sample(4, 11);
                var sg = g instanceof io.genten.models.ConditionalDcgan cg ? cg.sample(labels, 11) : g.sample(4, 11);
                GpuTestSupport.close(c.kind() + " samples", sg, sc, 1e-5);
                var x = c.low() < 0 ? real : CPU.scale(CPU.add(real, CPU.full(real.shape(), 1f)), 0.5f);
                var adam = io.genten.backend.AdamConfig.of(2e-4f, 0.5f, 0.999f);
                try (var tc = new io.genten.models.GanPairTrainer(c, 3, 0.9f, adam); var tg = new io.genten.models.GanPairTrainer(g, 3, 0.9f, adam)) {
                    var lc = tc.step(x, labels);
                    var lg = tg.step(gpu.copyOf(x), labels);
                    assertEquals(lc.discriminator(), lg.discriminator(), 1e-4f * Math.max(1f, Math.abs(lc.discriminator())), c.kind() + " D loss");
                    assertEquals(lc.generator(), lg.generator(), 1e-4f * Math.max(1f, Math.abs(lc.generator())), c.kind() + " G loss");
                }
            }
        }
        var vc = new io.genten.models.DenseVae(CPU, 4, 2, 8);
        var vg = new io.genten.models.DenseVae(gpu, 4, 2, 8);
        for (var recon : io.genten.models.DenseVaeTrainer.Reconstruction.values()) {
            try (var scope = TensorScope.open();
                 var tc = new io.genten.models.DenseVaeTrainer(vc, recon, io.genten.backend.AdamConfig.of(1e-3f, 0.9f, 0.999f));
                 var tg = new io.genten.models.DenseVaeTrainer(vg, recon, io.genten.backend.AdamConfig.of(1e-3f, 0.9f, 0.999f))) {
                var x = GpuTestSupport.uniform(42, 0f, 1f, 4, 1, 28, 28);
                var lc = tc.step(x);
                var lg = tg.step(gpu.copyOf(x));
                assertEquals(lc.total(), lg.total(), 1e-4f * lc.total(), "vae2d " + recon + " loss");
                GpuTestSupport.close("vae2d " + recon + " decoded", vg.decode(gpu.copyOf(Tensor.of(new float[] {0.5f, -1f}, 1, 2))),
                        vc.decode(Tensor.of(new float[] {0.5f, -1f}, 1, 2)), 1e-5);
            }
        }
    }

    private static float[] oneHot(int n, int c, long seed) {
        var t = new float[n * c];
        var rnd = new java.util.Random(seed);
        for (int i = 0; i < n; i++) t[i * c + rnd.nextInt(c)] = 1f;
        return t;
    }
}
