package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.backend.cpu.CpuBackend;
import io.genten.nn.Dropout;
import io.genten.nn.Module;
import io.genten.nn.Parameter;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * Each whole model's backward against central differences of its own loss, independent of every
 * op's backward: for every parameter tensor P, the derivative of the loss along a direction v
 * (the gradient's own direction, and a random one) must equal grad_P . v. A wrong backward in any
 * layer, or wrong plumbing between layers, changes some of these derivatives. The forward runs in
 * float32, so the step h is large enough that the loss difference stands well above rounding.
 */
class WholeModelGradientTest {
    private final Backend cpu = CpuBackend.get();

    private record Failure(String name, String direction, double analytic, double numeric) {}

    /**
     * @param loss recomputes the loss (no gradient use) at the parameters' current values
     * @param grads the analytic gradients at the starting values, by name
     */
    private static void checkDirectional(String what, Map<String, Parameter> params, Map<String, float[]> grads, DoubleSupplier loss) {
        var failures = new ArrayList<Failure>();
        double l0 = loss.getAsDouble();
        int checked = 0;
        long seed = 1000;
        for (var e : params.entrySet()) {
            String name = e.getKey();
            float[] g = grads.get(name);
            double gNorm = norm(g);
            float[] p0 = e.getValue().value().toArray();
            double pNorm = Math.max(norm(p0), 1e-2);
            var random = new float[p0.length];
            Philox.fillNormal(seed++, 0, random);
            List<float[]> directions = new ArrayList<>();
            if (gNorm > 0) directions.add(scaled(g, 1 / gNorm));
            directions.add(scaled(random, 1 / norm(random)));
            for (int k = 0; k < directions.size(); k++) {
                float[] v = directions.get(k);
                double analytic = dot(g, v);
                // the step moves the loss by ~0.03%: well above float32 rounding, small against curvature
                // (batchnorm over a small batch curves the loss strongly along some directions)
                double h = Math.min(1e-3 * pNorm, 3e-4 * Math.max(Math.abs(l0), 1e-2) / Math.max(Math.abs(analytic), 1e-12));
                double d1 = centralDifference(e.getValue(), p0, v, h, loss), d2 = centralDifference(e.getValue(), p0, v, h / 2, loss);
                double numeric = (4 * d2 - d1) / 3; // Richardson: cancels the h^2 term of the central difference
                double slack = 2e-2 * Math.abs(analytic) + 1e-2 * Math.abs(numeric) + 4e-6 * Math.abs(l0) / h;
                if (Math.abs(analytic - numeric) > slack) {
                    failures.add(new Failure(name, k == 0 && gNorm > 0 ? "gradient" : "random", analytic, numeric));
                }
                checked++;
            }
        }
        assertTrue(checked >= params.size(), what + ": checked " + checked);
        assertTrue(failures.isEmpty(), what + ": directional derivatives disagree: " + failures);
    }

    private static double centralDifference(Parameter p, float[] p0, float[] v, double h, DoubleSupplier loss) {
        double plus = lossAt(p, p0, v, h, loss), minus = lossAt(p, p0, v, -h, loss);
        set(p, p0);
        return (plus - minus) / (2 * h);
    }

    private static double lossAt(Parameter p, float[] p0, float[] v, double h, DoubleSupplier loss) {
        var moved = new float[p0.length];
        for (int i = 0; i < p0.length; i++) moved[i] = (float) (p0[i] + h * v[i]);
        set(p, moved);
        return loss.getAsDouble();
    }

    private static void set(Parameter p, float[] values) {
        try (var t = Tensor.wrap(values.clone(), p.value().shape())) {
            CpuBackend.get().copyInto(t, p.value());
        }
    }

    private static Map<String, float[]> gradients(Map<String, Parameter> params) {
        var out = new LinkedHashMap<String, float[]>();
        params.forEach((k, p) -> out.put(k, p.grad() == null ? new float[(int) p.value().numel()] : p.grad().toArray()));
        return out;
    }

    @Test void convVaeLossAgainstDirectionalDifferences() {
        var vae = new ConvVae(cpu, 11);
        try (var trainer = new VaeTrainer(vae); var scope = TensorScope.open()) {
            var x = cpu.rand(Shape.of(3, 1, 28, 28), 21, 0);
            var eps = cpu.randn(Shape.of(3, 32), 22, 0);
            trainer.computeGradients(x, eps);
            var params = vae.namedParameters();
            var grads = gradients(params);
            checkDirectional("ConvVae", params, grads, () -> {
                try (var s = TensorScope.open()) {
                    return trainer.computeGradients(x, eps).total();
                }
            });
        }
    }

    /** The generator's loss through the discriminator (dropout masks fixed), both networks' parameters. */
    @Test void dcganGeneratorLossThroughTheDiscriminator() {
        var gan = new Dcgan(cpu, 12);
        Module g = gan.generator(), d = gan.discriminator();
        var dropouts = d.children().values().stream().filter(m -> m instanceof Dropout).map(m -> (Dropout) m).toList();
        try (var scope = TensorScope.open()) {
            var z = cpu.randn(Shape.of(3, Dcgan.LATENT), 31, 0);
            var ones = cpu.full(Shape.of(3, 1), 0.9f);
            DoubleSupplier loss = () -> {
                try (var s = TensorScope.open()) {
                    dropouts.forEach(m -> m.setNextOffset(5));
                    var logits = d.forward(g.forward(z));
                    return cpu.bceWithLogits(logits, ones, Reduction.MEAN).item();
                }
            };
            var params = new LinkedHashMap<String, Parameter>();
            g.namedParameters().forEach((k, p) -> params.put("generator." + k, p));
            d.namedParameters().forEach((k, p) -> params.put("discriminator." + k, p));
            g.zeroGrad();
            d.zeroGrad();
            Map<String, float[]> grads;
            try (var s = TensorScope.open()) { // gradients live as long as the step's scope
                dropouts.forEach(m -> m.setNextOffset(5));
                var logits = d.forward(g.forward(z));
                g.backward(d.backward(cpu.bceWithLogitsBackward(logits, ones, Reduction.MEAN, 1f)));
                grads = gradients(params);
            }
            params.forEach((k, p) -> assertTrue(norm(grads.get(k)) > 0 || k.endsWith(".bias"), "no gradient for " + k));
            checkDirectional("DCGAN", params, grads, loss);
        }
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float x : a) s += (double) x * x;
        return Math.sqrt(s);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    private static float[] scaled(float[] a, double s) {
        var out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (float) (a[i] * s);
        return out;
    }
}
