package io.genten.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.genten.tensor.Tensor;

/** Numeric comparisons used across the test suite. */
public final class Assertions2 {
    private Assertions2() {}

    /** ||a - b|| / max(||b||, tiny), over float arrays. NaN anywhere gives +inf. */
    public static double relativeL2(float[] actual, float[] expected) {
        if (actual.length != expected.length) throw new AssertionError("lengths differ: " + actual.length + " vs " + expected.length);
        double num = 0, den = 0;
        for (int i = 0; i < actual.length; i++) {
            if (Float.isNaN(actual[i])) return Double.POSITIVE_INFINITY;
            double d = (double) actual[i] - expected[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    public static void assertClose(String what, Tensor actual, Tensor expected, double tolerance) {
        assertEquals(expected.shape(), actual.shape(), what + ": shape");
        assertClose(what, actual.toArray(), expected.toArray(), tolerance);
    }

    public static void assertClose(String what, float[] actual, float[] expected, double tolerance) {
        double err = relativeL2(actual, expected);
        if (!(err <= tolerance)) fail(what + ": relative L2 error " + err + " exceeds " + tolerance);
    }
}
