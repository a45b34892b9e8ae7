package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every layer's constructor bounds (the smallest legal value accepted, one below refused) and its
 * forward and backward shape checks, each refusal naming the layer and the shapes.
 */
class LayerChecksTest {
    private final CpuBackend cpu = CpuBackend.get();
    private TensorScope scope;

    @BeforeEach void open() { scope = TensorScope.open(); }

    @AfterEach void close() { scope.close(); }

    private static void refused(Executable call, String... words) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (var w : words) assertTrue(e.getMessage().contains(w), "'" + w + "' in: " + e.getMessage());
    }

    private static Tensor randn(long seed, int... dims) { return Tensor.randn(seed, 0, dims); }

    @Test void linearSizesAndShapes() {
        refused(() -> new Linear(cpu, 0, 2, true, new Init(1)), "Linear", "in=0", "out=2");
        refused(() -> new Linear(cpu, 2, 0, true, new Init(1)), "Linear", "in=2", "out=0");
        var one = new Linear(cpu, 1, 1, true, new Init(1));
        assertEquals(Shape.of(3, 1), one.forward(randn(1, 3, 1)).shape());
        var fc = new Linear(cpu, 4, 3, true, new Init(1));
        refused(() -> fc.forward(randn(2, 2, 5)), "Linear(4, 3)", "[2, 5]", "5 features");
        refused(() -> fc.forward(randn(3, 2, 4, 1)), "Linear(4, 3)", "x");
        refused(() -> fc.infer(randn(4, 4)), "Linear(4, 3)", "x");
        fc.forward(randn(5, 2, 4));
        refused(() -> fc.backward(randn(6, 2, 4)), "Linear.backward", "dy");
        refused(() -> fc.backward(randn(7, 3, 3)), "Linear.backward", "dy");
        assertEquals(Shape.of(2, 4), fc.backward(randn(8, 2, 3)).shape());
    }

    @Test void convSizesAndShapes() {
        refused(() -> new Conv2d(cpu, 0, 2, 3, 1, 1, true, new Init(1)), "Conv2d", "in=0");
        refused(() -> new Conv2d(cpu, 2, 0, 3, 1, 1, true, new Init(1)), "Conv2d", "out=0");
        refused(() -> new Conv2d(cpu, 2, 2, 0, 1, 1, true, new Init(1)), "Conv2d", "k=0");
        var smallest = new Conv2d(cpu, 1, 1, 1, 1, 0, false, new Init(1));
        assertEquals(Shape.of(2, 1, 3, 3), smallest.forward(randn(1, 2, 1, 3, 3)).shape());
        var conv = new Conv2d(cpu, 2, 3, 3, 2, 1, true, new Init(1));
        var y = conv.forward(randn(2, 2, 2, 5, 5));
        assertEquals(Shape.of(2, 3, 3, 3), y.shape());
        refused(() -> conv.backward(randn(3, 2, 3, 3, 2)), "Conv2d.backward", "[2, 3, 3, 2]", "[2, 3, 3, 3]");
        refused(() -> conv.backward(randn(4, 1, 3, 3, 3)), "Conv2d.backward", "[1, 3, 3, 3]");
        assertEquals(Shape.of(2, 2, 5, 5), conv.backward(randn(5, 2, 3, 3, 3)).shape());
    }

    @Test void transposedConvSizesOutputPaddingAndShapes() {
        refused(() -> new ConvTranspose2d(cpu, 0, 2, 4, 2, 1, 0, true, new Init(1)), "ConvTranspose2d", "in=0");
        refused(() -> new ConvTranspose2d(cpu, 2, 0, 4, 2, 1, 0, true, new Init(1)), "ConvTranspose2d", "out=0");
        refused(() -> new ConvTranspose2d(cpu, 2, 2, 0, 2, 1, 0, true, new Init(1)), "ConvTranspose2d", "k=0");
        var smallest = new ConvTranspose2d(cpu, 1, 1, 1, 1, 0, 0, false, new Init(1));
        assertEquals(Shape.of(2, 1, 3, 3), smallest.forward(randn(9, 2, 1, 3, 3)).shape());
        refused(() -> new ConvTranspose2d(cpu, 2, 2, 4, 2, 1, -1, true, new Init(1)), "output padding -1", "stride 2");
        refused(() -> new ConvTranspose2d(cpu, 2, 2, 4, 2, 1, 2, true, new Init(1)), "output padding 2", "stride 2");
        // output padding stride - 1 is the largest allowed: one more row and column
        var padded = new ConvTranspose2d(cpu, 2, 3, 3, 2, 1, 1, true, new Init(1));
        var plain = new ConvTranspose2d(cpu, 2, 3, 3, 2, 1, 0, true, new Init(1));
        var x = randn(1, 2, 2, 4, 4);
        assertEquals(Shape.of(2, 3, 8, 8), padded.forward(x).shape());
        var y = plain.forward(x);
        assertEquals(Shape.of(2, 3, 7, 7), y.shape());
        refused(() -> plain.backward(randn(2, 2, 3, 8, 8)), "ConvTranspose2d.backward", "[2, 3, 8, 8]", "[2, 3, 7, 7]");
        assertEquals(x.shape(), plain.backward(randn(3, 2, 3, 7, 7)).shape());
        assertEquals(x.shape(), padded.backward(randn(4, 2, 3, 8, 8)).shape());
    }

    @Test void batchNormBoundsAndShapes() {
        refused(() -> new BatchNorm2d(cpu, 0), "BatchNorm2d", "channels 0");
        refused(() -> new BatchNorm1d(cpu, 0), "BatchNorm1d", "channels 0");
        refused(() -> new BatchNorm2d(cpu, 2, 0f, 0.1f), "eps 0.0");
        refused(() -> new BatchNorm2d(cpu, 2, -1e-5f, 0.1f), "eps -1.0E-5");
        refused(() -> new BatchNorm2d(cpu, 2, Float.NaN, 0.1f), "eps NaN");
        refused(() -> new BatchNorm2d(cpu, 2, 1e-5f, -0.01f), "momentum -0.01");
        refused(() -> new BatchNorm2d(cpu, 2, 1e-5f, 1.01f), "momentum 1.01");
        refused(() -> new BatchNorm2d(cpu, 2, 1e-5f, Float.NaN), "momentum NaN");
        // the ends of the momentum range and one channel are legal
        assertDoesNotThrow(() -> new BatchNorm2d(cpu, 1, Float.MIN_VALUE, 0f));
        assertDoesNotThrow(() -> new BatchNorm2d(cpu, 1, 1e-5f, 1f));

        var bn2 = new BatchNorm2d(cpu, 3);
        refused(() -> bn2.forward(randn(1, 2, 4, 2, 2)), "BatchNorm2d", "[2, 4, 2, 2]", "4 channels");
        refused(() -> bn2.forward(randn(2, 2, 3)), "BatchNorm2d", "x");
        refused(() -> bn2.infer(randn(3, 2, 3, 2)), "BatchNorm2d", "x");
        refused(() -> bn2.infer(randn(4, 2, 2, 2, 2)), "BatchNorm2d", "2 channels");
        var x = randn(5, 2, 3, 2, 2);
        bn2.forward(x);
        refused(() -> bn2.backward(randn(6, 2, 3, 2, 1)), "BatchNorm2d(3).backward", "[2, 3, 2, 1] vs [2, 3, 2, 2]");
        assertEquals(x.shape(), bn2.backward(randn(7, 2, 3, 2, 2)).shape());

        var bn1 = new BatchNorm1d(cpu, 3);
        refused(() -> bn1.forward(randn(8, 4, 3, 1, 1)), "BatchNorm1d", "x");
        refused(() -> bn1.forward(randn(9, 4, 2)), "BatchNorm1d", "[4, 2]", "2 channels");
        assertEquals(Shape.of(4, 3), bn1.forward(randn(10, 4, 3)).shape());
    }

    /** Momentum's two ends mean what they say: 0 keeps the running statistics, 1 replaces them by the batch's. */
    @Test void momentumEndsKeepOrReplaceTheRunningStatistics() {
        var x = randn(11, 6, 2);
        var keep = new BatchNorm1d(cpu, 2, 1e-5f, 0f);
        var replace = new BatchNorm1d(cpu, 2, 1e-5f, 1f);
        keep.forward(x);
        replace.forward(x);
        var state = keep.stateDict();
        assertEquals(0f, state.get("running_mean").toArray()[0]);
        assertEquals(1f, state.get("running_var").toArray()[1]);
        var v = x.toArray();
        double mean0 = 0, sq0 = 0;
        for (int i = 0; i < 6; i++) mean0 += v[2 * i];
        mean0 /= 6;
        for (int i = 0; i < 6; i++) sq0 += (v[2 * i] - mean0) * (v[2 * i] - mean0);
        var replaced = replace.stateDict();
        assertEquals(mean0, replaced.get("running_mean").toArray()[0], 1e-5);
        assertEquals(sq0 / 5, replaced.get("running_var").toArray()[0], 1e-4, "the unbiased batch variance, as PyTorch keeps it");
    }

    @Test void onlyActivationsWhoseSignMatchesTheirInputFuse() {
        var bn = new BatchNorm2d(cpu, 2);
        bn.fuse(io.genten.backend.Activation.leakyRelu(0.2f));
        bn.fuse(io.genten.backend.Activation.RELU);
        // LeakyReLU(0) gives 0 for negative inputs: its backward cannot be read off the output
        refused(() -> bn.fuse(io.genten.backend.Activation.leakyRelu(0f)), "BatchNorm2d", "cannot fuse");
        refused(() -> bn.fuse(io.genten.backend.Activation.leakyRelu(-0.1f)), "cannot fuse");
    }

    @Test void dropoutBounds() {
        refused(() -> new Dropout(cpu, -0.01f, 1), "Dropout", "p -0.01");
        refused(() -> new Dropout(cpu, Float.NaN, 1), "Dropout", "p NaN");
        assertDoesNotThrow(() -> new Dropout(cpu, 0f, 1));
        assertDoesNotThrow(() -> new Dropout(cpu, 0.999f, 1));
    }

    @Test void moduleNamesAndBackends() {
        refused(() -> new Sequential(cpu).add("", new ReLU(cpu)), "invalid name ''");
        refused(() -> new Sequential(cpu).add(null, new ReLU(cpu)), "invalid name 'null'");
        refused(() -> new Sequential(cpu).add("a.b", new ReLU(cpu)), "invalid name 'a.b'");
        refused(() -> new Sequential(cpu).add("x", new ReLU(cpu)).add("x", new Tanh(cpu)), "'x' registered twice");
        // a parameter and a buffer share the name space with children
        var bn = new BatchNorm1d(cpu, 2);
        refused(() -> bn.registerModule("weight", new ReLU(cpu)), "'weight' registered twice");
        refused(() -> bn.registerModule("running_var", new ReLU(cpu)), "'running_var' registered twice");
        refused(() -> bn.registerBuffer("bias", Tensor.zeros(2)), "'bias' registered twice");
        refused(() -> bn.registerParameter("running_mean", Tensor.zeros(2)), "'running_mean' registered twice");
        assertDoesNotThrow(() -> bn.registerModule("act", new ReLU(cpu)));
        try (var other = CpuBackend.withThreads(1)) {
            refused(() -> new Sequential(cpu).add("r", new ReLU(other)), "module 'r' runs on", "but its parent on");
        }
    }
}
