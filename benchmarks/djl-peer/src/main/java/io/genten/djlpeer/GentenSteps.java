package io.genten.djlpeer;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.models.ConvVae;
import io.genten.models.Dcgan;
import io.genten.models.GanTrainer;
import io.genten.models.GenerativeModel;
import io.genten.models.VaeTrainer;
import io.genten.nn.Adam;
import io.genten.nn.Module;
import io.genten.nn.Parameter;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;

/**
 * Genten's side: the eager training steps of benchmarks/src/main/java/io/genten/bench/TrainSteps
 * (the step JMH's TrainStepBench times with exec=eager: the trainers' work without their loss
 * read-backs), copied here because that class is package-private in another Maven project. Keep
 * the two in step.
 */
final class GentenSteps {
    private GentenSteps() {}

    static TrainStep create(String model, Backend backend, int batch, long seed, boolean recordLoss) {
        return switch (model) {
            case "vae" -> vae(backend, batch, seed, recordLoss);
            case "dcgan" -> gan(backend, batch, seed, recordLoss);
            default -> throw new IllegalArgumentException("model must be vae or dcgan, not " + model);
        };
    }

    static long count(List<Parameter> params) {
        return params.stream().mapToLong(p -> p.value().numel()).sum();
    }

    private static void closeState(GenerativeModel model) {
        model.stateDict().values().forEach(Tensor::close);
    }

    /** Uniform [0, 1) images for the VAE, or scaled to [-1, 1) for the GAN (as TrainSteps). */
    private static Tensor images(Backend backend, int batch, long seed, boolean symmetric) {
        try (var host = Tensor.rand(seed, 0, batch, 1, 28, 28)) {
            if (symmetric) {
                var a = host.hostArray();
                for (int i = 0; i < a.length; i++) a[i] = 2f * a[i] - 1f;
            }
            return backend.copyOf(host);
        }
    }

    private static TrainStep vae(Backend b, int batch, long seed, boolean recordLoss) {
        var images = images(b, batch, seed, false);
        var vae = new ConvVae(b, seed);
        var adam = new Adam(b, vae.parameters(), AdamConfig.of(VaeTrainer.DEFAULT_LR, 0.9f, 0.999f));
        float scale = 1f / batch;
        long params = count(vae.parameters());
        return new TrainStep() {
            double last = Double.NaN;

            @Override public void step() {
                vae.train();
                vae.zeroGrad();
                try (var scope = TensorScope.open()) {
                    var out = vae.forwardVae(images);
                    var rec = b.bceWithLogits(out.logits(), images, Reduction.SUM);
                    var kl = b.klDivergence(out.mu(), out.logvar());
                    vae.backwardVaeParameters(b.bceWithLogitsBackward(out.logits(), images, Reduction.SUM, scale), scale);
                    adam.step();
                    if (recordLoss) last = (rec.item() + kl.item()) * scale;
                } finally {
                    vae.zeroGrad();
                }
            }

            @Override public double lastLoss() { return last; }

            @Override public long parameterCount() { return params; }

            @Override public void close() {
                adam.close();
                images.close();
                closeState(vae);
            }
        };
    }

    private static TrainStep gan(Backend b, int batch, long seed, boolean recordLoss) {
        var images = images(b, batch, seed, true);
        var gan = new Dcgan(b, seed);
        Module g = gan.generator(), d = gan.discriminator();
        var adamG = new Adam(b, g.parameters(), GanTrainer.DEFAULT_ADAM);
        var adamD = new Adam(b, d.parameters(), GanTrainer.DEFAULT_ADAM);
        var z = b.randn(Shape.of(batch, Dcgan.LATENT), seed, 0);
        var realTarget = b.full(Shape.of(batch, 1), GanTrainer.DEFAULT_REAL_LABEL);
        var zeros = b.zeros(Shape.of(batch, 1));
        var ones = b.full(Shape.of(batch, 1), 1f);
        long params = count(g.parameters()) + count(d.parameters());
        return new TrainStep() {
            double last = Double.NaN;

            @Override public void step() {
                g.train();
                d.train();
                try (var scope = TensorScope.open()) {
                    var fake = g.forward(z);
                    d.zeroGrad();
                    d.requiresGrad(true);
                    // each pass in a scope of its own, its gradients kept for Adam, as GanTrainer's
                    Tensor l1, l2, l3, dFake;
                    try (var pass = TensorScope.open()) {
                        var realLogits = d.forward(images);
                        l1 = pass.keep(b.bceWithLogits(realLogits, realTarget, Reduction.MEAN));
                        // the images and the detached fakes need no gradient: as libtorch skips it for inputs
                        // that do not require one
                        d.backwardParameters(b.bceWithLogitsBackward(realLogits, realTarget, Reduction.MEAN, 1f));
                        d.keepGradients(pass);
                    }
                    try (var pass = TensorScope.open()) {
                        var fakeLogits = d.forward(fake);
                        l2 = pass.keep(b.bceWithLogits(fakeLogits, zeros, Reduction.MEAN));
                        d.backwardParameters(b.bceWithLogitsBackward(fakeLogits, zeros, Reduction.MEAN, 1f));
                        d.keepGradients(pass);
                    }
                    adamD.step();

                    g.zeroGrad();
                    d.requiresGrad(false);
                    try (var pass = TensorScope.open()) {
                        var logits = d.forward(fake);
                        l3 = pass.keep(b.bceWithLogits(logits, ones, Reduction.MEAN));
                        dFake = pass.keep(d.backward(b.bceWithLogitsBackward(logits, ones, Reduction.MEAN, 1f)));
                    }
                    d.requiresGrad(true);
                    g.backwardParameters(dFake); // nor does the noise z
                    adamG.step();
                    if (recordLoss) last = l1.item() + l2.item() + l3.item();
                } finally {
                    d.requiresGrad(true);
                    g.zeroGrad();
                    d.zeroGrad();
                }
            }

            @Override public double lastLoss() { return last; }

            @Override public long parameterCount() { return params; }

            @Override public void close() {
                adamG.close();
                adamD.close();
                for (var t : new Tensor[] {images, z, realTarget, zeros, ones}) t.close();
                closeState(gan);
            }
        };
    }
}
