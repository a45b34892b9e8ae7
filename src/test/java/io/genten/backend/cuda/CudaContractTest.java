package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.Reduction;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend's side of the CPU's {@code BackendContractTest}: every op refuses, by name, a
 * host tensor and a closed tensor before launching anything. Mutation testing on the emulator found
 * these checks exercised only with valid arguments (any of them could be removed unseen).
 */
@Tag("gpu")
class CudaContractTest {
    private static CudaBackend gpu;
    private static final CpuBackend CPU = CpuBackend.get();

    @BeforeAll static void open() {
        GpuTestSupport.requireGpu();
        gpu = GpuTestSupport.backend(GpuTestSupport.CONFIGS.getFirst());
    }

    @AfterAll static void close() { GpuTestSupport.closeAll(); }

    private static Map<String, Function<Tensor, Object>> ops() { return ops(gpu); }

    /**
     * Each op on {@code gpu}, called with its first tensor operand replaced by {@code t} (shapes
     * otherwise valid). Every other operand is made here, before the call, so that the op's own
     * launches are the first a call makes ({@code CudaInjectedFailuresTest} fails them).
     */
    static Map<String, Function<Tensor, Object>> ops(CudaBackend gpu) {
        var x4 = gpu.randn(Shape.of(2, 3, 4, 4), 1, 0);
        var w4 = gpu.randn(Shape.of(5, 3, 3, 3), 2, 0);
        var c3 = gpu.full(Shape.of(3), 1f);
        var c5 = gpu.randn(Shape.of(5), 3, 0);
        var x2 = gpu.randn(Shape.of(4, 6), 4, 0);
        var w2 = gpu.randn(Shape.of(2, 6), 5, 0);
        var d2 = gpu.randn(Shape.of(4, 2), 6, 0);
        var x2b = gpu.randn(Shape.of(4, 6), 7, 0);
        var probabilities = gpu.rand(Shape.of(4, 6), 10, 0);
        var runningMean = gpu.zeros(Shape.of(3));
        var runningVar = gpu.full(Shape.of(3), 1f);
        var m = gpu.zeros(d2.shape());
        var v = gpu.zeros(d2.shape());
        var spec = new Conv2dSpec(1, 1);
        var ops = new LinkedHashMap<String, Function<Tensor, Object>>();
        ops.put("conv2dForward", t -> gpu.conv2dForward(t, w4, null, spec));
        ops.put("conv2dBackwardData", t -> gpu.conv2dBackwardData(t, w4, x4.shape(), spec));
        ops.put("conv2dBackwardFilter", t -> gpu.conv2dBackwardFilter(t, x4, w4.shape(), spec));
        ops.put("addBiasInPlace", t -> { gpu.addBiasInPlace(t, c5); return null; });
        ops.put("biasGradient", gpu::biasGradient);
        ops.put("batchNormTrainForward", t -> gpu.batchNormTrainForward(t, c3, c3, runningMean, runningVar, 0.1f, 1e-5f));
        ops.put("batchNormBackward", t -> gpu.batchNormBackward(t, x4, c3, c3, c3));
        ops.put("batchNormInference", t -> gpu.batchNormInference(t, c3, c3, c3, c3, 1e-5f));
        ops.put("linearForward", t -> gpu.linearForward(t, w2, null));
        ops.put("linearBackwardData", t -> gpu.linearBackwardData(t, w2));
        ops.put("linearBackwardWeight", t -> gpu.linearBackwardWeight(t, x2));
        ops.put("activationForward", t -> gpu.activationForward(Activation.RELU, t));
        ops.put("activationBackward", t -> gpu.activationBackward(Activation.RELU, t, x2, x2));
        ops.put("dropoutForward", t -> gpu.dropoutForward(t, 0.5f, 1, 0));
        ops.put("dropoutBackward", t -> gpu.dropoutBackward(t, 0.5f, 1, 0));
        ops.put("add", t -> gpu.add(t, x2));
        ops.put("addInPlace", t -> { gpu.addInPlace(t, x2); return null; });
        ops.put("scale", t -> gpu.scale(t, 2f));
        ops.put("sum", gpu::sum);
        ops.put("mean", gpu::mean);
        ops.put("reparamForward", t -> gpu.reparamForward(t, d2, 1, 0));
        ops.put("reparamForward (given eps)", t -> gpu.reparamForward(t, d2, d2));
        ops.put("reparamBackward", t -> gpu.reparamBackward(t, d2, d2, d2, 1f));
        ops.put("klDivergence", t -> gpu.klDivergence(t, d2));
        ops.put("klBackward", t -> gpu.klBackward(t, d2, 1f));
        ops.put("bceWithLogits", t -> gpu.bceWithLogits(t, d2, Reduction.MEAN));
        ops.put("bceWithLogitsBackward", t -> gpu.bceWithLogitsBackward(t, d2, Reduction.MEAN, 1f));
        ops.put("mse", t -> gpu.mse(t, d2, Reduction.SUM));
        ops.put("mseBackward", t -> gpu.mseBackward(t, d2, Reduction.SUM, 1f));
        ops.put("adamStep", t -> { gpu.adamStep(List.of(t), List.of(d2), List.of(m), List.of(v), AdamConfig.of(1e-3f, 0.9f, 0.999f), 1); return null; });
        ops.put("concat", t -> gpu.concat(List.of(t, x2b)));
        ops.put("slice", t -> gpu.slice(t, 1, 3));
        ops.put("softmaxCrossEntropy", t -> gpu.softmaxCrossEntropy(t, probabilities, Reduction.MEAN));
        ops.put("softmaxCrossEntropyBackward", t -> gpu.softmaxCrossEntropyBackward(t, probabilities, Reduction.SUM, 0.5f));
        return ops;
    }

    /** The shape each op's first operand has in {@link #ops}. */
    static Shape firstShape(String op) {
        return switch (op) {
            case "conv2dForward", "batchNormTrainForward", "batchNormBackward", "batchNormInference" -> Shape.of(2, 3, 4, 4);
            case "conv2dBackwardData", "conv2dBackwardFilter", "addBiasInPlace", "biasGradient" -> Shape.of(2, 5, 4, 4);
            case "reparamForward", "reparamForward (given eps)", "reparamBackward", "klDivergence", "klBackward", "bceWithLogits",
                 "bceWithLogitsBackward", "mse", "mseBackward", "adamStep", "linearBackwardData" -> Shape.of(4, 2);
            default -> Shape.of(4, 6);
        };
    }

    @Test void aHostTensorIsRefusedByName() {
        try (var scope = TensorScope.open()) {
            for (var e : ops().entrySet()) {
                var host = CPU.randn(firstShape(e.getKey()), 8, 0);
                var ex = assertThrows(IllegalArgumentException.class, () -> e.getValue().apply(host), e.getKey());
                String op = e.getKey().split(" ")[0];
                assertTrue(ex.getMessage().contains(op) && ex.getMessage().contains("cpu"), e.getKey() + ": " + ex.getMessage());
            }
        }
    }

    /** A second operand of another shape (the same size) is refused by the op's name, not read past or misindexed. */
    @Test void mismatchedShapesAreRefusedByName() {
        try (var scope = TensorScope.open()) {
            var a = gpu.randn(Shape.of(4, 2), 1, 0);
            var b = gpu.randn(Shape.of(2, 4), 2, 0);
            Map<String, Runnable> calls = new LinkedHashMap<>();
            calls.put("reparamForward", () -> gpu.reparamForward(a, b, 1, 0));
            calls.put("reparamForward (eps)", () -> gpu.reparamForward(a, a, b));
            calls.put("reparamForward (logvar)", () -> gpu.reparamForward(a, b, a));
            calls.put("reparamBackward (dlogvar)", () -> gpu.reparamBackward(a, b, a, a, 1f));
            calls.put("reparamBackward (eps)", () -> gpu.reparamBackward(a, a, a, b, 1f));
            calls.put("klDivergence", () -> gpu.klDivergence(a, b));
            calls.put("klBackward", () -> gpu.klBackward(a, b, 1f));
            calls.put("bceWithLogits", () -> gpu.bceWithLogits(a, b, Reduction.SUM));
            calls.put("mse", () -> gpu.mse(a, b, Reduction.SUM));
            calls.put("add", () -> gpu.add(a, b));
            for (var e : calls.entrySet()) {
                var ex = assertThrows(IllegalArgumentException.class, e.getValue()::run, e.getKey());
                String op = e.getKey().split(" ")[0];
                assertTrue(ex.getMessage().contains(op), e.getKey() + ": " + ex.getMessage());
            }
        }
    }

    @Test void aClosedTensorIsRefusedByName() {
        try (var scope = TensorScope.open()) {
            for (var e : ops().entrySet()) {
                var closed = gpu.randn(firstShape(e.getKey()), 9, 0);
                closed.close();
                var ex = assertThrows(IllegalStateException.class, () -> e.getValue().apply(closed), e.getKey());
                String op = e.getKey().split(" ")[0];
                assertTrue(ex.getMessage().contains(op) && ex.getMessage().contains("after close"), e.getKey() + ": " + ex.getMessage());
            }
        }
    }
}
