package io.genten.backend.cpu;

import static io.genten.backend.cpu.GradCheck.assertClose;
import static io.genten.backend.cpu.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdamTest {
    private final Backend cpu = CpuBackend.get();

    /** torch.optim.Adam / AdamW written out in double, one parameter tensor. */
    private static final class RefAdam {
        final double[] p, m, v;

        RefAdam(float[] p0) {
            p = GradCheck.toDouble(p0);
            m = new double[p0.length];
            v = new double[p0.length];
        }

        void step(float[] g, double lr, double b1, double b2, double eps, double wd, boolean decoupled, long t) {
            for (int i = 0; i < p.length; i++) {
                double gi = g[i];
                if (decoupled) p[i] *= 1 - lr * wd;
                else gi += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double mhat = m[i] / (1 - Math.pow(b1, t)), vhat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
            }
        }
    }

    /** The decimal value a float hyperparameter stands for, as PyTorch receives it. */
    private static double dec(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    @ParameterizedTest
    @CsvSource({"0.001,0.9,0.999,0,false", "0.01,0.5,0.99,0.1,false", "0.001,0.9,0.999,0.01,true", "0.0002,0.5,0.999,0,true"})
    void matchesTheReferenceOverManyStepsAndParameters(float lr, float b1, float b2, float wd, boolean decoupled) {
        var config = new AdamConfig(lr, b1, b2, 1e-8f, wd, decoupled);
        var rnd = new Random(Float.floatToIntBits(lr) ^ Float.floatToIntBits(wd));
        Shape[] shapes = {Shape.of(7), Shape.of(4, 6), Shape.of(3, 2, 5, 5), Shape.of(1), Shape.of(70_001)};
        try (var scope = TensorScope.open()) {
            var params = new ArrayList<Tensor>();
            var ms = new ArrayList<Tensor>();
            var vs = new ArrayList<Tensor>();
            var refs = new ArrayList<RefAdam>();
            for (var s : shapes) {
                float[] p0 = randn(rnd, s.size(), 1, 0);
                params.add(Tensor.wrap(p0.clone(), s));
                ms.add(cpu.zeros(s));
                vs.add(cpu.zeros(s));
                refs.add(new RefAdam(p0));
            }
            var before = List.copyOf(params);
            for (long t = 1; t <= 5; t++) {
                var grads = new ArrayList<Tensor>();
                for (int i = 0; i < shapes.length; i++) {
                    float[] g = randn(rnd, shapes[i].size(), 0.1, 0.02);
                    grads.add(Tensor.wrap(g, shapes[i]));
                    refs.get(i).step(g, dec(lr), dec(b1), dec(b2), 1e-8, dec(wd), decoupled, t);
                }
                cpu.adamStep(params, grads, ms, vs, config, t);
            }
            for (int i = 0; i < shapes.length; i++) {
                assertSame(before.get(i), params.get(i));
                assertClose("param " + i, params.get(i).toArray(), refs.get(i).p, 1e-6);
                assertClose("m " + i, ms.get(i).toArray(), refs.get(i).m, 1e-6);
                assertClose("v " + i, vs.get(i).toArray(), refs.get(i).v, 1e-6);
            }
        }
    }

    @Test
    void weightDecayChangesTheStepAndDecoupledDiffers() {
        try (var scope = TensorScope.open()) {
            float[] p0 = randn(new Random(3), 20, 1, 0);
            float[] g = randn(new Random(4), 20, 1, 0);
            float[][] out = new float[3][];
            AdamConfig[] configs = {AdamConfig.of(0.01f, 0.9f, 0.999f), new AdamConfig(0.01f, 0.9f, 0.999f, 1e-8f, 0.5f, false),
                new AdamConfig(0.01f, 0.9f, 0.999f, 1e-8f, 0.5f, true)};
            for (int c = 0; c < 3; c++) {
                var p = Tensor.wrap(p0.clone(), Shape.of(20));
                cpu.adamStep(List.of(p), List.of(Tensor.wrap(g, Shape.of(20))), List.of(cpu.zeros(Shape.of(20))),
                        List.of(cpu.zeros(Shape.of(20))), configs[c], 1);
                out[c] = p.toArray();
            }
            assertTrue(Assertions2.relativeL2(out[0], out[1]) > 1e-4, "coupled weight decay changes the step");
            assertTrue(Assertions2.relativeL2(out[1], out[2]) > 1e-4, "decoupled differs from coupled");
            // the first Adam step moves each element by lr * sign(g) (up to eps)
            for (int i = 0; i < 20; i++) assertEquals(p0[i] - 0.01f * Math.signum(g[i]), out[0][i], 1e-6);
        }
    }

    private static final Pattern META = Pattern.compile("lr=([0-9.e-]+) betas=\\(([0-9.]+),([0-9.]+)\\) eps=([0-9.e-]+) three steps");

    @Test
    void matchesPyTorchGolden() {
        try (var g = Golden.op("adam"); var scope = TensorScope.open()) {
            int cases = 0;
            for (var e : g.metadata().entrySet()) {
                var mt = META.matcher(e.getValue());
                assertTrue(mt.matches(), "unexpected metadata " + e.getValue());
                var config = new AdamConfig(Float.parseFloat(mt.group(1)), Float.parseFloat(mt.group(2)), Float.parseFloat(mt.group(3)),
                        Float.parseFloat(mt.group(4)), 0f, false);
                String k = e.getKey() + ".";
                var p = cpu.copyOf(g.get(k + "p0"));
                var m = cpu.zeros(p.shape());
                var v = cpu.zeros(p.shape());
                for (int t = 1; t <= 3; t++) {
                    cpu.adamStep(List.of(p), List.of(g.get(k + "g" + t)), List.of(m), List.of(v), config, t);
                    Assertions2.assertClose(k + "p" + t, p, g.get(k + "p" + t), 1e-5);
                }
                cases++;
            }
            assertEquals(2, cases);
        }
    }

    /**
     * Gradients of the size of eps: there sqrt(v_hat) and eps are comparable, so the update is
     * visibly smaller than lr and depends on eps being added (not subtracted, not squared, not
     * dropped). Parameters are small so that float storage keeps the update's digits.
     */
    @ParameterizedTest
    @CsvSource({"1e-8", "1e-6", "1e-3"})
    void gradientsNearEpsGiveDampedSteps(float eps) {
        var config = new AdamConfig(1e-3f, 0.9f, 0.999f, eps, 0f, false);
        var rnd = new Random(Float.floatToIntBits(eps));
        int n = 257;
        float[] p0 = randn(rnd, n, 1e-3, 0);
        try (var scope = TensorScope.open()) {
            var p = Tensor.wrap(p0.clone(), Shape.of(n));
            var m = cpu.zeros(Shape.of(n));
            var v = cpu.zeros(Shape.of(n));
            var ref = new RefAdam(p0);
            for (long t = 1; t <= 3; t++) {
                float[] g = randn(rnd, n, dec(eps), 0);
                ref.step(g, 1e-3, 0.9, 0.999, dec(eps), 0, false, t);
                cpu.adamStep(List.of(p), List.of(Tensor.wrap(g, Shape.of(n))), List.of(m), List.of(v), config, t);
            }
            float[] got = p.toArray();
            float[] gotStep = new float[n];
            double[] wantStep = new double[n];
            double largest = 0;
            for (int i = 0; i < n; i++) {
                gotStep[i] = got[i] - p0[i];
                wantStep[i] = ref.p[i] - p0[i];
                largest = Math.max(largest, Math.abs(wantStep[i]));
            }
            assertClose("Adam steps with |g| ~ eps = " + eps, gotStep, wantStep, 1e-4);
            // eps damps the steps: three steps of lr each would be 3e-3 per element
            assertTrue(largest < 2.9e-3, "steps should be damped by eps, largest " + largest);
            assertTrue(largest > 1e-4, "steps should not vanish, largest " + largest);
        }
    }

    @Test
    void rejectsBadInput() {
        var config = AdamConfig.of(1e-3f, 0.9f, 0.999f);
        try (var scope = TensorScope.open()) {
            var a = cpu.zeros(Shape.of(3, 4));
            var b = cpu.zeros(Shape.of(4, 3));
            var ex = assertThrows(IllegalArgumentException.class, () -> cpu.adamStep(List.of(a), List.of(b), List.of(a), List.of(a), config, 1));
            assertTrue(ex.getMessage().contains("adamStep") && ex.getMessage().contains("[4, 3]"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.adamStep(List.of(a), List.of(a), List.of(a, a), List.of(a), config, 1));
            assertThrows(IllegalArgumentException.class, () -> cpu.adamStep(List.of(a), List.of(a), List.of(a), List.of(b), config, 1));
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.adamStep(List.of(a), List.of(a), List.of(a), List.of(a), config, 0));
            assertTrue(ex.getMessage().contains("step"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> AdamConfig.of(-1f, 0.9f, 0.999f));
        }
    }
}
