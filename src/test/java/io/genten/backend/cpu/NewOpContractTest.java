package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.Reduction;
import io.genten.tensor.Device;
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
 * The contract of {@link BackendContractTest} for the ops issue 12 added (concat, slice, softmax
 * cross-entropy): a closed or foreign tensor is refused by the op's name before any memory is read;
 * and the checks the 2026-12-01 mutation run found untested (Adam's moment shapes, the backward's
 * own shape check, the thread count).
 */
class NewOpContractTest {
    private final CpuBackend cpu = CpuBackend.get();

    /** Storage that claims to live on a GPU; reading it fails the test. */
    private record ForeignStorage(long length) implements Storage {
        @Override public Device device() { return Device.cuda(0); }
        @Override public void read(long from, float[] dst, int dstOffset, int count) { throw new AssertionError("read a foreign tensor"); }
        @Override public void write(long to, float[] src, int srcOffset, int count) { throw new AssertionError("wrote a foreign tensor"); }
        @Override public void free() {}
    }

    /** Each op with its first tensor operand replaced (shape (4, 3)). */
    private Map<String, Function<Tensor, Object>> ops() {
        var other = cpu.randn(Shape.of(4, 2), 1, 0);
        var t = cpu.full(Shape.of(4, 3), 1f / 3);
        var ops = new LinkedHashMap<String, Function<Tensor, Object>>();
        ops.put("concat", x -> cpu.concat(List.of(x, other)));
        ops.put("concat (second part)", x -> cpu.concat(List.of(other, x)));
        ops.put("slice", x -> cpu.slice(x, 1, 2));
        ops.put("softmaxCrossEntropy", x -> cpu.softmaxCrossEntropy(x, t, Reduction.MEAN));
        ops.put("softmaxCrossEntropy (targets)", x -> cpu.softmaxCrossEntropy(t, x, Reduction.MEAN));
        ops.put("softmaxCrossEntropyBackward", x -> cpu.softmaxCrossEntropyBackward(x, t, Reduction.MEAN, 1f));
        ops.put("softmaxCrossEntropyBackward (targets)", x -> cpu.softmaxCrossEntropyBackward(t, x, Reduction.SUM, 1f));
        return ops;
    }

    @Test void aClosedTensorIsRefusedByName() {
        try (var scope = TensorScope.open()) {
            for (var e : ops().entrySet()) {
                var closed = cpu.randn(Shape.of(4, 3), 9, 0);
                closed.close();
                var ex = assertThrows(IllegalStateException.class, () -> e.getValue().apply(closed), e.getKey());
                String op = e.getKey().split(" ")[0];
                assertTrue(ex.getMessage().startsWith(op + ":") && ex.getMessage().contains("after close"), e.getKey() + ": " + ex.getMessage());
            }
        }
    }

    @Test void aTensorFromAnotherDeviceIsRefusedByName() {
        try (var scope = TensorScope.open()) {
            for (var e : ops().entrySet()) {
                var foreign = new Tensor(Shape.of(4, 3), new ForeignStorage(12));
                var ex = assertThrows(IllegalArgumentException.class, () -> e.getValue().apply(foreign), e.getKey());
                String op = e.getKey().split(" ")[0];
                assertTrue(ex.getMessage().startsWith(op + ":") && ex.getMessage().contains("cuda:0"), e.getKey() + ": " + ex.getMessage());
            }
        }
    }

    @Test void concatOfNothingIsRefusedByName() {
        var ex = assertThrows(IllegalArgumentException.class, () -> cpu.concat(null));
        assertEquals("concat: no tensors to concatenate", ex.getMessage());
    }

    /** The backward checks the shapes itself: targets of another shape with as many values, or other rows, are refused. */
    @Test void softmaxCrossEntropyBackwardChecksItsShapes() {
        try (var scope = TensorScope.open()) {
            var logits = cpu.randn(Shape.of(4, 3), 2, 0);
            for (var targets : List.of(cpu.full(Shape.of(3, 4), 0.25f), cpu.full(Shape.of(4, 2), 0.5f), cpu.full(Shape.of(12), 0.1f))) {
                var ex = assertThrows(IllegalArgumentException.class, () -> cpu.softmaxCrossEntropyBackward(logits, targets, Reduction.MEAN, 1f),
                        targets.shape().toString());
                assertTrue(ex.getMessage().startsWith("softmaxCrossEntropyBackward:"), ex.getMessage());
            }
        }
    }

    @Test void adamRefusesMomentsOfAnotherShapeWithTheSameSize() {
        try (var scope = TensorScope.open()) {
            var p = cpu.randn(Shape.of(2, 3), 1, 0);
            var g = cpu.randn(Shape.of(2, 3), 2, 0);
            var wrong = cpu.zeros(Shape.of(3, 2));
            var right = cpu.zeros(Shape.of(2, 3));
            var config = AdamConfig.of(1e-3f, 0.9f, 0.999f);
            var m = assertThrows(IllegalArgumentException.class, () -> cpu.adamStep(List.of(p), List.of(g), List.of(wrong), List.of(right), config, 1));
            assertTrue(m.getMessage().contains("(m 0)"), m.getMessage());
            var v = assertThrows(IllegalArgumentException.class, () -> cpu.adamStep(List.of(p), List.of(g), List.of(right), List.of(wrong), config, 1));
            assertTrue(v.getMessage().contains("(v 0)"), v.getMessage());
        }
    }

    @Test void threadsReportTheBackendsParallelism() {
        var three = CpuBackend.withThreads(3);
        assertEquals(3, three.threads());
        three.close();
        try (var scope = TensorScope.open()) {
            var x = cpu.randn(Shape.of(4, 3), 3, 0);
            assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> three.add(x, x), "close shut its own pool down");
        }
        assertEquals(java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1, cpu.threads());
    }
}
