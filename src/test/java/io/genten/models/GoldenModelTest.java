package io.genten.models;

import static io.genten.testing.Assertions2.assertClose;
import static io.genten.testing.Assertions2.relativeL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.io.SafeTensors;
import io.genten.nn.Module;
import io.genten.nn.Parameter;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import io.genten.testing.Golden;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Whole models against PyTorch: forward outputs, every gradient and the BatchNorm running statistics. */
class GoldenModelTest {
    private static final double TOL = 1e-4;
    private final Backend cpu = CpuBackend.get();

    static Map<String, Tensor> withPrefix(SafeTensors.Contents f, String prefix) {
        var out = new LinkedHashMap<String, Tensor>();
        f.tensors().forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }

    @Test void dcganGeneratorTrainStep() {
        try (var f = Golden.model("dcgan_generator"); var grads = Golden.model("dcgan_generator_grads");
             var scope = TensorScope.open()) {
            var g = new Dcgan(cpu, 7).generator();
            var start = withPrefix(f, "start.");
            assertEquals(g.stateDict().keySet(), start.keySet(), "generator state-dict names");
            g.loadStateDict(start);
            g.train();
            assertClose("img", g.forward(f.get("z")), f.get("img"), TOL);
            g.backward(f.get("dimg"));
            checkGrads(g, withPrefix(grads, "grad."));
            var state = g.stateDict();
            withPrefix(f, "after.").forEach((name, expected) -> assertClose(name, state.get(name), expected, TOL));
            assertEquals(6, withPrefix(f, "after.").size());
        }
    }

    @Test void dcganDiscriminatorWithoutDropout() {
        try (var f = Golden.model("dcgan_discriminator"); var scope = TensorScope.open()) {
            var d = new Dcgan(cpu, 7).discriminator();
            d.loadStateDict(withPrefix(f, "start."));
            d.eval(); // the golden file has dropout off
            assertClose("logit", d.forward(f.get("x")), f.get("logit"), TOL);
            assertClose("dx", d.backward(f.get("dlogit")), f.get("dx"), TOL);
            checkGrads(d, withPrefix(f, "after.grad."));
        }
    }

    @Test void convVaeLossAndGradients() {
        try (var f = Golden.model("conv_vae"); var scope = TensorScope.open()) {
            var vae = new ConvVae(cpu, 7);
            vae.loadStateDict(withPrefix(f, "start."));
            try (var trainer = new VaeTrainer(vae)) {
                var losses = trainer.computeGradients(f.get("x"), f.get("eps"));
                var out = vae.lastOutput();
                assertClose("logits", out.logits(), f.get("logits"), TOL);
                assertClose("mu", out.mu(), f.get("mu"), TOL);
                assertClose("logvar", out.logvar(), f.get("logvar"), TOL);
                assertClose("rec", new float[] {losses.reconstruction()}, f.get("rec").toArray(), TOL);
                assertClose("kl", new float[] {losses.kl()}, f.get("kl").toArray(), TOL);
                assertClose("loss", new float[] {losses.total()}, f.get("loss").toArray(), TOL);
                checkGrads(vae, withPrefix(f, "after.grad."));
                var state = vae.stateDict();
                var after = withPrefix(f, "after.");
                after.keySet().removeIf(k -> k.startsWith("grad."));
                assertEquals(state.keySet(), after.keySet(), "VAE state-dict names");
                after.forEach((name, expected) -> assertClose("after " + name, state.get(name), expected, TOL));
            }
        }
    }

    /**
     * Every parameter's gradient. A bias right before a training-mode BatchNorm has a gradient
     * that is exactly zero in exact arithmetic (PyTorch's is ~1e-15), so there a relative error
     * means nothing: its norm must instead be negligible against its layer's weight gradient.
     */
    private static void checkGrads(Module m, Map<String, Tensor> expected) {
        var params = m.namedParameters();
        assertEquals(params.keySet(), expected.keySet(), "parameters with gradients");
        for (var e : params.entrySet()) {
            Parameter p = e.getValue();
            assertNotNull(p.grad(), "no gradient for " + e.getKey());
            float[] want = expected.get(e.getKey()).toArray();
            float[] got = p.grad().toArray();
            if (norm(want) < 1e-10) {
                String weightName = e.getKey().replace(".bias", ".weight");
                double scale = norm(expected.get(weightName).toArray());
                assertTrue(norm(got) < 1e-5 * scale, e.getKey() + ": gradient norm " + norm(got) + " should vanish against " + scale);
            } else {
                double err = relativeL2(got, want);
                assertTrue(err < TOL, "grad " + e.getKey() + ": relative L2 error " + err);
            }
        }
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float v : a) s += (double) v * v;
        return Math.sqrt(s);
    }
}
