package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/** Float64 references for the op tests: random inputs and central finite differences. */
final class GradCheck {
    private GradCheck() {}

    /** Standard normal floats scaled by {@code scale} and shifted by {@code shift}. */
    static float[] randn(Random rnd, int n, double scale, double shift) {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (shift + scale * rnd.nextGaussian());
        return a;
    }

    static float[] uniform(Random rnd, int n, double lo, double hi) {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return a;
    }

    static double[] toDouble(float[] a) {
        var d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** d loss / d x by central differences in double; {@code x} is restored. */
    static double[] numericGradient(double[] x, ToDoubleFunction<double[]> loss, double h) {
        var g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + h;
            double up = loss.applyAsDouble(x);
            x[i] = keep - h;
            double down = loss.applyAsDouble(x);
            x[i] = keep;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    static double relativeL2(float[] actual, double[] expected) {
        if (actual.length != expected.length) throw new AssertionError("lengths differ: " + actual.length + " vs " + expected.length);
        double num = 0, den = 0;
        for (int i = 0; i < actual.length; i++) {
            if (!Double.isFinite(actual[i])) return Double.POSITIVE_INFINITY;
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    static void assertClose(String what, float[] actual, double[] expected, double tolerance) {
        double err = relativeL2(actual, expected);
        if (!(err <= tolerance)) fail(what + ": relative L2 error " + err + " exceeds " + tolerance);
    }
}
