package io.genten.backend.cpu;

import static io.genten.backend.cpu.GradCheck.assertClose;
import static io.genten.backend.cpu.GradCheck.numericGradient;
import static io.genten.backend.cpu.GradCheck.randn;
import static io.genten.backend.cpu.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PointwiseTest {
    private final Backend cpu = CpuBackend.get();

    private static final List<Activation> ACTIVATIONS = List.of(Activation.IDENTITY, Activation.RELU,
            Activation.leakyRelu(0.2f), Activation.leakyRelu(0.3f), Activation.TANH, Activation.SIGMOID);

    /** The activations in double, independent of {@link Activation#apply}. */
    private static DoubleUnaryOperator reference(Activation a) {
        return switch (a) {
            case Activation.Identity i -> x -> x;
            case Activation.Relu r -> x -> Math.max(x, 0);
            case Activation.LeakyRelu l -> x -> x > 0 ? x : (double) l.alpha() * x;
            case Activation.Tanh t -> Math::tanh;
            case Activation.Sigmoid s -> x -> 1 / (1 + Math.exp(-x));
        };
    }

    /** Random values kept away from the kink at 0, where relu has no derivative. */
    private static float[] awayFromZero(Random rnd, int n) {
        float[] x = randn(rnd, n, 2, 0);
        for (int i = 0; i < n; i++) if (Math.abs(x[i]) < 1e-2f) x[i] += 0.1f;
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 64, 16_387, 100_001})
    void activationsForwardAndBackward(int n) {
        var rnd = new Random(n);
        for (var act : ACTIVATIONS) {
            try (var scope = TensorScope.open()) {
                float[] xf = awayFromZero(rnd, n), r = randn(rnd, n, 1, 0);
                var f = reference(act);
                var x = Tensor.wrap(xf, Shape.of(n));
                var y = cpu.activationForward(act, x);
                var yExp = new double[n];
                for (int i = 0; i < n; i++) yExp[i] = f.applyAsDouble(xf[i]);
                assertClose(act + " forward", y.toArray(), yExp, 1e-6);

                var dx = cpu.activationBackward(act, x, y, Tensor.wrap(r, Shape.of(n)));
                // d/dx of sum(f(x) * r) is elementwise, so differences of the summed loss per element suffice
                var num = new double[n];
                double h = 1e-6;
                for (int i = 0; i < n; i++) num[i] = r[i] * (f.applyAsDouble(xf[i] + h) - f.applyAsDouble(xf[i] - h)) / (2 * h);
                assertClose(act + " backward", dx.toArray(), num, 1e-5);
                if (n <= 64) {
                    double[] xd = toDouble(xf);
                    double[] full = numericGradient(xd, xs -> {
                        double s = 0;
                        for (int i = 0; i < xs.length; i++) s += f.applyAsDouble(xs[i]) * r[i];
                        return s;
                    }, h);
                    assertClose(act + " backward (whole loss)", dx.toArray(), full, 1e-5);
                }
                var dxNoY = cpu.activationBackward(act, x, null, Tensor.wrap(r, Shape.of(n)));
                assertArrayEquals(dx.toArray(), dxNoY.toArray(), act + ": y recomputed when absent");
            }
        }
    }

    @Test
    void activationsMatchPyTorchGolden() {
        try (var g = Golden.op("activations"); var scope = TensorScope.open()) {
            int cases = 0;
            for (var e : g.metadata().entrySet()) {
                if (!e.getKey().startsWith("case")) continue;
                String name = e.getValue();
                Activation act = switch (name) {
                    case "relu" -> Activation.RELU;
                    case "tanh" -> Activation.TANH;
                    case "sigmoid" -> Activation.SIGMOID;
                    default -> {
                        assertTrue(name.startsWith("leaky_relu_"), "unexpected case " + name);
                        yield Activation.leakyRelu(Float.parseFloat(name.substring("leaky_relu_".length())));
                    }
                };
                String k = e.getKey() + ".";
                var x = g.get(k + "x");
                var y = cpu.activationForward(act, x);
                Assertions2.assertClose(k + name + " y", y, g.get(k + "y"), 1e-5);
                Assertions2.assertClose(k + name + " dx", cpu.activationBackward(act, x, y, g.get(k + "dy")), g.get(k + "dx"), 1e-5);
                cases++;
            }
            assertEquals(4, cases);
        }
    }

    // ---- dropout ---------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 1000, 16_389, 1_000_003})
    void dropoutFollowsThePhiloxMask(int n) {
        float p = 0.3f;
        long seed = 1234567890123L, offset = 77;
        try (var scope = TensorScope.open()) {
            var x = Tensor.wrap(GradCheck.uniform(new Random(n), n, 0.5, 2), Shape.of(n));
            var y = cpu.dropoutForward(x, p, seed, offset).toArray();
            var u = new float[n];
            Philox.fillUniform(seed, offset, u);
            float[] xs = x.toArray();
            float keep = (float) (1.0 / (1.0 - p));
            for (int i = 0; i < n; i++) {
                float expected = u[i] >= p ? xs[i] * keep : 0f;
                if (expected != y[i]) throw new AssertionError("element " + i + ": " + y[i] + " but " + expected);
            }
        }
    }

    /** Dropped values are +0 bit for bit (negative inputs too); a dropped NaN or infinity is NaN, as in PyTorch. */
    @Test
    void dropoutGivesPositiveZerosAndKeepsNaNs() {
        int n = 4096;
        float p = 0.5f;
        var u = new float[n];
        Philox.fillUniform(3, 4, u);
        float[] xs = GradCheck.uniform(new Random(5), n, -2, 2);
        for (int i = 0; i < n; i += 7) xs[i] = i % 2 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
        try (var x = Tensor.wrap(xs.clone(), Shape.of(n)); var yt = cpu.dropoutForward(x, p, 3, 4)) {
            float[] y = yt.toArray();
            int droppedNegative = 0, droppedNonFinite = 0;
            for (int i = 0; i < n; i++) {
                boolean kept = u[i] >= p, finite = Float.isFinite(xs[i]);
                if (kept) {
                    assertEquals(Float.floatToIntBits(xs[i] * 2f), Float.floatToIntBits(y[i]), "kept " + i);
                } else if (finite) {
                    assertEquals(0, Float.floatToRawIntBits(y[i]), "dropped " + i + " (" + xs[i] + ") must be +0");
                    if (xs[i] < 0) droppedNegative++;
                } else {
                    assertTrue(Float.isNaN(y[i]), "dropped " + xs[i] + " at " + i + " gives NaN, not " + y[i]);
                    droppedNonFinite++;
                }
            }
            assertTrue(droppedNegative > 100 && droppedNonFinite > 100, droppedNegative + " / " + droppedNonFinite);
        }
    }

    @Test
    void dropoutKeepsAboutOneMinusPAndBackwardUsesTheSameMask() {
        int n = 1_000_000;
        for (float p : new float[] {0.1f, 0.3f, 0.5f, 0.9f}) {
            try (var scope = TensorScope.open()) {
                var x = cpu.full(Shape.of(1000, 1000), 1f);
                var y = cpu.dropoutForward(x, p, 42, 5).toArray();
                var dy = cpu.randn(Shape.of(1000, 1000), 3, 0);
                var dx = cpu.dropoutBackward(dy, p, 42, 5).toArray();
                float[] g = dy.toArray();
                int kept = 0;
                float keep = (float) (1.0 / (1.0 - p));
                for (int i = 0; i < n; i++) {
                    boolean k = y[i] != 0f;
                    if (k) {
                        kept++;
                        assertEquals(keep, y[i], "kept value is x / (1 - p)");
                        assertEquals(g[i] * keep, dx[i], "backward keeps the same element");
                    } else {
                        assertEquals(0f, dx[i], "backward drops the same element");
                    }
                }
                double frac = kept / (double) n, sigma = Math.sqrt(p * (1 - p) / n);
                assertEquals(1 - p, frac, 6 * sigma, "keep fraction for p=" + p);
                var other = cpu.dropoutForward(x, p, 43, 5).toArray();
                assertTrue(!Arrays.equals(y, other), "another seed gives another mask");
                var otherOffset = cpu.dropoutForward(x, p, 42, 6).toArray();
                assertTrue(!Arrays.equals(y, otherOffset), "another offset gives another mask");
            }
        }
    }

    @Test
    void dropoutBackwardIsTheGradientOfForward() {
        int n = 37;
        var rnd = new Random(8);
        float p = 0.4f;
        float[] xf = randn(rnd, n, 1, 0), r = randn(rnd, n, 1, 0);
        try (var scope = TensorScope.open()) {
            double[] num = numericGradient(toDouble(xf), xs -> {
                var y = cpu.dropoutForward(Tensor.wrap(toFloat(xs), Shape.of(n)), p, 9, 1).toArray();
                // the op is linear in x, so the float forward is exact enough to difference at this step
                return GradCheck.dot(toDouble(y), r);
            }, 0.5);
            assertClose("dropout dx", cpu.dropoutBackward(Tensor.wrap(r, Shape.of(n)), p, 9, 1).toArray(), num, 1e-5);
        }
    }

    private static float[] toFloat(double[] d) {
        var f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Test
    void dropoutWithZeroProbabilityCopiesAndBadProbabilityThrows() {
        try (var scope = TensorScope.open()) {
            var x = cpu.randn(Shape.of(3, 5), 1, 2);
            var y = cpu.dropoutForward(x, 0f, 1, 2);
            assertArrayEquals(x.toArray(), y.toArray());
            assertNotEquals(x, y, "a new tensor");
            for (float p : new float[] {1f, -0.1f, Float.NaN, 2f}) {
                var ex = assertThrows(IllegalArgumentException.class, () -> cpu.dropoutForward(x, p, 1, 2));
                assertTrue(ex.getMessage().contains("dropout"), ex.getMessage());
                assertThrows(IllegalArgumentException.class, () -> cpu.dropoutBackward(x, p, 1, 2));
            }
        }
    }

    // ---- arithmetic and reductions ---------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {1, 6, 33, 70_001})
    void addScaleAndAddInPlace(int n) {
        var rnd = new Random(n + 1);
        float[] a = randn(rnd, n, 1, 0), b = randn(rnd, n, 1, 0);
        try (var scope = TensorScope.open()) {
            var ta = Tensor.wrap(a.clone(), Shape.of(n));
            var tb = Tensor.wrap(b.clone(), Shape.of(n));
            var sum = cpu.add(ta, tb).toArray();
            var scaled = cpu.scale(ta, -2.5f).toArray();
            for (int i = 0; i < n; i++) {
                assertEquals(a[i] + b[i], sum[i]);
                assertEquals(a[i] * -2.5f, scaled[i]);
            }
            cpu.addInPlace(ta, tb);
            assertArrayEquals(sum, ta.toArray(), "addInPlace");
            assertArrayEquals(b, tb.toArray(), "x unchanged");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17, 16_384, 300_007})
    void sumAndMeanAccumulateInDouble(int n) {
        var rnd = new Random(n + 3);
        float[] a = randn(rnd, n, 3, 1);
        try (var scope = TensorScope.open()) {
            var t = Tensor.wrap(a, Shape.of(n));
            double s = 0;
            for (float v : a) s += v;
            var sum = cpu.sum(t);
            var mean = cpu.mean(t);
            assertEquals(Shape.scalar(), sum.shape());
            assertEquals(Shape.scalar(), mean.shape());
            assertEquals((float) s, sum.item());
            assertEquals((float) (s / n), mean.item());
        }
    }

    @Test
    void sumBeyondFloatPrecision() {
        // a float accumulator stops growing at 2^24
        int n = 17_000_001;
        try (var scope = TensorScope.open()) {
            var t = cpu.full(Shape.of(n), 1f);
            assertEquals((float) n, cpu.sum(t).item());
            assertEquals(1f, cpu.mean(t).item());
            assertTrue(Float.isNaN(cpu.mean(cpu.zeros(Shape.of(0))).item()), "mean of nothing is NaN");
            assertEquals(0f, cpu.sum(cpu.zeros(Shape.of(0, 3))).item());
        }
    }

    @Test
    void rejectsBadInput() {
        try (var scope = TensorScope.open()) {
            var a = cpu.zeros(Shape.of(2, 3));
            var b = cpu.zeros(Shape.of(3, 2));
            var ex = assertThrows(IllegalArgumentException.class, () -> cpu.add(a, b));
            assertTrue(ex.getMessage().contains("add") && ex.getMessage().contains("[2, 3]"), ex.getMessage());
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.addInPlace(a, b));
            assertTrue(ex.getMessage().contains("addInPlace"), ex.getMessage());
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.activationBackward(Activation.RELU, a, a, b));
            assertTrue(ex.getMessage().contains("activationBackward"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.activationBackward(Activation.TANH, a, b, a));
            var closed = cpu.zeros(Shape.of(2, 3));
            closed.close();
            assertThrows(IllegalStateException.class, () -> cpu.activationForward(Activation.RELU, closed));
            assertThrows(IllegalStateException.class, () -> cpu.sum(closed));
            assertThrows(IllegalStateException.class, () -> cpu.addInPlace(a, closed));
        }
    }
}
