package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.models.ConditionalDcgan;
import io.genten.models.DenseVae;
import io.genten.models.DenseVaeTrainer;
import io.genten.models.GanLoss;
import io.genten.models.MlpGan;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The extra models whole, at small widths: forward against float64 references written from the
 * architecture, and dx and every parameter gradient against central finite differences of those
 * references ({@link GradCheck}). The concatenations of the conditional GAN are inside.
 */
class ExtraModelGradientTest {
    private final Backend cpu = CpuBackend.get();

    /** A model's path as a Module for GradCheck: forward/backward given, parameters under "m.". */
    private static final class Adapter extends Module {
        private final Function<Tensor, Tensor> fwd;
        private final UnaryOperator<Tensor> bwd;

        Adapter(Backend b, Module net, Function<Tensor, Tensor> fwd, UnaryOperator<Tensor> bwd) {
            super(b);
            registerModule("m", net);
            this.fwd = fwd;
            this.bwd = bwd;
        }

        @Override public Tensor forward(Tensor x) { return fwd.apply(x); }

        @Override public Tensor backward(Tensor dy) { return bwd.apply(dy); }
    }

    private static double[] relu(double[] x) { return Ref.leakyRelu(x, 0); }

    private static double[] bn(double[] x, int n, int c, int spatial, Map<String, double[]> p, String name) {
        return Ref.batchNorm(x, n, c, spatial, p.get(name + ".weight"), p.get(name + ".bias"), 1e-5);
    }

    private static double[] fc(double[] x, int n, int in, int out, Map<String, double[]> p, String name) {
        return Ref.linear(x, n, in, p.get(name + ".weight"), out, p.get(name + ".bias"));
    }

    @Test void mlpGanSimpleGeneratorAndDiscriminator() {
        int n = 3, latent = 4;
        var gan = new MlpGan(cpu, new MlpGan.Spec("t", latent, new int[] {5}, new int[] {3}, false, false, GanLoss.BCE, 0f, false), 11);
        GradCheck.check("MlpGan G", new Adapter(cpu, gan.generator(), z -> gan.generate(z, null), gan::generatorBackward), Shape.of(n, latent),
                (z, p) -> Ref.sigmoid(fc(relu(fc(z, n, latent, 5, p, "m.fc1")), n, 5, 784, p, "m.fc2")), 21);
        GradCheck.check("MlpGan D", new Adapter(cpu, gan.discriminator(), x -> gan.discriminate(x, null), gan::discriminatorBackward), Shape.of(n, 1, 28, 28),
                (x, p) -> fc(relu(fc(x, n, 784, 3, p, "m.fc1")), n, 3, 1, p, "m.fc2"), 22);
    }

    /** fc -> ReLU -> BatchNorm1d blocks in G, fc -> LeakyReLU(0.2) -> BatchNorm1d in D (batch statistics), tanh output. */
    @Test void deepMlpGanWithBatchNorm() {
        int n = 4, latent = 3;
        var gan = new MlpGan(cpu, new MlpGan.Spec("t", latent, new int[] {4, 5}, new int[] {3, 2}, true, true, GanLoss.LEAST_SQUARES, 0.2f, true), 12);
        randomizeBatchNorms(gan.generator(), 31);
        randomizeBatchNorms(gan.discriminator(), 32);
        GradCheck.check("deep MlpGan G", new Adapter(cpu, gan.generator(), z -> gan.generate(z, null), gan::generatorBackward), Shape.of(n, latent), (z, p) -> {
            var h = bn(relu(fc(z, n, latent, 4, p, "m.fc1")), n, 4, 1, p, "m.bn1");
            h = bn(relu(fc(h, n, 4, 5, p, "m.fc2")), n, 5, 1, p, "m.bn2");
            return Ref.tanh(fc(h, n, 5, 784, p, "m.fc3"));
        }, 23);
        GradCheck.check("deep MlpGan D", new Adapter(cpu, gan.discriminator(), x -> gan.discriminate(x, null), gan::discriminatorBackward), Shape.of(n, 1, 28, 28), (x, p) -> {
            var h = bn(Ref.leakyRelu(fc(x, n, 784, 3, p, "m.fc1"), 0.2), n, 3, 1, p, "m.bn1");
            h = bn(Ref.leakyRelu(fc(h, n, 3, 2, p, "m.fc2"), 0.2), n, 2, 1, p, "m.bn2");
            return fc(h, n, 2, 1, p, "m.fc3");
        }, 24);
    }

    private static void randomizeBatchNorms(Module m, long seed) {
        for (var e : m.namedParameters().entrySet()) {
            if (!e.getKey().contains("bn")) continue;
            var v = e.getValue().value();
            var r = GradCheck.randn(seed++, (int) v.numel());
            for (int i = 0; i < r.length; i++) r[i] = (e.getKey().endsWith("weight") ? 1f : 0f) + 0.3f * r[i];
            v.copyFrom(r);
        }
    }

    /** concat(z, one-hot) into the generator; concat(image, label planes) into the discriminator; dropout 0 (deterministic). */
    @Test void conditionalDcganWithItsConcatenations() {
        int n = 2, latent = 3;
        int[] labels = {7, 2};
        var spec = new ConditionalDcgan.Spec(latent, 2, 2, 2, 2, 2, 0f);
        var gan = new ConditionalDcgan(cpu, spec, 13);
        randomizeBatchNorms(gan.generator(), 33);
        GradCheck.check("cgan G", new Adapter(cpu, gan.generator(), z -> gan.generate(z, labels), gan::generatorBackward), Shape.of(n, latent), (z, p) -> {
            var in = new double[n * (latent + 10)];
            for (int i = 0; i < n; i++) {
                System.arraycopy(z, i * latent, in, i * (latent + 10), latent);
                in[i * (latent + 10) + latent + labels[i]] = 1;
            }
            var h = Ref.linear(in, n, latent + 10, p.get("m.fc.weight"), 98, null);
            h = Ref.leakyRelu(bn(h, n, 98, 1, p, "m.bn0"), 0.3);
            h = Ref.convTranspose2d(h, n, 2, 7, 7, p.get("m.conv1.weight"), 2, 5, 1, 2, 0, null);
            h = Ref.leakyRelu(bn(h, n, 2, 49, p, "m.bn1"), 0.3);
            h = Ref.convTranspose2d(h, n, 2, 7, 7, p.get("m.conv2.weight"), 2, 5, 2, 2, 1, null);
            h = Ref.leakyRelu(bn(h, n, 2, 196, p, "m.bn2"), 0.3);
            return Ref.tanh(Ref.convTranspose2d(h, n, 2, 14, 14, p.get("m.conv3.weight"), 1, 5, 2, 2, 1, null));
        }, 25);
        GradCheck.check("cgan D", new Adapter(cpu, gan.discriminator(), x -> gan.discriminate(x, labels), gan::discriminatorBackward), Shape.of(n, 1, 28, 28), (x, p) -> {
            var in = new double[n * 11 * 784];
            for (int i = 0; i < n; i++) {
                System.arraycopy(x, i * 784, in, i * 11 * 784, 784);
                java.util.Arrays.fill(in, (i * 11 + 1 + labels[i]) * 784, (i * 11 + 2 + labels[i]) * 784, 1.0);
            }
            var h = Ref.leakyRelu(Ref.conv2d(in, n, 11, 28, 28, p.get("m.conv1.weight"), 2, 5, 2, 2, p.get("m.conv1.bias")), 0.3);
            h = Ref.leakyRelu(Ref.conv2d(h, n, 2, 14, 14, p.get("m.conv2.weight"), 2, 5, 2, 2, p.get("m.conv2.bias")), 0.3);
            return fc(h, n, 98, 1, p, "m.fc");
        }, 26);
    }

    private static double[] vaeLogits(double[] x, double[] eps, int n, int hidden, Map<String, double[]> p, String prefix, double[][] muLv) {
        var h = relu(fc(x, n, 784, hidden, p, prefix + "fc1"));
        var mu = fc(h, n, hidden, 2, p, prefix + "mu");
        var lv = fc(h, n, hidden, 2, p, prefix + "logvar");
        var z = new double[n * 2];
        for (int i = 0; i < z.length; i++) z[i] = mu[i] + Math.exp(0.5 * lv[i]) * eps[i];
        if (muLv != null) {
            muLv[0] = mu;
            muLv[1] = lv;
        }
        return fc(z, n, 2, 784, p, prefix + "dec");
    }

    @Test void denseVaeThroughTheReparameterization() {
        int n = 3, hidden = 4;
        var vae = new DenseVae(cpu, hidden, 2, 14);
        float[] epsv = GradCheck.randn(40, n * 2);
        var eps = Tensor.wrap(epsv, Shape.of(n, 2));
        double[] epsd = Ref.toDouble(epsv);
        GradCheck.check("DenseVae", new Adapter(cpu, vae, x -> vae.forwardVae(x, eps).logits(), dy -> vae.backwardVae(dy, 0f)), Shape.of(n, 1, 28, 28),
                (x, p) -> vaeLogits(x, epsd, n, hidden, p, "m.", null), 27);
    }

    /** The whole loss of each reconstruction choice, (rec + KL) / N, against finite differences in every parameter. */
    @Test void denseVaeLossGradientsBceAndMse() {
        int n = 3, hidden = 3;
        for (var recon : DenseVaeTrainer.Reconstruction.values()) {
            var vae = new DenseVae(cpu, hidden, 2, 15);
            try (var scope = TensorScope.open(); var trainer = new DenseVaeTrainer(vae, recon, io.genten.backend.AdamConfig.of(1e-3f, 0.9f, 0.999f))) {
                float[] xv = GradCheck.randn(50, n * 784);
                for (int i = 0; i < xv.length; i++) xv[i] = 1f / (1f + (float) Math.exp(-2 * xv[i])); // pixels in (0, 1)
                float[] epsv = GradCheck.randn(51, n * 2);
                var losses = trainer.computeGradients(Tensor.wrap(xv.clone(), Shape.of(n, 1, 28, 28)), Tensor.wrap(epsv, Shape.of(n, 2)));
                double[] xd = Ref.toDouble(xv), epsd = Ref.toDouble(epsv);
                var params = new java.util.LinkedHashMap<String, double[]>();
                vae.namedParameters().forEach((k, p) -> params.put(k, Ref.toDouble(p.value().toArray())));
                Function<Map<String, double[]>, double[]> loss = p -> {
                    var muLv = new double[2][];
                    var logits = vaeLogits(xd, epsd, n, hidden, p, "", muLv);
                    double rec = 0, kl = 0;
                    for (int i = 0; i < logits.length; i++) {
                        double l = logits[i], t = xd[i];
                        if (recon == DenseVaeTrainer.Reconstruction.BCE) rec += Math.max(l, 0) - l * t + Math.log1p(Math.exp(-Math.abs(l)));
                        else rec += Math.pow(1 / (1 + Math.exp(-l)) - t, 2);
                    }
                    for (int i = 0; i < muLv[0].length; i++) kl += -0.5 * (1 + muLv[1][i] - muLv[0][i] * muLv[0][i] - Math.exp(muLv[1][i]));
                    return new double[] {(rec + kl) / n};
                };
                assertEquals(loss.apply(params)[0], losses.total(), 1e-4 * Math.abs(losses.total()), recon + " loss");
                for (var e : vae.namedParameters().entrySet()) {
                    double[] fd = GradCheck.finiteDifference(params.get(e.getKey()), v -> {
                        var p2 = new java.util.HashMap<>(params);
                        p2.put(e.getKey(), v);
                        return loss.apply(p2);
                    }, new double[] {1});
                    GradCheck.assertBelow(recon + " d" + e.getKey(), io.genten.testing.Assertions2.relativeL2(e.getValue().grad().toArray(), Ref.toFloat(fd)), GradCheck.GRAD_TOL);
                }
                vae.zeroGrad();
            }
        }
    }

}
