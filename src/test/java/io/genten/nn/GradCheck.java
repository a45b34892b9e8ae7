package io.genten.nn;

import static io.genten.testing.Assertions2.relativeL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Checks a module against a float64 reference: its forward against the reference's, and its
 * backward (dx and every parameter gradient) against central finite differences of
 * L = sum(reference(x, params) * r) in float64, for a random upstream gradient r.
 */
final class GradCheck {
    private static final double H = 1e-5;
    static final double FORWARD_TOL = 1e-5, GRAD_TOL = 1e-4;

    /** The reference: input and parameters (by the module's state-dict names) to output. */
    interface Fn {
        double[] apply(double[] x, Map<String, double[]> params);
    }

    private GradCheck() {}

    static float[] randn(long seed, int n) {
        var a = new float[n];
        Philox.fillNormal(seed, 99, a);
        return a;
    }

    static void check(String what, Module m, Shape xShape, Fn ref, long seed) {
        try (var scope = TensorScope.open()) {
            float[] xv = randn(seed, xShape.size());
            var x = Tensor.wrap(xv.clone(), xShape);
            var params = new LinkedHashMap<String, double[]>();
            m.namedParameters().forEach((k, p) -> params.put(k, Ref.toDouble(p.value().toArray())));
            double[] xd = Ref.toDouble(xv);

            var y = m.forward(x);
            double[] yRef = ref.apply(xd, params);
            assertEquals(yRef.length, y.numel(), what + ": output size");
            assertBelow(what + " forward", relativeL2(y.toArray(), Ref.toFloat(yRef)), FORWARD_TOL);

            float[] r = randn(seed + 1, (int) y.numel());
            double[] rd = Ref.toDouble(r);
            m.zeroGrad();
            var dx = m.backward(Tensor.wrap(r, y.shape()));
            assertEquals(xShape, dx.shape(), what + ": dx shape");
            double[] fdx = finiteDifference(xd, v -> ref.apply(v, params), rd);
            assertBelow(what + " dx", relativeL2(dx.toArray(), Ref.toFloat(fdx)), GRAD_TOL);

            for (var e : m.namedParameters().entrySet()) {
                String name = e.getKey();
                var grad = e.getValue().grad();
                assertNotNull(grad, what + ": no gradient for " + name);
                double[] fd = finiteDifference(params.get(name), v -> {
                    var p2 = new HashMap<>(params);
                    p2.put(name, v);
                    return ref.apply(xd, p2);
                }, rd);
                assertBelow(what + " d" + name, relativeL2(grad.toArray(), Ref.toFloat(fd)), GRAD_TOL);
            }
            m.zeroGrad();
        }
    }

    static double[] finiteDifference(double[] at, Function<double[], double[]> f, double[] r) {
        var g = new double[at.length];
        var v = at.clone();
        for (int i = 0; i < at.length; i++) {
            v[i] = at[i] + H;
            double plus = dot(f.apply(v), r);
            v[i] = at[i] - H;
            double minus = dot(f.apply(v), r);
            v[i] = at[i];
            g[i] = (plus - minus) / (2 * H);
        }
        return g;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static void assertBelow(String what, double err, double tol) {
        assertTrue(err < tol, what + ": relative L2 error " + err + " exceeds " + tol);
    }
}
