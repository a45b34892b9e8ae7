package io.genten.models;

import static io.genten.testing.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.backend.cpu.CpuBackends;
import io.genten.nn.Module;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch's whole-model golden values on a batch made of R copies of the golden batch, on both CPU
 * GEMMs. The copies make the batch big enough that each thread's share of every conv holds several
 * image groups, so every path of the batch split runs under a whole model; the expected values
 * follow from the golden ones exactly: outputs and input gradients repeat, parameter gradients of a
 * summed loss scale by R, and those of a mean loss with batchnorm (the VAE) stay the same.
 */
class GoldenModelBatchTest {
    private static final double TOL = 1e-4;
    private static final int R = 4;

    static Stream<Arguments> backends() {
        return Stream.of(Arguments.of("default GEMM", CpuBackend.get()), Arguments.of("Java GEMM", CpuBackends.javaGemm()));
    }

    /** R copies of t along dimension 0. */
    static Tensor repeat(Tensor t, int r) {
        float[] v = t.toArray();
        float[] out = new float[v.length * r];
        for (int i = 0; i < r; i++) System.arraycopy(v, 0, out, i * v.length, v.length);
        int[] dims = t.shape().dims().clone();
        dims[0] *= r;
        return Tensor.wrap(out, Shape.of(dims));
    }

    static Tensor scaled(Tensor t, float s) {
        float[] v = t.toArray();
        for (int i = 0; i < v.length; i++) v[i] *= s;
        return Tensor.wrap(v, t.shape());
    }

    private static void checkGrads(String what, Module m, Map<String, Tensor> expected, float scale) {
        var params = m.namedParameters();
        assertEquals(params.keySet(), expected.keySet(), what + ": parameters with gradients");
        for (var e : params.entrySet()) {
            var grad = e.getValue().grad();
            assertNotNull(grad, what + ": no gradient for " + e.getKey());
            float[] want = scaled(expected.get(e.getKey()), scale).toArray();
            if (norm(want) < 1e-10) {
                // a bias right before a training-mode batchnorm: zero in exact arithmetic (see GoldenModelTest)
                double weightScale = norm(scaled(expected.get(e.getKey().replace(".bias", ".weight")), scale).toArray());
                assertTrue(norm(grad.toArray()) < 1e-5 * weightScale, what + " " + e.getKey() + ": gradient should vanish");
            } else {
                double err = Assertions2.relativeL2(grad.toArray(), want);
                assertTrue(err < TOL, what + " grad " + e.getKey() + ": relative L2 error " + err);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void discriminatorOnRepeatedBatch(String gemm, Backend backend) {
        try (var f = Golden.model("dcgan_discriminator"); var scope = TensorScope.open()) {
            var d = new Dcgan(backend, 7).discriminator();
            d.loadStateDict(GoldenModelTest.withPrefix(f, "start."));
            d.eval();
            assertClose(gemm + " logit", d.forward(repeat(f.get("x"), R)), repeat(f.get("logit"), R), TOL);
            assertClose(gemm + " dx", d.backward(repeat(f.get("dlogit"), R)), repeat(f.get("dx"), R), TOL);
            checkGrads(gemm + " discriminator", d, GoldenModelTest.withPrefix(f, "after.grad."), R);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void generatorOnRepeatedBatch(String gemm, Backend backend) {
        try (var f = Golden.model("dcgan_generator"); var grads = Golden.model("dcgan_generator_grads");
             var scope = TensorScope.open()) {
            var g = new Dcgan(backend, 7).generator();
            g.loadStateDict(GoldenModelTest.withPrefix(f, "start."));
            g.train();
            assertClose(gemm + " img", g.forward(repeat(f.get("z"), R)), repeat(f.get("img"), R), TOL);
            g.backward(repeat(f.get("dimg"), R));
            checkGrads(gemm + " generator", g, GoldenModelTest.withPrefix(grads, "grad."), R);
            // the batch mean is that of the golden batch; the unbiased variance differs by design
            var state = g.stateDict();
            GoldenModelTest.withPrefix(f, "after.").forEach((name, expected) -> {
                if (name.endsWith("running_mean")) assertClose(gemm + " " + name, state.get(name), expected, TOL);
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void convVaeOnRepeatedBatch(String gemm, Backend backend) {
        try (var f = Golden.model("conv_vae"); var scope = TensorScope.open()) {
            var vae = new ConvVae(backend, 7);
            vae.loadStateDict(GoldenModelTest.withPrefix(f, "start."));
            try (var trainer = new VaeTrainer(vae)) {
                var losses = trainer.computeGradients(repeat(f.get("x"), R), repeat(f.get("eps"), R));
                assertClose(gemm + " logits", vae.lastOutput().logits(), repeat(f.get("logits"), R), TOL);
                assertClose(gemm + " loss", new float[] {losses.total()}, f.get("loss").toArray(), TOL);
                checkGrads(gemm + " VAE", vae, GoldenModelTest.withPrefix(f, "after.grad."), 1f);
            }
        }
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float v : a) s += (double) v * v;
        return Math.sqrt(s);
    }
}
