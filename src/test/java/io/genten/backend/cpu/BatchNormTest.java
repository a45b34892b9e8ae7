package io.genten.backend.cpu;

import static io.genten.backend.cpu.GradCheck.assertClose;
import static io.genten.backend.cpu.GradCheck.numericGradient;
import static io.genten.backend.cpu.GradCheck.randn;
import static io.genten.backend.cpu.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchNormTest {
    private final Backend cpu = CpuBackend.get();

    private static int[] dims(String s) {
        var parts = s.split(",");
        var d = new int[parts.length];
        for (int i = 0; i < d.length; i++) d[i] = Integer.parseInt(parts[i]);
        return d;
    }

    /** (N, C, HW) of a rank 2 or 4 shape. */
    private static int[] layout(int[] d) {
        return new int[] {d[0], d[1], d.length == 4 ? d[2] * d[3] : 1};
    }

    /** Batch mean and biased variance per channel, two passes in double. */
    private static double[][] stats(double[] x, int n, int c, int hw) {
        var mean = new double[c];
        var var = new double[c];
        int m = n * hw;
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int i = 0; i < n; i++) for (int k = 0; k < hw; k++) s += x[(i * c + ch) * hw + k];
            mean[ch] = s / m;
            double q = 0;
            for (int i = 0; i < n; i++) for (int k = 0; k < hw; k++) {
                double d = x[(i * c + ch) * hw + k] - mean[ch];
                q += d * d;
            }
            var[ch] = q / m;
        }
        return new double[][] {mean, var};
    }

    /** The training forward in double: y = (x - mean) / sqrt(var + eps) * gamma + beta. */
    private static double[] forwardRef(double[] x, double[] gamma, double[] beta, int n, int c, int hw, double eps) {
        var st = stats(x, n, c, hw);
        var y = new double[x.length];
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int k = 0; k < hw; k++) {
            int j = (i * c + ch) * hw + k;
            y[j] = (x[j] - st[0][ch]) / Math.sqrt(st[1][ch] + eps) * gamma[ch] + beta[ch];
        }
        return y;
    }

    /** Rank 2 and 4, odd and even; "16,8,16,16" and "7,5,9,11" take the parallel path, "6,2051" several rank-2 channel ranges. */
    @ParameterizedTest
    @ValueSource(strings = {"5,3", "8,6", "3,2,3,5", "2,3,4,4", "16,8,16,16", "7,5,9,11", "6,2051"})
    void trainForwardMatchesFormula(String shape) {
        int[] d = dims(shape);
        int[] l = layout(d);
        int n = l[0], c = l[1], hw = l[2], m = n * hw;
        var rnd = new Random(shape.hashCode());
        float eps = 1e-3f, momentum = 0.2f;
        try (var scope = TensorScope.open()) {
            var x = Tensor.wrap(randn(rnd, n * c * hw, 2.0, 0.5), Shape.of(d));
            var gamma = Tensor.wrap(randn(rnd, c, 0.5, 1.0), Shape.of(c));
            var beta = Tensor.wrap(randn(rnd, c, 0.5, 0.0), Shape.of(c));
            float[] rm0 = randn(rnd, c, 1, 0), rv0 = GradCheck.uniform(rnd, c, 0.5, 2);
            var rm = Tensor.wrap(rm0.clone(), Shape.of(c));
            var rv = Tensor.wrap(rv0.clone(), Shape.of(c));
            var out = cpu.batchNormTrainForward(x, gamma, beta, rm, rv, momentum, eps);

            double[] xd = toDouble(x.toArray());
            var st = stats(xd, n, c, hw);
            var invStd = new double[c];
            var rmExp = new double[c];
            var rvExp = new double[c];
            for (int ch = 0; ch < c; ch++) {
                invStd[ch] = 1 / Math.sqrt(st[1][ch] + eps);
                rmExp[ch] = (1 - momentum) * (double) rm0[ch] + momentum * st[0][ch];
                rvExp[ch] = (1 - momentum) * (double) rv0[ch] + momentum * st[1][ch] * m / (m - 1);
            }
            double[] yExp = forwardRef(xd, toDouble(gamma.toArray()), toDouble(beta.toArray()), n, c, hw, eps);
            assertEquals(x.shape(), out.y().shape());
            assertEquals(Shape.of(c), out.saveMean().shape());
            assertEquals(Shape.of(c), out.saveInvStd().shape());
            assertClose("y", out.y().toArray(), yExp, 1e-6);
            assertClose("saveMean", out.saveMean().toArray(), st[0], 1e-6);
            assertClose("saveInvStd", out.saveInvStd().toArray(), invStd, 1e-6);
            assertClose("runningMean (in place)", rm.toArray(), rmExp, 1e-6);
            assertClose("runningVar (in place, unbiased)", rv.toArray(), rvExp, 1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"5,3", "8,6", "3,2,3,5", "2,3,4,4", "4,3,1,1", "3,1030"})
    void backwardMatchesFiniteDifferences(String shape) {
        int[] d = dims(shape);
        int[] l = layout(d);
        int n = l[0], c = l[1], hw = l[2];
        var rnd = new Random(31 + shape.hashCode());
        double eps = 1e-5;
        float[] xf = randn(rnd, n * c * hw, 1.5, 0.3), gf = randn(rnd, c, 0.5, 1.0), bf = randn(rnd, c, 0.5, 0);
        float[] r = randn(rnd, xf.length, 1, 0);
        double[] x = toDouble(xf), gamma = toDouble(gf), beta = toDouble(bf);
        double[] dxNum = numericGradient(x, xs -> GradCheck.dot(forwardRef(xs, gamma, beta, n, c, hw, eps), r), 1e-5);
        double[] dgNum = numericGradient(gamma, gs -> GradCheck.dot(forwardRef(x, gs, beta, n, c, hw, eps), r), 1e-5);
        double[] dbNum = numericGradient(beta, bs -> GradCheck.dot(forwardRef(x, gamma, bs, n, c, hw, eps), r), 1e-5);
        try (var scope = TensorScope.open()) {
            var xt = Tensor.wrap(xf, Shape.of(d));
            var gt = Tensor.wrap(gf, Shape.of(c));
            var out = cpu.batchNormTrainForward(xt, gt, Tensor.wrap(bf, Shape.of(c)), cpu.zeros(Shape.of(c)),
                    cpu.full(Shape.of(c), 1f), 0.1f, (float) eps);
            var grads = cpu.batchNormBackward(Tensor.wrap(r, Shape.of(d)), xt, gt, out.saveMean(), out.saveInvStd());
            assertEquals(xt.shape(), grads.dx().shape());
            assertClose("dx", grads.dx().toArray(), dxNum, 2e-5);
            assertClose("dgamma", grads.dgamma().toArray(), dgNum, 2e-5);
            assertClose("dbeta", grads.dbeta().toArray(), dbNum, 2e-5);
        }
    }

    @Test
    void inferenceUsesRunningStatistics() {
        var rnd = new Random(5);
        int n = 3, c = 4, h = 5, w = 3, hw = h * w;
        float eps = 1e-5f;
        try (var scope = TensorScope.open()) {
            var x = Tensor.wrap(randn(rnd, n * c * hw, 2, 1), Shape.of(n, c, h, w));
            float[] g = randn(rnd, c, 1, 0), b = randn(rnd, c, 1, 0), rm = randn(rnd, c, 1, 0), rv = GradCheck.uniform(rnd, c, 0.1, 3);
            var y = cpu.batchNormInference(x, Tensor.wrap(g, Shape.of(c)), Tensor.wrap(b, Shape.of(c)),
                    Tensor.wrap(rm, Shape.of(c)), Tensor.wrap(rv, Shape.of(c)), eps);
            float[] xs = x.toArray();
            var exp = new double[xs.length];
            for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int k = 0; k < hw; k++) {
                int j = (i * c + ch) * hw + k;
                exp[j] = (xs[j] - (double) rm[ch]) / Math.sqrt(rv[ch] + (double) eps) * g[ch] + b[ch];
            }
            assertClose("y_inference", y.toArray(), exp, 1e-6);
        }
    }

    @Test
    void largeMeanSmallSpreadKeepsVarianceAccurate() {
        // float one-pass sum-of-squares would lose every digit of this variance
        var rnd = new Random(9);
        int n = 64, c = 2, hw = 1024;
        try (var scope = TensorScope.open()) {
            var x = Tensor.wrap(randn(rnd, n * c * hw, 0.01, 1000.0), Shape.of(n, c, 32, 32));
            var out = cpu.batchNormTrainForward(x, cpu.full(Shape.of(c), 1f), cpu.zeros(Shape.of(c)),
                    cpu.zeros(Shape.of(c)), cpu.full(Shape.of(c), 1f), 0.1f, 0f);
            var st = stats(toDouble(x.toArray()), n, c, hw);
            var inv = new double[c];
            for (int ch = 0; ch < c; ch++) inv[ch] = 1 / Math.sqrt(st[1][ch]);
            assertClose("saveInvStd", out.saveInvStd().toArray(), inv, 1e-6);
        }
    }

    private static final Pattern META = Pattern.compile("shape=\\[([0-9, ]+)] eps=([0-9.e-]+) momentum=([0-9.e-]+)");

    @Test
    void matchesPyTorchGolden() {
        try (var g = Golden.op("batchnorm"); var scope = TensorScope.open()) {
            int cases = 0;
            for (var e : g.metadata().entrySet()) {
                if (!e.getKey().startsWith("case")) continue;
                var mt = META.matcher(e.getValue());
                assertTrue(mt.matches(), "unexpected metadata " + e.getValue());
                float eps = Float.parseFloat(mt.group(2)), momentum = Float.parseFloat(mt.group(3));
                String k = e.getKey() + ".";
                var x = g.get(k + "x");
                assertEquals(Shape.of(dims(mt.group(1).replace(" ", ""))), x.shape());
                int c = x.dim(1);
                var gamma = g.get(k + "gamma");
                var beta = g.get(k + "beta");
                var rm = cpu.zeros(Shape.of(c));
                var rv = cpu.full(Shape.of(c), 1f);
                var out = cpu.batchNormTrainForward(x, gamma, beta, rm, rv, momentum, eps);
                var grads = cpu.batchNormBackward(g.get(k + "dy"), x, gamma, out.saveMean(), out.saveInvStd());
                var yInf = cpu.batchNormInference(x, gamma, beta, rm, rv, eps);
                Assertions2.assertClose(k + "y", out.y(), g.get(k + "y"), 1e-5);
                Assertions2.assertClose(k + "dx", grads.dx(), g.get(k + "dx"), 1e-5);
                Assertions2.assertClose(k + "dgamma", grads.dgamma(), g.get(k + "dgamma"), 1e-5);
                Assertions2.assertClose(k + "dbeta", grads.dbeta(), g.get(k + "dbeta"), 1e-5);
                Assertions2.assertClose(k + "running_mean", rm, g.get(k + "running_mean"), 1e-5);
                Assertions2.assertClose(k + "running_var", rv, g.get(k + "running_var"), 1e-5);
                Assertions2.assertClose(k + "y_inference", yInf, g.get(k + "y_inference"), 1e-5);
                cases++;
            }
            assertEquals(4, cases);
        }
    }

    @Test
    void rejectsBadInput() {
        try (var scope = TensorScope.open()) {
            var x = cpu.randn(Shape.of(4, 3, 2, 2), 1, 0);
            var c3 = cpu.full(Shape.of(3), 1f);
            var c4 = cpu.full(Shape.of(4), 1f);
            var ex = assertThrows(IllegalArgumentException.class,
                    () -> cpu.batchNormTrainForward(x, c4, c3, c3, c3, 0.1f, 1e-5f));
            assertTrue(ex.getMessage().contains("batchNormTrainForward") && ex.getMessage().contains("gamma"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(x, c3, c3, c3, c4, 0.1f, 1e-5f));
            var rank3 = cpu.randn(Shape.of(4, 3, 2), 1, 0);
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(rank3, c3, c3, c3, c3, 0.1f, 1e-5f));
            assertTrue(ex.getMessage().contains("rank"), ex.getMessage());
            var single = cpu.randn(Shape.of(1, 3, 1, 1), 1, 0);
            assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(single, c3, c3, c3, c3, 0.1f, 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(x, c3, c3, c3, c3, 1.5f, 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(x, c3, c3, c3, c3, 0.1f, -1f));
            var dyBad = cpu.randn(Shape.of(4, 3, 2, 3), 1, 0);
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormBackward(dyBad, x, c3, c3, c3));
            assertTrue(ex.getMessage().contains("batchNormBackward"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.batchNormBackward(x, x, c3, c4, c3));
            assertThrows(IllegalArgumentException.class, () -> cpu.batchNormInference(x, c3, c4, c3, c3, 1e-5f));
            var closed = cpu.full(Shape.of(3), 1f);
            closed.close();
            assertThrows(IllegalStateException.class, () -> cpu.batchNormInference(x, closed, c3, c3, c3, 1e-5f));
        }
    }

    /**
     * Every per-channel operand of every op is checked on its own (a wrong one would be read out of
     * bounds or silently short), and eps and momentum at and past their limits.
     */
    @Test
    void everyPerChannelOperandAndEveryLimitIsChecked() {
        try (var scope = TensorScope.open()) {
            var x = cpu.randn(Shape.of(4, 3, 2, 2), 1, 0);
            var x2 = cpu.randn(Shape.of(5, 3), 2, 0);
            var c3 = cpu.full(Shape.of(3), 1f);
            var c4 = cpu.full(Shape.of(4), 1f);
            var c2 = cpu.full(Shape.of(2), 1f);
            String[] trainNames = {"gamma", "beta", "runningMean", "runningVar"};
            for (var input : List.of(x, x2)) {
                for (var bad : List.of(c4, c2)) {
                    for (int k = 0; k < 4; k++) {
                        Tensor[] a = {c3, c3, c3, c3};
                        a[k] = bad;
                        var ex = assertThrows(IllegalArgumentException.class,
                                () -> cpu.batchNormTrainForward(input, a[0], a[1], a[2], a[3], 0.1f, 1e-5f));
                        assertTrue(ex.getMessage().contains("batchNormTrainForward") && ex.getMessage().contains(trainNames[k]), ex.getMessage());
                        ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormInference(input, a[0], a[1], a[2], a[3], 1e-5f));
                        assertTrue(ex.getMessage().contains("batchNormInference") && ex.getMessage().contains(trainNames[k]), ex.getMessage());
                    }
                    String[] backNames = {"gamma", "saveMean", "saveInvStd"};
                    for (int k = 0; k < 3; k++) {
                        Tensor[] a = {c3, c3, c3};
                        a[k] = bad;
                        var ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormBackward(input, input, a[0], a[1], a[2]));
                        assertTrue(ex.getMessage().contains("batchNormBackward") && ex.getMessage().contains(backNames[k]), ex.getMessage());
                    }
                }
            }
            for (float eps : new float[] {-1e-5f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                var ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(x, c3, c3, c3, c3, 0.1f, eps));
                assertTrue(ex.getMessage().contains("eps"), ex.getMessage());
                ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormInference(x, c3, c3, c3, c3, eps));
                assertTrue(ex.getMessage().contains("eps"), ex.getMessage());
            }
            for (float momentum : new float[] {-0.1f, 1.01f, Float.NaN}) {
                var ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(x, c3, c3, c3, c3, momentum, 1e-5f));
                assertTrue(ex.getMessage().contains("momentum"), ex.getMessage());
            }
            // the limits themselves are valid: eps 0 (x has spread), momentum 0 (keep) and 1 (replace)
            var rm = cpu.full(Shape.of(3), 0.25f);
            var rv = cpu.full(Shape.of(3), 2f);
            var keep = cpu.batchNormTrainForward(x, c3, c3, rm, rv, 0f, 0f);
            assertEquals(0.25f, rm.toArray()[1]);
            assertEquals(2f, rv.toArray()[2]);
            var replace = cpu.batchNormTrainForward(x, c3, c3, rm, rv, 1f, 1e-5f);
            assertEquals(replace.saveMean().toArray()[0], rm.toArray()[0], 1e-6f);
            assertTrue(Float.isFinite(keep.y().toArray()[0]));
            cpu.batchNormInference(x, c3, c3, c3, c3, 0f);
            // two values per channel are enough to train; one is not (rank 2: N = 2 vs N = 1)
            cpu.batchNormTrainForward(cpu.randn(Shape.of(2, 3), 3, 0), c3, c3, c3, c3, 0.1f, 1e-5f);
            var ex = assertThrows(IllegalArgumentException.class,
                    () -> cpu.batchNormTrainForward(cpu.randn(Shape.of(1, 3), 3, 0), c3, c3, c3, c3, 0.1f, 1e-5f));
            assertTrue(ex.getMessage().contains("more than one value"), ex.getMessage());
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormTrainForward(null, c3, c3, c3, c3, 0.1f, 1e-5f));
            assertTrue(ex.getMessage().contains("x"), ex.getMessage());
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormBackward(null, x, c3, c3, c3));
            ex = assertThrows(IllegalArgumentException.class, () -> cpu.batchNormInference(x, c3, c3, c3, null, 1e-5f));
            assertTrue(ex.getMessage().contains("runningVar"), ex.getMessage());
        }
    }

    /** The activation applied as batch norm writes each plane gives the bits of the two ops in a row. */
    @ParameterizedTest
    @ValueSource(strings = {"6,5,7,9", "4,3,1,1", "7,2051"})
    void fusedActivationEqualsTheTwoOps(String shape) {
        int[] d = dims(shape);
        int c = d[1];
        for (var act : new io.genten.backend.Activation[] {io.genten.backend.Activation.RELU, io.genten.backend.Activation.leakyRelu(0.3f)}) {
            try (var scope = io.genten.tensor.TensorScope.open()) {
                var x = cpu.randn(Shape.of(d), 5, 1);
                var gamma = cpu.randn(Shape.of(c), 6, 1);
                var beta = cpu.randn(Shape.of(c), 7, 1);
                var rm1 = cpu.zeros(Shape.of(c));
                var rv1 = cpu.full(Shape.of(c), 1f);
                var rm2 = cpu.zeros(Shape.of(c));
                var rv2 = cpu.full(Shape.of(c), 1f);
                var fused = cpu.batchNormTrainForward(x, gamma, beta, rm1, rv1, 0.1f, 1e-5f, act);
                var plain = cpu.batchNormTrainForward(x, gamma, beta, rm2, rv2, 0.1f, 1e-5f);
                org.junit.jupiter.api.Assertions.assertArrayEquals(cpu.activationForward(act, plain.y()).toArray(), fused.y().toArray(), act + " " + shape + " train");
                org.junit.jupiter.api.Assertions.assertArrayEquals(rm2.toArray(), rm1.toArray());
                org.junit.jupiter.api.Assertions.assertArrayEquals(rv2.toArray(), rv1.toArray());
                org.junit.jupiter.api.Assertions.assertArrayEquals(cpu.activationForward(act, cpu.batchNormInference(x, gamma, beta, rm1, rv1, 1e-5f)).toArray(),
                        cpu.batchNormInference(x, gamma, beta, rm1, rv1, 1e-5f, act).toArray(), act + " " + shape + " inference");
            }
        }
    }
}
