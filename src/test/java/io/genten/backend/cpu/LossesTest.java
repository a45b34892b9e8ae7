package io.genten.backend.cpu;

import static io.genten.backend.cpu.GradCheck.assertClose;
import static io.genten.backend.cpu.GradCheck.numericGradient;
import static io.genten.backend.cpu.GradCheck.randn;
import static io.genten.backend.cpu.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LossesTest {
    private final Backend cpu = CpuBackend.get();

    /** The textbook form -t log(sigmoid(x)) - (1 - t) log(1 - sigmoid(x)), fine in double for moderate x. */
    private static double bceRef(double[] x, float[] t, Reduction red) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double p = 1 / (1 + Math.exp(-x[i]));
            s += -t[i] * Math.log(p) - (1 - t[i]) * Math.log(1 - p);
        }
        return red == Reduction.MEAN ? s / x.length : s;
    }

    private static double mseRef(double[] p, float[] t, Reduction red) {
        double s = 0;
        for (int i = 0; i < p.length; i++) s += (p[i] - t[i]) * (p[i] - t[i]);
        return red == Reduction.MEAN ? s / p.length : s;
    }

    /** Targets: hard labels, label smoothing (0.9) and image-like values in [0, 1]. */
    private static float[] targets(Random rnd, int n, String kind) {
        var t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = switch (kind) {
                case "hard" -> rnd.nextBoolean() ? 1f : 0f;
                case "smooth" -> rnd.nextBoolean() ? 0.9f : 0f;
                default -> rnd.nextFloat();
            };
        }
        return t;
    }

    @ParameterizedTest
    @CsvSource({"8,1,SUM,hard,1", "8,1,MEAN,smooth,1", "3,16,SUM,image,0.5", "5,7,MEAN,image,2", "64,33,SUM,smooth,1"})
    void bceWithLogitsAndGradient(int n, int d, Reduction red, String kind, float scale) {
        var rnd = new Random(n * 31 + d);
        int len = n * d;
        float[] xf = randn(rnd, len, 3, 0), t = targets(rnd, len, kind);
        double[] x = toDouble(xf);
        var shape = Shape.of(n, d);
        try (var scope = TensorScope.open()) {
            var logits = Tensor.wrap(xf, shape);
            var tt = Tensor.wrap(t, shape);
            var loss = cpu.bceWithLogits(logits, tt, red);
            assertEquals(Shape.scalar(), loss.shape());
            double exp = bceRef(x, t, red);
            assertEquals(exp, loss.item(), 1e-6 * Math.abs(exp));
            var grad = cpu.bceWithLogitsBackward(logits, tt, red, scale);
            assertClose("dlogits", grad.toArray(), numericGradient(x, xs -> scale * bceRef(xs, t, red), 1e-6), 1e-5);
        }
    }

    @Test
    void bceIsStableForExtremeLogits() {
        try (var scope = TensorScope.open()) {
            var x = Tensor.of(new float[] {100f, -100f, 1e4f, -1e4f, 0f}, 5);
            var t = Tensor.of(new float[] {0f, 1f, 1f, 0f, 0.5f}, 5);
            double exp = 100 + 100 + 0 + 0 + Math.log(2);
            assertEquals(exp, cpu.bceWithLogits(x, t, Reduction.SUM).item(), 1e-5);
            float[] g = cpu.bceWithLogitsBackward(x, t, Reduction.SUM, 1f).toArray();
            float[] gExp = {1f, -1f, 0f, 0f, 0f};
            for (int i = 0; i < 5; i++) assertEquals(gExp[i], g[i], 1e-6, "element " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"4,5,SUM,1", "3,3,MEAN,1", "16,7,MEAN,0.5", "1,1,SUM,3"})
    void mseAndGradient(int n, int d, Reduction red, float scale) {
        var rnd = new Random(n * 17 + d);
        int len = n * d;
        float[] pf = randn(rnd, len, 1, 0), t = GradCheck.uniform(rnd, len, 0, 1);
        double[] p = toDouble(pf);
        var shape = Shape.of(n, d);
        try (var scope = TensorScope.open()) {
            var pt = Tensor.wrap(pf, shape);
            var tt = Tensor.wrap(t, shape);
            double exp = mseRef(p, t, red);
            assertEquals(exp, cpu.mse(pt, tt, red).item(), 1e-6 * Math.abs(exp));
            assertClose("dprediction", cpu.mseBackward(pt, tt, red, scale).toArray(),
                    numericGradient(p, ps -> scale * mseRef(ps, t, red), 1e-6), 1e-5);
        }
    }

    @Test
    void bceMatchesPyTorchGolden() {
        try (var g = Golden.op("losses"); var scope = TensorScope.open()) {
            int cases = 0;
            for (var e : g.metadata().entrySet()) {
                if (!e.getValue().startsWith("bce_with_logits")) continue;
                var red = e.getValue().contains("reduction=mean") ? Reduction.MEAN : Reduction.SUM;
                assertTrue(red == Reduction.MEAN || e.getValue().contains("reduction=sum"), e.getValue());
                String k = e.getKey() + ".";
                var logits = g.get(k + "logits");
                var target = g.get(k + "target");
                var loss = cpu.bceWithLogits(logits, target, red);
                Assertions2.assertClose(k + "loss", new float[] {loss.item()}, g.get(k + "loss").toArray(), 1e-5);
                Assertions2.assertClose(k + "dlogits", cpu.bceWithLogitsBackward(logits, target, red, 1f), g.get(k + "dlogits"), 1e-5);
                cases++;
            }
            assertEquals(3, cases);
        }
    }

    @Test
    void rejectsBadInput() {
        try (var scope = TensorScope.open()) {
            var a = cpu.zeros(Shape.of(8, 1));
            var b = cpu.zeros(Shape.of(8));
            var ex = assertThrows(IllegalArgumentException.class, () -> cpu.bceWithLogits(a, b, Reduction.MEAN));
            assertTrue(ex.getMessage().contains("bceWithLogits") && ex.getMessage().contains("[8, 1]"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.bceWithLogitsBackward(a, b, Reduction.SUM, 1f));
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.mse(a, b, Reduction.SUM));
            assertTrue(ex.getMessage().contains("mse"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.mseBackward(a, b, Reduction.MEAN, 1f));
            assertThrows(IllegalArgumentException.class, () -> cpu.bceWithLogits(a, a, null));
        }
    }
}
