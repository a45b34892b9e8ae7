package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every layer's forward and backward against float64 references and finite differences. */
class LayerGradientTest {
    private final Backend cpu = CpuBackend.get();

    @Test void linearWithAndWithoutBias() {
        GradCheck.check("Linear(5, 4)", new Linear(cpu, 5, 4, true, new Init(1)), Shape.of(3, 5),
                (x, p) -> Ref.linear(x, 3, 5, p.get("weight"), 4, p.get("bias")), 10);
        GradCheck.check("Linear(6, 3, no bias)", new Linear(cpu, 6, 3, false, new Init(2)), Shape.of(4, 6),
                (x, p) -> Ref.linear(x, 4, 6, p.get("weight"), 3, null), 11);
    }

    @Test void conv2dStridedPaddedOddSizes() {
        GradCheck.check("Conv2d(3->4, k3, s2, p1)", new Conv2d(cpu, 3, 4, 3, 2, 1, true, new Init(3)), Shape.of(2, 3, 7, 6),
                (x, p) -> Ref.conv2d(x, 2, 3, 7, 6, p.get("weight"), 4, 3, 2, 1, p.get("bias")), 12);
        GradCheck.check("Conv2d(2->3, k5, s1, p2, no bias)", new Conv2d(cpu, 2, 3, 5, 1, 2, false, new Init(4)), Shape.of(1, 2, 5, 6),
                (x, p) -> Ref.conv2d(x, 1, 2, 5, 6, p.get("weight"), 3, 5, 1, 2, null), 13);
    }

    @Test void convTranspose2dAgainstTheScatterDefinition() {
        GradCheck.check("ConvTranspose2d(3->4, k3, s2, p1, op1, bias)", new ConvTranspose2d(cpu, 3, 4, 3, 2, 1, 1, true, new Init(5)),
                Shape.of(2, 3, 4, 5), (x, p) -> Ref.convTranspose2d(x, 2, 3, 4, 5, p.get("weight"), 4, 3, 2, 1, 1, p.get("bias")), 14);
        GradCheck.check("ConvTranspose2d(4->2, k5, s1, p2)", new ConvTranspose2d(cpu, 4, 2, 5, 1, 2, 0, false, new Init(6)),
                Shape.of(2, 4, 3, 3), (x, p) -> Ref.convTranspose2d(x, 2, 4, 3, 3, p.get("weight"), 2, 5, 1, 2, 0, null), 15);
        GradCheck.check("ConvTranspose2d(3->1, k5, s2, p2, op1)", new ConvTranspose2d(cpu, 3, 1, 5, 2, 2, 1, false, new Init(7)),
                Shape.of(1, 3, 3, 4), (x, p) -> Ref.convTranspose2d(x, 1, 3, 3, 4, p.get("weight"), 1, 5, 2, 2, 1, null), 16);
    }

    @Test void batchNorm2dTrainingAndRunningStats() {
        var bn = new BatchNorm2d(cpu, 3);
        randomAffine(bn, 3, 20);
        var runningBefore = Ref.toDouble(bn.runningVar().toArray());
        GradCheck.check("BatchNorm2d(3)", bn, Shape.of(4, 3, 3, 5),
                (x, p) -> Ref.batchNorm(x, 4, 3, 15, p.get("weight"), p.get("bias"), 1e-5), 17);
        // one training forward: running = 0.9 running + 0.1 batch (unbiased variance)
        var stats = Ref.batchStats(Ref.toDouble(GradCheck.randn(17, 4 * 3 * 15)), 4, 3, 15);
        var mean = new float[3];
        var var = new float[3];
        for (int c = 0; c < 3; c++) {
            mean[c] = (float) (0.1 * stats[0][c]);
            var[c] = (float) (0.9 * runningBefore[c] + 0.1 * stats[1][c]);
        }
        io.genten.testing.Assertions2.assertClose("running_mean", bn.runningMean().toArray(), mean, 1e-5);
        io.genten.testing.Assertions2.assertClose("running_var", bn.runningVar().toArray(), var, 1e-5);
    }

    @Test void batchNorm1d() {
        var bn = new BatchNorm1d(cpu, 4);
        randomAffine(bn, 4, 21);
        GradCheck.check("BatchNorm1d(4)", bn, Shape.of(5, 4),
                (x, p) -> Ref.batchNorm(x, 5, 4, 1, p.get("weight"), p.get("bias"), 1e-5), 18);
    }

    @Test void batchNormEvalUsesRunningStatsAndHasNoBackward() {
        var bn = new BatchNorm2d(cpu, 2);
        var rm = new float[] {0.3f, -0.7f};
        var rv = new float[] {0.5f, 2.5f};
        var g = new float[] {1.5f, -0.5f};
        var b = new float[] {0.2f, 0.1f};
        bn.loadStateDict(Map.of("weight", Tensor.of(g, 2), "bias", Tensor.of(b, 2),
                "running_mean", Tensor.of(rm, 2), "running_var", Tensor.of(rv, 2)));
        bn.eval();
        try (var scope = TensorScope.open()) {
            float[] x = GradCheck.randn(5, 2 * 2 * 3);
            var y = bn.forward(Tensor.wrap(x.clone(), Shape.of(2, 2, 1, 3))).toArray();
            var want = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                int c = (i / 3) % 2;
                want[i] = (float) ((x[i] - rm[c]) / Math.sqrt(rv[c] + 1e-5) * g[c] + b[c]);
            }
            io.genten.testing.Assertions2.assertClose("eval batchnorm", y, want, 1e-6);
            assertArrayEquals(rm, bn.runningMean().toArray(), "eval must not touch the running mean");
            assertThrows(IllegalStateException.class, () -> bn.backward(Tensor.wrap(x, Shape.of(2, 2, 1, 3))));
        }
    }

    @Test void activations() {
        var shape = Shape.of(3, 7);
        GradCheck.check("ReLU", new ReLU(cpu), shape, (x, p) -> Ref.leakyRelu(x, 0), 30);
        GradCheck.check("LeakyReLU(0.3)", new LeakyReLU(cpu, 0.3f), shape, (x, p) -> Ref.leakyRelu(x, 0.3), 31);
        GradCheck.check("Tanh", new Tanh(cpu), shape, (x, p) -> Ref.tanh(x), 32);
        GradCheck.check("Sigmoid", new Sigmoid(cpu), shape, (x, p) -> Ref.sigmoid(x), 33);
    }

    @Test void reshapeAndFlattenAreViews() {
        GradCheck.check("Reshape(3, 2, 2)", new Reshape(cpu, 3, 2, 2), Shape.of(2, 12), (x, p) -> x.clone(), 40);
        GradCheck.check("Flatten", new Flatten(cpu), Shape.of(2, 3, 2, 3), (x, p) -> x.clone(), 41);
        assertThrows(IllegalArgumentException.class, () -> new Reshape(cpu, 5, 5).forward(Tensor.zeros(2, 12)));
    }

    /**
     * conv -> leaky relu -> batchnorm -> flatten -> linear: composition and prefixed parameter names
     * (the batchnorm after the activation, so the conv bias has a gradient that is not zero).
     */
    @Test void sequentialNetwork() {
        var init = new Init(8);
        var net = new Sequential(cpu)
                .add("conv", new Conv2d(cpu, 2, 3, 3, 2, 1, true, init))
                .add("act", new LeakyReLU(cpu, 0.3f))
                .add("bn", new BatchNorm2d(cpu, 3))
                .add("flat", new Flatten(cpu))
                .add("fc", new Linear(cpu, 3 * 3 * 3, 2, true, init));
        GradCheck.check("Sequential", net, Shape.of(3, 2, 5, 5), (x, p) -> {
            var h = Ref.conv2d(x, 3, 2, 5, 5, p.get("conv.weight"), 3, 3, 2, 1, p.get("conv.bias"));
            h = Ref.leakyRelu(h, 0.3);
            h = Ref.batchNorm(h, 3, 3, 9, p.get("bn.weight"), p.get("bn.bias"), 1e-5);
            return Ref.linear(h, 3, 27, p.get("fc.weight"), 2, p.get("fc.bias"));
        }, 50);
    }

    private void randomAffine(BatchNorm bn, int c, long seed) {
        var state = new java.util.HashMap<String, Tensor>();
        state.put("weight", Tensor.of(GradCheck.randn(seed, c), c));
        state.put("bias", Tensor.of(GradCheck.randn(seed + 1, c), c));
        state.put("running_mean", Tensor.zeros(c));
        state.put("running_var", Tensor.full(1.3f, c));
        bn.loadStateDict(state);
    }
}
