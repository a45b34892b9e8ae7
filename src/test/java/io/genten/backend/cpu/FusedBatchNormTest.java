package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Batch norm with an activation in the same call: the one-pass path (ReLU, LeakyReLU) and the
 * fallback (tanh, sigmoid: batch norm, then the activation) both give the bits of the two ops, in
 * training and inference, for 2-D and 4-D inputs; a closed input is refused by the fused op's name.
 */
class FusedBatchNormTest {
    private final CpuBackend cpu = CpuBackend.get();
    private static final List<Activation> ACTIVATIONS = List.of(Activation.IDENTITY, Activation.RELU, Activation.leakyRelu(0.2f), Activation.TANH, Activation.SIGMOID);

    private static Shape[] shapes() { return new Shape[] {Shape.of(7, 5), Shape.of(3, 4, 5, 3)}; }

    @Test void trainingForwardWithAnActivationIsTheTwoOps() {
        for (var shape : shapes()) {
            int c = shape.dim(1);
            for (var act : ACTIVATIONS) {
                try (var scope = TensorScope.open()) {
                    var x = cpu.randn(shape, 11, 0);
                    var gamma = cpu.randn(Shape.of(c), 12, 0);
                    var beta = cpu.randn(Shape.of(c), 13, 0);
                    var mean1 = cpu.randn(Shape.of(c), 14, 0);
                    var var1 = cpu.rand(Shape.of(c), 15, 0);
                    var mean2 = cpu.copyOf(mean1);
                    var var2 = cpu.copyOf(var1);
                    var fused = cpu.batchNormTrainForward(x, gamma, beta, mean1, var1, 0.1f, 1e-5f, act);
                    var plain = cpu.batchNormTrainForward(x, gamma, beta, mean2, var2, 0.1f, 1e-5f);
                    var expected = act instanceof Activation.Identity ? plain.y() : cpu.activationForward(act, plain.y());
                    String what = act + " on " + shape;
                    assertArrayEquals(expected.toArray(), fused.y().toArray(), what);
                    assertArrayEquals(plain.saveMean().toArray(), fused.saveMean().toArray(), what + ": saved mean");
                    assertArrayEquals(plain.saveInvStd().toArray(), fused.saveInvStd().toArray(), what + ": saved 1/std");
                    assertArrayEquals(mean2.toArray(), mean1.toArray(), what + ": running mean");
                    assertArrayEquals(var2.toArray(), var1.toArray(), what + ": running variance");
                }
            }
        }
    }

    @Test void inferenceWithAnActivationIsTheTwoOps() {
        for (var shape : shapes()) {
            int c = shape.dim(1);
            for (var act : ACTIVATIONS) {
                try (var scope = TensorScope.open()) {
                    var x = cpu.randn(shape, 21, 0);
                    var gamma = cpu.randn(Shape.of(c), 22, 0);
                    var beta = cpu.randn(Shape.of(c), 23, 0);
                    var mean = cpu.randn(Shape.of(c), 24, 0);
                    var variance = cpu.rand(Shape.of(c), 25, 0);
                    var plain = cpu.batchNormInference(x, gamma, beta, mean, variance, 1e-5f);
                    var expected = act instanceof Activation.Identity ? plain : cpu.activationForward(act, plain);
                    assertArrayEquals(expected.toArray(), cpu.batchNormInference(x, gamma, beta, mean, variance, 1e-5f, act).toArray(), act + " on " + shape);
                }
            }
        }
    }

    @Test void aClosedInputIsRefusedByTheFusedOpsName() {
        var gamma = cpu.randn(Shape.of(2), 1, 0);
        var beta = cpu.randn(Shape.of(2), 2, 0);
        var mean = cpu.randn(Shape.of(2), 3, 0);
        var variance = cpu.rand(Shape.of(2), 4, 0);
        var x = cpu.randn(Shape.of(3, 2), 5, 0);
        x.close();
        var e = assertThrows(IllegalStateException.class, () -> cpu.batchNormTrainForward(x, gamma, beta, mean, variance, 0.1f, 1e-5f, Activation.RELU));
        assertTrue(e.getMessage().contains("batchNormTrainForward"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> cpu.batchNormInference(x, gamma, beta, mean, variance, 1e-5f, Activation.RELU));
        assertTrue(e.getMessage().contains("batchNormInference"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> cpu.batchNormInference(x, gamma, beta, mean, variance, 1e-5f));
        assertTrue(e.getMessage().contains("batchNormInference"), e.getMessage());
        // the transposed conv's fused backward (one unfolding of dy for dx and dw) checks its inputs too
        var dy = cpu.randn(Shape.of(1, 2, 4, 4), 6, 0);
        var w = cpu.randn(Shape.of(2, 3, 3, 3), 7, 0);
        var closed = cpu.randn(Shape.of(1, 3, 2, 2), 8, 0);
        closed.close();
        e = assertThrows(IllegalStateException.class, () -> cpu.convTranspose2dBackward(dy, closed, w, new Conv2dSpec(2, 1), true));
        assertTrue(e.getMessage().contains("convTranspose2dBackward"), e.getMessage());
        for (var t : List.<Tensor>of(gamma, beta, mean, variance, dy, w)) t.close();
    }
}
