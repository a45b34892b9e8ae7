package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.MathMode;
import io.genten.backend.Reduction;
import io.genten.tensor.Device;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Storage;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every op of the CPU backend refuses, by name, a tensor from another device, a closed tensor and
 * a null operand, before touching any memory; and the small ops nothing else reaches.
 */
class BackendContractTest {
    private final CpuBackend cpu = CpuBackend.get();

    /** Storage that claims to live on a GPU: what a CUDA tensor looks like to the CPU backend. */
    private static final class ForeignStorage implements Storage {
        private final long length;

        ForeignStorage(long length) { this.length = length; }

        @Override public Device device() { return Device.cuda(0); }
        @Override public long length() { return length; }
        @Override public void read(long from, float[] dst, int dstOffset, int count) { throw new AssertionError("read a foreign tensor"); }
        @Override public void write(long to, float[] src, int srcOffset, int count) { throw new AssertionError("wrote a foreign tensor"); }
        @Override public void free() {}
    }

    /** Each op, called with its first tensor operand replaced by {@code t} (shapes otherwise valid). */
    private Map<String, Function<Tensor, Object>> ops(TensorScope scope) {
        var x4 = cpu.randn(Shape.of(2, 3, 4, 4), 1, 0);
        var w4 = cpu.randn(Shape.of(5, 3, 3, 3), 2, 0);
        var y4 = cpu.randn(Shape.of(2, 5, 4, 4), 3, 0);
        var c3 = cpu.full(Shape.of(3), 1f);
        var x2 = cpu.randn(Shape.of(4, 6), 4, 0);
        var w2 = cpu.randn(Shape.of(2, 6), 5, 0);
        var d2 = cpu.randn(Shape.of(4, 2), 6, 0);
        var spec = new Conv2dSpec(1, 1);
        var ops = new LinkedHashMap<String, Function<Tensor, Object>>();
        ops.put("conv2dForward", t -> cpu.conv2dForward(t, w4, null, spec));
        ops.put("conv2dBackwardData", t -> cpu.conv2dBackwardData(t, w4, x4.shape(), spec));
        ops.put("conv2dBackwardFilter", t -> cpu.conv2dBackwardFilter(t, x4, w4.shape(), spec));
        ops.put("biasGradient", cpu::biasGradient);
        ops.put("addBiasInPlace", t -> { cpu.addBiasInPlace(t, c3); return null; });
        ops.put("batchNormTrainForward", t -> cpu.batchNormTrainForward(t, c3, c3, cpu.zeros(Shape.of(3)), cpu.full(Shape.of(3), 1f), 0.1f, 1e-5f));
        ops.put("batchNormBackward", t -> cpu.batchNormBackward(t, x4, c3, c3, c3));
        ops.put("batchNormInference", t -> cpu.batchNormInference(t, c3, c3, c3, c3, 1e-5f));
        ops.put("linearForward", t -> cpu.linearForward(t, w2, null));
        ops.put("linearBackwardData", t -> cpu.linearBackwardData(t, w2));
        ops.put("linearBackwardWeight", t -> cpu.linearBackwardWeight(t, x2));
        ops.put("activationForward", t -> cpu.activationForward(Activation.RELU, t));
        ops.put("activationBackward", t -> cpu.activationBackward(Activation.RELU, t, x2, x2));
        ops.put("dropoutForward", t -> cpu.dropoutForward(t, 0.5f, 1, 0));
        ops.put("dropoutBackward", t -> cpu.dropoutBackward(t, 0.5f, 1, 0));
        ops.put("add", t -> cpu.add(t, x2));
        ops.put("addInPlace", t -> { cpu.addInPlace(t, x2); return null; });
        ops.put("scale", t -> cpu.scale(t, 2f));
        ops.put("sum", cpu::sum);
        ops.put("mean", cpu::mean);
        ops.put("reparamForward", t -> cpu.reparamForward(t, d2, 1, 0));
        ops.put("reparamForward (given eps)", t -> cpu.reparamForward(t, d2, d2));
        ops.put("reparamBackward", t -> cpu.reparamBackward(t, d2, d2, d2, 1f));
        ops.put("klDivergence", t -> cpu.klDivergence(t, d2));
        ops.put("klBackward", t -> cpu.klBackward(t, d2, 1f));
        ops.put("bceWithLogits", t -> cpu.bceWithLogits(t, d2, Reduction.MEAN));
        ops.put("bceWithLogitsBackward", t -> cpu.bceWithLogitsBackward(t, d2, Reduction.MEAN, 1f));
        ops.put("mse", t -> cpu.mse(t, d2, Reduction.SUM));
        ops.put("mseBackward", t -> cpu.mseBackward(t, d2, Reduction.SUM, 1f));
        ops.put("adamStep", t -> { cpu.adamStep(List.of(t), List.of(d2), List.of(cpu.zeros(d2.shape())), List.of(cpu.zeros(d2.shape())),
                AdamConfig.of(1e-3f, 0.9f, 0.999f), 1); return null; });
        ops.put("copyInto", t -> { cpu.copyInto(t, cpu.zeros(t.shape())); return null; });
        ops.put("fill", t -> { cpu.fill(t, 1f); return null; });
        return ops;
    }

    /** The shape each op's first operand has in {@link #ops}. */
    private static Shape firstShape(String op) {
        return switch (op) {
            case "conv2dForward", "batchNormTrainForward", "batchNormBackward", "batchNormInference", "addBiasInPlace" -> Shape.of(2, 3, 4, 4);
            case "conv2dBackwardData", "conv2dBackwardFilter", "biasGradient" -> Shape.of(2, 5, 4, 4);
            case "reparamForward", "reparamForward (given eps)", "reparamBackward", "klDivergence", "klBackward", "bceWithLogits",
                 "bceWithLogitsBackward", "mse", "mseBackward", "adamStep", "linearBackwardData" -> Shape.of(4, 2);
            default -> Shape.of(4, 6);
        };
    }

    @Test void aTensorFromAnotherDeviceIsRefusedByName() {
        try (var scope = TensorScope.open()) {
            for (var e : ops(scope).entrySet()) {
                var shape = firstShape(e.getKey());
                var foreign = new Tensor(shape, new ForeignStorage(shape.numel()));
                var ex = assertThrows(IllegalArgumentException.class, () -> e.getValue().apply(foreign), e.getKey());
                String op = e.getKey().split(" ")[0];
                assertTrue(ex.getMessage().contains(op) && ex.getMessage().contains("cuda:0"), e.getKey() + ": " + ex.getMessage());
            }
        }
    }

    @Test void aClosedTensorIsRefusedByName() {
        try (var scope = TensorScope.open()) {
            for (var e : ops(scope).entrySet()) {
                var closed = cpu.randn(firstShape(e.getKey()), 9, 0);
                closed.close();
                var ex = assertThrows(IllegalStateException.class, () -> e.getValue().apply(closed), e.getKey());
                String op = e.getKey().split(" ")[0];
                assertTrue(ex.getMessage().contains(op) && ex.getMessage().contains("after close"), e.getKey() + ": " + ex.getMessage());
            }
        }
    }

    @Test void aNullOperandIsRefusedByName() {
        try (var scope = TensorScope.open()) {
            var ops = ops(scope);
            for (var op : List.of("activationForward", "activationBackward", "dropoutForward", "dropoutBackward", "add", "addInPlace", "scale",
                    "sum", "mean", "reparamForward", "reparamForward (given eps)", "reparamBackward", "klDivergence", "klBackward",
                    "bceWithLogits", "bceWithLogitsBackward", "mse", "mseBackward", "batchNormTrainForward", "batchNormBackward",
                    "batchNormInference")) {
                var ex = assertThrows(IllegalArgumentException.class, () -> ops.get(op).apply(null), op);
                String name = op.startsWith("dropout") ? "dropout" : op.split(" ")[0];
                assertTrue(ex.getMessage().contains(name) && ex.getMessage().contains("null"), op + ": " + ex.getMessage());
            }
            // the second operands too, where an op has its own null check for them
            var x2 = cpu.randn(Shape.of(4, 2), 1, 0);
            List<Runnable> seconds = List.of(
                () -> cpu.activationBackward(null, x2, x2, x2), () -> cpu.activationBackward(Activation.RELU, x2, x2, null),
                () -> cpu.add(x2, null), () -> cpu.addInPlace(x2, null), () -> cpu.activationForward(null, x2),
                () -> cpu.reparamForward(x2, null, 1, 0), () -> cpu.reparamForward(x2, null, x2), () -> cpu.reparamForward(x2, x2, null),
                () -> cpu.reparamBackward(x2, null, x2, x2, 1f), () -> cpu.reparamBackward(x2, x2, null, x2, 1f),
                () -> cpu.reparamBackward(x2, x2, x2, null, 1f), () -> cpu.klDivergence(x2, null), () -> cpu.klBackward(x2, null, 1f),
                () -> cpu.bceWithLogits(x2, null, Reduction.SUM), () -> cpu.mse(x2, null, Reduction.SUM));
            // y may be null: activationBackward then recomputes it from x
            assertArrayEquals(cpu.activationBackward(Activation.TANH, x2, cpu.activationForward(Activation.TANH, x2), x2).toArray(),
                    cpu.activationBackward(Activation.TANH, x2, null, x2).toArray());
            for (int i = 0; i < seconds.size(); i++) {
                int k = i;
                var ex = assertThrows(IllegalArgumentException.class, () -> seconds.get(k).run(), "second operand case " + i);
                assertTrue(ex.getMessage().contains("null"), "case " + i + ": " + ex.getMessage());
            }
        }
    }

    @Test void adamRefusesAGradientOfAnotherShapeWithTheSameSize() {
        try (var scope = TensorScope.open()) {
            var p = cpu.randn(Shape.of(2, 3), 1, 0);
            var ex = assertThrows(IllegalArgumentException.class, () -> cpu.adamStep(List.of(p), List.of(cpu.randn(Shape.of(3, 2), 2, 0)),
                    List.of(cpu.zeros(p.shape())), List.of(cpu.zeros(p.shape())), AdamConfig.of(1e-3f, 0.9f, 0.999f), 1));
            assertTrue(ex.getMessage().contains("grad 0"), ex.getMessage());
        }
    }

    @Test void memoryOpsAndDescription() {
        assertEquals("cpu", cpu.name());
        assertEquals(Device.CPU, cpu.device());
        assertEquals(MathMode.FP32, cpu.mathMode());
        assertTrue(cpu.describe().startsWith("cpu: ") && cpu.describe().contains("threads"), cpu.describe());
        try (var scope = TensorScope.open()) {
            var e = cpu.empty(Shape.of(2, 3));
            assertEquals(Shape.of(2, 3), e.shape());
            var t = cpu.zeros(Shape.of(2, 3));
            cpu.fill(t, 2.5f);
            assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f}, t.toArray());
            var src = cpu.randn(Shape.of(6), 3, 0);
            cpu.copyInto(src, t);
            assertArrayEquals(src.toArray(), t.toArray(), "copyInto copies across shapes of one size");
            var ex = assertThrows(IllegalArgumentException.class, () -> cpu.copyInto(src, cpu.zeros(Shape.of(5))));
            assertTrue(ex.getMessage().contains("copyInto"), ex.getMessage());
            var want = new float[7];
            Philox.fillUniform(4, 5, want);
            assertArrayEquals(want, cpu.rand(Shape.of(7), 4, 5).toArray());
            Philox.fillNormal(4, 5, want);
            assertArrayEquals(want, cpu.randn(Shape.of(7), 4, 5).toArray());
        }
    }

    /** Dropout over exactly two of the pointwise ops' parallel chunks: every element drawn once, each chunk its own words. */
    @Test void dropoutOverAWholeNumberOfChunks() {
        int n = 2 * CpuPointwise.CHUNK;
        try (var scope = TensorScope.open()) {
            var ones = cpu.full(Shape.of(n), 1f);
            float[] y = cpu.dropoutForward(ones, 0.25f, 8, 3).toArray();
            var u = new float[n];
            Philox.fillUniform(8, 3, u);
            float keep = (float) (1 / 0.75);
            for (int i = 0; i < n; i++) assertEquals(u[i] >= 0.25f ? keep : 0f, y[i], "element " + i);
        }
    }
}
