package io.genten.backend.cpu;

import static io.genten.backend.cpu.GradCheck.assertClose;
import static io.genten.backend.cpu.GradCheck.numericGradient;
import static io.genten.backend.cpu.GradCheck.randn;
import static io.genten.backend.cpu.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VaeOpsTest {
    private final Backend cpu = CpuBackend.get();

    private static double klRef(double[] mu, double[] logvar) {
        double s = 0;
        for (int i = 0; i < mu.length; i++) s += 1 + logvar[i] - mu[i] * mu[i] - Math.exp(logvar[i]);
        return -0.5 * s;
    }

    private static double[] zRef(double[] mu, double[] logvar, float[] eps) {
        var z = new double[mu.length];
        for (int i = 0; i < z.length; i++) z[i] = mu[i] + Math.exp(0.5 * logvar[i]) * eps[i];
        return z;
    }

    @ParameterizedTest
    @CsvSource({"4,8", "3,5", "1,1", "64,32"})
    void reparamForwardDrawsPhiloxNoise(int n, int d) {
        var rnd = new Random(n * 100 + d);
        var shape = Shape.of(n, d);
        try (var scope = TensorScope.open()) {
            var mu = Tensor.wrap(randn(rnd, n * d, 1, 0), shape);
            var logvar = Tensor.wrap(randn(rnd, n * d, 0.5, -0.5), shape);
            var out = cpu.reparamForward(mu, logvar, 99, 12);
            assertArrayEquals(cpu.randn(shape, 99, 12).toArray(), out.eps().toArray(), "eps is randn(shape, seed, offset)");
            assertClose("z", out.z().toArray(), zRef(toDouble(mu.toArray()), toDouble(logvar.toArray()), out.eps().toArray()), 1e-6);
            assertArrayEquals(out.z().toArray(), cpu.reparamForward(mu, logvar, out.eps()).toArray(), "given eps");
            var other = cpu.reparamForward(mu, logvar, 99, 13);
            assertTrue(n * d == 1 || !java.util.Arrays.equals(out.eps().toArray(), other.eps().toArray()), "another offset, other noise");
        }
    }

    @ParameterizedTest
    @CsvSource({"3,5,0", "4,8,0.7", "2,3,1", "6,2,2.5"})
    void reparamBackwardMatchesFiniteDifferences(int n, int d, float klScale) {
        var rnd = new Random(n * 7 + d);
        int len = n * d;
        float[] muf = randn(rnd, len, 1, 0), lvf = randn(rnd, len, 0.5, -0.3), eps = randn(rnd, len, 1, 0), r = randn(rnd, len, 1, 0);
        double[] mu = toDouble(muf), lv = toDouble(lvf);
        // L = sum(z * r) + klScale * KL
        double[] dmuNum = numericGradient(mu, m -> GradCheck.dot(zRef(m, lv, eps), r) + klScale * klRef(m, lv), 1e-6);
        double[] dlvNum = numericGradient(lv, l -> GradCheck.dot(zRef(mu, l, eps), r) + klScale * klRef(mu, l), 1e-6);
        var shape = Shape.of(n, d);
        try (var scope = TensorScope.open()) {
            var g = cpu.reparamBackward(Tensor.wrap(r, shape), Tensor.wrap(muf, shape), Tensor.wrap(lvf, shape),
                    Tensor.wrap(eps, shape), klScale);
            assertClose("dmu", g.dmu().toArray(), dmuNum, 1e-5);
            assertClose("dlogvar", g.dlogvar().toArray(), dlvNum, 1e-5);
        }
    }

    @ParameterizedTest
    @CsvSource({"5,6,1", "4,32,0.25", "7,3,3"})
    void klAndItsGradient(int n, int d, float scale) {
        var rnd = new Random(n + d * 13);
        int len = n * d;
        float[] muf = randn(rnd, len, 1, 0), lvf = randn(rnd, len, 0.7, 0);
        double[] mu = toDouble(muf), lv = toDouble(lvf);
        var shape = Shape.of(n, d);
        try (var scope = TensorScope.open()) {
            var kl = cpu.klDivergence(Tensor.wrap(muf, shape), Tensor.wrap(lvf, shape));
            assertEquals(Shape.scalar(), kl.shape());
            double exp = klRef(mu, lv);
            assertEquals(exp, kl.item(), 1e-6 * Math.abs(exp));
            var g = cpu.klBackward(Tensor.wrap(muf, shape), Tensor.wrap(lvf, shape), scale);
            assertClose("dmu", g.dmu().toArray(), numericGradient(mu, m -> scale * klRef(m, lv), 1e-6), 1e-5);
            assertClose("dlogvar", g.dlogvar().toArray(), numericGradient(lv, l -> scale * klRef(mu, l), 1e-6), 1e-5);
        }
    }

    @Test
    void reparamMatchesPyTorchGolden() {
        try (var g = Golden.op("reparam"); var scope = TensorScope.open()) {
            assertTrue(g.metadata().get("case0").contains("exp(0.5*logvar)"), "case0 is the reparameterization");
            var mu = g.get("case0.mu");
            var logvar = g.get("case0.logvar");
            var eps = g.get("case0.eps");
            Assertions2.assertClose("z", cpu.reparamForward(mu, logvar, eps), g.get("case0.z"), 1e-5);
            var grads = cpu.reparamBackward(g.get("case0.dz"), mu, logvar, eps, 0f);
            Assertions2.assertClose("dmu", grads.dmu(), g.get("case0.dmu"), 1e-5);
            Assertions2.assertClose("dlogvar", grads.dlogvar(), g.get("case0.dlogvar"), 1e-5);
        }
    }

    @Test
    void klMatchesPyTorchGolden() {
        try (var g = Golden.op("losses"); var scope = TensorScope.open()) {
            assertTrue(g.metadata().get("case3").startsWith("kl"), "losses case3 is the KL term");
            var mu = g.get("case3.mu");
            var logvar = g.get("case3.logvar");
            Assertions2.assertClose("kl", new float[] {cpu.klDivergence(mu, logvar).item()}, g.get("case3.loss").toArray(), 1e-5);
            var grads = cpu.klBackward(mu, logvar, 1f);
            Assertions2.assertClose("dmu", grads.dmu(), g.get("case3.dmu"), 1e-5);
            Assertions2.assertClose("dlogvar", grads.dlogvar(), g.get("case3.dlogvar"), 1e-5);
            // the fused pass with dz = 0 is the KL gradient alone
            var fused = cpu.reparamBackward(cpu.zeros(mu.shape()), mu, logvar, cpu.randn(mu.shape(), 1, 1), 1f);
            Assertions2.assertClose("fused dmu", fused.dmu(), g.get("case3.dmu"), 1e-5);
            Assertions2.assertClose("fused dlogvar", fused.dlogvar(), g.get("case3.dlogvar"), 1e-5);
        }
    }

    @Test
    void rejectsBadInput() {
        try (var scope = TensorScope.open()) {
            var a = cpu.zeros(Shape.of(4, 8));
            var b = cpu.zeros(Shape.of(4, 7));
            var ex = assertThrows(IllegalArgumentException.class, () -> cpu.reparamForward(a, b, 1, 0));
            assertTrue(ex.getMessage().contains("reparamForward") && ex.getMessage().contains("[4, 7]"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.reparamForward(a, a, b));
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.reparamBackward(b, a, a, a, 1f));
            assertTrue(ex.getMessage().contains("reparamBackward"), ex.getMessage());
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.klDivergence(a, b));
            assertTrue(ex.getMessage().contains("klDivergence"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.klBackward(a, b, 1f));
        }
    }
}
