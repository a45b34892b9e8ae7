package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.ConvImpl;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import io.genten.backend.Reduction;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The CUDA family classes at their edges, against the CPU backend: empty batches, channels and
 * features (the results the kernels never see, which the Java side fills or returns itself; the
 * allocations are poisoned with NaN, so a fill left out shows), and the arguments each op refuses
 * by name before launching. Mutation testing on the emulator found these branches unreached by
 * tests that use only valid, non-empty shapes.
 */
@Tag("gpu")
class CudaEdgesTest {
    private static final CpuBackend CPU = CpuBackend.get();
    private static CudaBackend gpu;

    @BeforeAll static void open() {
        GpuTestSupport.requireGpu();
        gpu = GpuTestSupport.backend(GpuTestSupport.CONFIGS.getFirst()); // our kernels, poisoned allocations
    }

    @AfterAll static void close() { GpuTestSupport.closeAll(); }

    /** {@code op} on the CPU and on the GPU from the same host inputs ({@code on} moves one to the backend): equal results. */
    private static void same(String what, BiFunction<Backend, UnaryOperator<Tensor>, Tensor> op) {
        try (var scope = TensorScope.open()) {
            var cpu = op.apply(CPU, t -> t);
            var cuda = op.apply(gpu, gpu::copyOf);
            GpuTestSupport.close(what, cuda, cpu, 1e-5);
        }
    }

    /**
     * A NaN result (a mean over nothing) must be written, not left over: on a backend without the
     * NaN poison, whose result block is a recycled one holding a number. The CPU gives NaN too.
     */
    private static void writesNaN(String what, BiFunction<Backend, Tensor[], Tensor> op, int[]... inputs) {
        try (var scope = TensorScope.open()) {
            var host = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) host[i] = randn(40 + i, inputs[i]);
            assertTrue(Float.isNaN(op.apply(CPU, host).item()), what + " on the CPU");
            try (var plain = new CudaBackend(new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.NATIVE, false))) {
                var on = new Tensor[inputs.length];
                for (int i = 0; i < inputs.length; i++) on[i] = plain.copyOf(host[i]);
                plain.full(Shape.scalar(), 7f).close(); // its block goes back to the cache, for the result to reuse
                var r = op.apply(plain, on);
                assertTrue(Float.isNaN(r.item()), what + ": " + r.item());
            }
        }
    }

    private static void refused(String op, Executable call) {
        try (var scope = TensorScope.open()) {
            var e = assertThrows(IllegalArgumentException.class, call, op);
            assertTrue(e.getMessage().startsWith(op), op + ": " + e.getMessage());
        }
    }

    private static Tensor randn(long seed, int... dims) { return GpuTestSupport.randn(seed, dims); }

    @Test void convAtEmptySizes() {
        var spec = new Conv2dSpec(1, 1);
        // an empty batch: empty results, and a filter gradient of zeros
        same("conv forward, N = 0", (b, on) -> b.conv2dForward(on.apply(randn(1, 0, 3, 5, 5)), on.apply(randn(2, 5, 3, 3, 3)), on.apply(randn(3, 5)), spec));
        same("conv backward data, N = 0", (b, on) -> b.conv2dBackwardData(on.apply(randn(4, 0, 5, 5, 7)), on.apply(randn(5, 5, 3, 3, 3)), Shape.of(0, 3, 5, 7), spec));
        same("conv backward filter, N = 0", (b, on) -> b.conv2dBackwardFilter(on.apply(randn(6, 0, 5, 5, 7)), on.apply(randn(7, 0, 3, 5, 7)), Shape.of(5, 3, 3, 3), spec));
        // no output channels: an input gradient of zeros, an empty filter gradient
        same("conv backward data, K = 0", (b, on) -> b.conv2dBackwardData(on.apply(randn(8, 2, 0, 5, 7)), on.apply(randn(9, 0, 3, 3, 3)), Shape.of(2, 3, 5, 7), spec));
        same("conv backward filter, K = 0", (b, on) -> b.conv2dBackwardFilter(on.apply(randn(10, 2, 0, 5, 7)), on.apply(randn(11, 2, 3, 5, 7)), Shape.of(0, 3, 3, 3), spec));
        same("bias gradient, N = 0", (b, on) -> b.biasGradient(on.apply(randn(12, 0, 5, 3, 3))));
        same("bias gradient, C = 0", (b, on) -> b.biasGradient(on.apply(randn(13, 3, 0, 3, 3))));
        same("bias gradient, rank 2", (b, on) -> b.biasGradient(on.apply(randn(14, 7, 5))));
        same("add bias in place, N = 0", (b, on) -> {
            var y = on.apply(randn(15, 0, 5, 3, 3));
            b.addBiasInPlace(y, on.apply(randn(16, 5)));
            return y;
        });
        same("add bias in place, rank 2", (b, on) -> {
            var y = on.apply(randn(17, 7, 5));
            b.addBiasInPlace(y, on.apply(randn(18, 5)));
            return y;
        });
    }

    @Test void convRefusesWhatDoesNotFit() {
        var spec = new Conv2dSpec(1, 1);
        var x = gpu.randn(Shape.of(2, 3, 4, 6), 1, 0);
        var w = gpu.randn(Shape.of(5, 3, 3, 3), 2, 0);
        refused("conv2dForward", () -> gpu.conv2dForward(x, w, gpu.randn(Shape.of(4), 3, 0), spec));
        // dy of the right size in another shape ((2, 5, 6, 4) for (2, 5, 4, 6)) would be read misindexed
        var dyTransposed = gpu.randn(Shape.of(2, 5, 6, 4), 4, 0);
        refused("conv2dBackwardData", () -> gpu.conv2dBackwardData(dyTransposed, w, x.shape(), spec));
        refused("conv2dBackwardFilter", () -> gpu.conv2dBackwardFilter(dyTransposed, x, w.shape(), spec));
        refused("conv2dBackwardData", () -> gpu.conv2dBackwardData(gpu.randn(Shape.of(2, 5, 4, 6), 5, 0), w, Shape.of(2, 3, 4), spec));
        refused("biasGradient", () -> gpu.biasGradient(gpu.randn(Shape.of(5), 6, 0)));
        var y = gpu.randn(Shape.of(2, 5, 4, 4), 7, 0);
        refused("addBiasInPlace", () -> gpu.addBiasInPlace(y, gpu.randn(Shape.of(4), 8, 0)));
        refused("addBiasInPlace", () -> gpu.addBiasInPlace(y, gpu.randn(Shape.of(5, 1), 9, 0)));
        refused("addBiasInPlace", () -> gpu.addBiasInPlace(gpu.randn(Shape.of(5), 10, 0), gpu.randn(Shape.of(5), 11, 0)));
    }

    @Test void batchNormAtEmptySizes() {
        same("batchnorm backward, N = 0", (b, on) -> b.batchNormBackward(on.apply(randn(1, 0, 3, 2, 2)), on.apply(randn(2, 0, 3, 2, 2)),
                on.apply(randn(3, 3)), on.apply(randn(4, 3)), on.apply(randn(5, 3))).dgamma());
        same("batchnorm backward, N = 0, dbeta", (b, on) -> b.batchNormBackward(on.apply(randn(1, 0, 3)), on.apply(randn(2, 0, 3)),
                on.apply(randn(3, 3)), on.apply(randn(4, 3)), on.apply(randn(5, 3))).dbeta());
        same("batchnorm inference, N = 0", (b, on) -> b.batchNormInference(on.apply(randn(6, 0, 3, 2, 2)), on.apply(randn(7, 3)),
                on.apply(randn(8, 3)), on.apply(randn(9, 3)), on.apply(GpuTestSupport.uniform(10, 0.5f, 2f, 3)), 1e-5f));
        same("batchnorm train, C = 0", (b, on) -> b.batchNormTrainForward(on.apply(randn(11, 4, 0, 2, 2)), on.apply(randn(12, 0)),
                on.apply(randn(13, 0)), on.apply(randn(14, 0)), on.apply(randn(15, 0)), 0.1f, 1e-5f).y());
        // two values per channel, the fewest a batch variance needs: (N, C) = (2, 5) and (1, C, 1, 2)
        same("batchnorm train, N = 2", (b, on) -> b.batchNormTrainForward(on.apply(randn(16, 2, 5)), on.apply(randn(17, 5)),
                on.apply(randn(18, 5)), on.apply(randn(19, 5)), on.apply(GpuTestSupport.uniform(20, 0.5f, 2f, 5)), 0.1f, 1e-5f).y());
        same("batchnorm train, H * W = 2", (b, on) -> b.batchNormTrainForward(on.apply(randn(21, 1, 3, 1, 2)), on.apply(randn(22, 3)),
                on.apply(randn(23, 3)), on.apply(randn(24, 3)), on.apply(GpuTestSupport.uniform(25, 0.5f, 2f, 3)), 0.1f, 1e-5f).y());
    }

    @Test void batchNormRefusesWhatDoesNotFit() {
        var c3 = gpu.randn(Shape.of(3), 1, 0);
        var c4 = gpu.randn(Shape.of(4), 2, 0);
        var x = gpu.randn(Shape.of(5, 3, 2, 2), 3, 0);
        var x3 = gpu.randn(Shape.of(5, 3, 4), 4, 0);
        refused("batchNormTrainForward", () -> gpu.batchNormTrainForward(x3, c3, c3, c3, c3, 0.1f, 1e-5f));
        refused("batchNormTrainForward", () -> gpu.batchNormTrainForward(gpu.randn(Shape.of(1, 3), 5, 0), c3, c3, c3, c3, 0.1f, 1e-5f));
        for (int i = 0; i < 4; i++) {
            var t = new Tensor[] {c3, c3, c3, c3};
            t[i] = c4;
            refused("batchNormTrainForward", () -> gpu.batchNormTrainForward(x, t[0], t[1], t[2], t[3], 0.1f, 1e-5f));
            refused("batchNormInference", () -> gpu.batchNormInference(x, t[0], t[1], t[2], t[3], 1e-5f));
        }
        for (int i = 0; i < 3; i++) {
            var t = new Tensor[] {c3, c3, c3};
            t[i] = c4;
            refused("batchNormBackward", () -> gpu.batchNormBackward(x, x, t[0], t[1], t[2]));
        }
        refused("batchNormBackward", () -> gpu.batchNormBackward(gpu.randn(Shape.of(5, 3, 4, 1), 6, 0), x, c3, c3, c3));
        refused("batchNormInference", () -> gpu.batchNormInference(x3, c3, c3, c3, c3, 1e-5f));
    }

    @Test void linearAtEmptySizes() {
        // no input features: y is the bias alone; no outputs or no batch: gradients of zeros or empty
        same("linear forward, in = 0", (b, on) -> b.linearForward(on.apply(randn(1, 3, 0)), on.apply(randn(2, 5, 0)), on.apply(randn(3, 5))));
        same("linear forward, in = 0, no bias", (b, on) -> b.linearForward(on.apply(randn(4, 3, 0)), on.apply(randn(5, 5, 0)), null));
        same("linear forward, N = 0", (b, on) -> b.linearForward(on.apply(randn(6, 0, 4)), on.apply(randn(7, 5, 4)), on.apply(randn(8, 5))));
        same("linear backward data, out = 0", (b, on) -> b.linearBackwardData(on.apply(randn(9, 3, 0)), on.apply(randn(10, 0, 4))));
        same("linear backward data, N = 0", (b, on) -> b.linearBackwardData(on.apply(randn(11, 0, 5)), on.apply(randn(12, 5, 4))));
        same("linear backward weight, N = 0", (b, on) -> b.linearBackwardWeight(on.apply(randn(13, 0, 5)), on.apply(randn(14, 0, 4))));
        same("linear backward weight, out = 0", (b, on) -> b.linearBackwardWeight(on.apply(randn(15, 3, 0)), on.apply(randn(16, 3, 4))));
    }

    @Test void linearRefusesWhatDoesNotFit() {
        var x = gpu.randn(Shape.of(3, 4), 1, 0);
        var w = gpu.randn(Shape.of(5, 4), 2, 0);
        var dy = gpu.randn(Shape.of(3, 5), 3, 0);
        var x3 = gpu.randn(Shape.of(3, 4, 1), 4, 0);
        refused("linearForward", () -> gpu.linearForward(x3, w, null));
        refused("linearForward", () -> gpu.linearForward(x, x3, null));
        refused("linearForward", () -> gpu.linearForward(x, gpu.randn(Shape.of(5, 3), 5, 0), null));
        refused("linearForward", () -> gpu.linearForward(x, w, gpu.randn(Shape.of(4), 6, 0)));
        // ranks 3 whose first two dimensions fit: only the rank check refuses them
        refused("linearBackwardData", () -> gpu.linearBackwardData(gpu.randn(Shape.of(3, 5, 1), 9, 0), w));
        refused("linearBackwardData", () -> gpu.linearBackwardData(dy, gpu.randn(Shape.of(5, 4, 1), 10, 0)));
        refused("linearBackwardData", () -> gpu.linearBackwardData(dy, gpu.randn(Shape.of(4, 4), 7, 0)));
        refused("linearBackwardWeight", () -> gpu.linearBackwardWeight(x3, x));
        refused("linearBackwardWeight", () -> gpu.linearBackwardWeight(dy, x3));
        refused("linearBackwardWeight", () -> gpu.linearBackwardWeight(dy, gpu.randn(Shape.of(4, 4), 8, 0)));
    }

    @Test void pointwiseLossesAndReductionsAtEmptySizes() {
        for (var act : List.of(Activation.RELU, Activation.TANH)) {
            same("activation forward, empty, " + act, (b, on) -> b.activationForward(act, on.apply(randn(1, 0, 3))));
            same("activation backward, empty, " + act, (b, on) -> b.activationBackward(act, on.apply(randn(2, 0, 3)), on.apply(randn(3, 0, 3)),
                    on.apply(randn(4, 0, 3))));
        }
        same("dropout, empty", (b, on) -> b.dropoutForward(on.apply(randn(5, 3, 0)), 0.5f, 1, 0));
        same("add, empty", (b, on) -> b.add(on.apply(randn(6, 0, 2)), on.apply(randn(7, 0, 2))));
        same("scale, empty", (b, on) -> b.scale(on.apply(randn(8, 0, 2)), 3f));
        same("addInPlace, empty", (b, on) -> {
            var acc = on.apply(randn(9, 2, 0));
            b.addInPlace(acc, on.apply(randn(10, 2, 0)));
            return acc;
        });
        same("sum, empty", (b, on) -> b.sum(on.apply(randn(11, 0, 4))));
        writesNaN("mean, empty", (b, t) -> b.mean(t[0]), new int[] {0, 4});
        writesNaN("bce, empty, MEAN", (b, t) -> b.bceWithLogits(t[0], t[1], Reduction.MEAN), new int[] {0, 3}, new int[] {0, 3});
        writesNaN("mse, empty, MEAN", (b, t) -> b.mse(t[0], t[1], Reduction.MEAN), new int[] {0, 3}, new int[] {0, 3});
        same("bce, empty, SUM", (b, on) -> b.bceWithLogits(on.apply(randn(13, 0, 3)), on.apply(randn(14, 0, 3)), Reduction.SUM));
        same("mse, empty, SUM", (b, on) -> b.mse(on.apply(randn(15, 0, 3)), on.apply(randn(16, 0, 3)), Reduction.SUM));
        for (var r : Reduction.values()) {
            same("bce backward, empty, " + r, (b, on) -> b.bceWithLogitsBackward(on.apply(randn(17, 0, 3)), on.apply(randn(18, 0, 3)), r, 0.5f));
            same("mse backward, empty, " + r, (b, on) -> b.mseBackward(on.apply(randn(19, 0, 3)), on.apply(randn(20, 0, 3)), r, 0.5f));
        }
    }

    @Test void pointwiseAndLossesRefuseWhatDoesNotFit() {
        var a = gpu.randn(Shape.of(4, 3), 1, 0);
        var b = gpu.randn(Shape.of(3, 4), 2, 0);
        refused("activationBackward", () -> gpu.activationBackward(Activation.RELU, a, b, a));
        refused("activationBackward", () -> gpu.activationBackward(Activation.RELU, a, a, b));
        refused("addInPlace", () -> gpu.addInPlace(a, b));
        refused("bceWithLogitsBackward", () -> gpu.bceWithLogitsBackward(a, b, Reduction.MEAN, 1f));
        refused("mseBackward", () -> gpu.mseBackward(a, b, Reduction.MEAN, 1f));
        for (float p : new float[] {-0.25f, 1f, Float.NaN}) {
            refused("dropoutForward", () -> gpu.dropoutForward(a, p, 1, 0));
            refused("dropoutBackward", () -> gpu.dropoutBackward(a, p, 1, 0));
        }
    }

    @Test void concatAndSliceAtTheirEdges() {
        // a part with no columns, an empty batch, a slice of one column at either end, a whole slice
        same("concat with an empty part", (b, on) -> b.concat(List.of(on.apply(randn(1, 3, 2, 5)), on.apply(randn(2, 3, 0, 5)), on.apply(randn(3, 3, 1, 5)))));
        same("concat, N = 0", (b, on) -> b.concat(List.of(on.apply(randn(4, 0, 2)), on.apply(randn(5, 0, 3)))));
        same("concat of rank 2, odd widths", (b, on) -> b.concat(List.of(on.apply(randn(6, 5, 3)), on.apply(randn(7, 5, 1)), on.apply(randn(8, 5, 4)))));
        same("slice, first column", (b, on) -> b.slice(on.apply(randn(9, 3, 4, 5)), 0, 1));
        same("slice, last column", (b, on) -> b.slice(on.apply(randn(10, 3, 4, 5)), 3, 1));
        same("slice, all", (b, on) -> b.slice(on.apply(randn(11, 3, 4, 5)), 0, 4));
        same("slice, N = 0", (b, on) -> b.slice(on.apply(randn(12, 0, 4)), 1, 2));
        same("concat, W = 0", (b, on) -> b.concat(List.of(on.apply(randn(13, 2, 3, 0)), on.apply(randn(14, 2, 1, 0)))));
        same("slice, W = 0", (b, on) -> b.slice(on.apply(randn(15, 2, 4, 0)), 1, 2));
        var x = gpu.randn(Shape.of(3, 4), 1, 0);
        // logits and targets of the same size in other shapes, and logits of rank 1
        var targets = gpu.rand(Shape.of(4, 3), 3, 0);
        refused("softmaxCrossEntropy", () -> gpu.softmaxCrossEntropy(x, targets, Reduction.MEAN));
        refused("softmaxCrossEntropyBackward", () -> gpu.softmaxCrossEntropyBackward(x, targets, Reduction.MEAN, 1f));
        var flat = gpu.randn(Shape.of(12), 4, 0);
        refused("softmaxCrossEntropyBackward", () -> gpu.softmaxCrossEntropyBackward(flat, gpu.rand(Shape.of(12), 5, 0), Reduction.SUM, 1f));
        refused("slice", () -> gpu.slice(x, 3, 2));
        refused("slice", () -> gpu.slice(x, -1, 2));
        refused("concat", () -> gpu.concat(List.of(x, gpu.randn(Shape.of(2, 4), 2, 0))));
    }
}
