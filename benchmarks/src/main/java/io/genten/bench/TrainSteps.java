package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.models.ConvVae;
import io.genten.models.Dcgan;
import io.genten.models.GanTrainer;
import io.genten.models.GenerativeModel;
import io.genten.models.VaeTrainer;
import io.genten.nn.Adam;
import io.genten.nn.Module;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;

/**
 * One full training step of a model on a fixed synthetic batch (static inputs, as a captured
 * graph needs and as reference/train_bench.py does). The one place the benchmarks touch
 * io.genten.models.
 *
 * <p>Two kinds of step: {@code trainer} is {@link VaeTrainer#step} / {@link GanTrainer#step} as a
 * user calls them, which read the losses back to the host (a synchronization each); the
 * {@code eager}/{@code graph} step does the same work from the models' public API without any
 * host read, so that it can be captured as a CUDA graph, and its eager run is the fair match
 * for PyTorch's eager step (which does not read the loss either).
 */
final class TrainSteps {
    private TrainSteps() {}

    interface TrainStep extends AutoCloseable {
        /** Queues one step; the caller synchronizes. */
        void step();

        @Override void close();
    }

    /** {@code exec}: "trainer" for the models' trainers, anything else for the capturable step. */
    static TrainStep create(String model, String exec, Backend backend, int batch, long seed) {
        boolean trainer = exec.equals("trainer");
        return switch (model) {
            case "vae" -> trainer ? vaeTrainer(backend, batch, seed) : vaeStep(backend, batch, seed);
            case "dcgan" -> trainer ? ganTrainer(backend, batch, seed) : ganStep(backend, batch, seed);
            default -> throw new IllegalArgumentException("model must be vae or dcgan, not " + model);
        };
    }

    /** Frees a model's weights and buffers (its state dict holds the live tensors). */
    private static void closeState(GenerativeModel model) {
        model.stateDict().values().forEach(Tensor::close);
    }

    /** Uniform [0, 1) images for the VAE, or scaled to [-1, 1) for the GAN, on the backend. */
    private static Tensor images(Backend backend, int batch, long seed, boolean symmetric) {
        try (var host = Tensor.rand(seed, 0, batch, 1, 28, 28)) {
            if (symmetric) {
                var a = host.hostArray();
                for (int i = 0; i < a.length; i++) a[i] = 2f * a[i] - 1f;
            }
            return backend.copyOf(host);
        }
    }

    private static TrainStep vaeTrainer(Backend backend, int batch, long seed) {
        var images = images(backend, batch, seed, false);
        var vae = new ConvVae(backend, seed);
        var trainer = new VaeTrainer(vae);
        return new TrainStep() {
            @Override public void step() { trainer.step(images); }

            @Override public void close() {
                trainer.close();
                images.close();
                closeState(vae);
            }
        };
    }

    private static TrainStep ganTrainer(Backend backend, int batch, long seed) {
        var images = images(backend, batch, seed, true);
        var gan = new Dcgan(backend, seed);
        var trainer = new GanTrainer(gan, seed);
        return new TrainStep() {
            @Override public void step() { trainer.step(images); }

            @Override public void close() {
                trainer.close();
                images.close();
                closeState(gan);
            }
        };
    }

    /** VaeTrainer.step without the loss read-back: forward, both loss terms, fused backward, Adam. */
    private static TrainStep vaeStep(Backend b, int batch, long seed) {
        var images = images(b, batch, seed, false);
        var vae = new ConvVae(b, seed);
        var adam = new Adam(b, vae.parameters(), io.genten.backend.AdamConfig.of(VaeTrainer.DEFAULT_LR, 0.9f, 0.999f));
        float scale = 1f / batch;
        return new TrainStep() {
            @Override public void step() {
                vae.train();
                vae.zeroGrad();
                try (var scope = TensorScope.open()) {
                    var out = vae.forwardVae(images);
                    b.bceWithLogits(out.logits(), images, Reduction.SUM);
                    b.klDivergence(out.mu(), out.logvar());
                    vae.backwardVaeParameters(b.bceWithLogitsBackward(out.logits(), images, Reduction.SUM, scale), scale);
                    adam.step();
                } finally {
                    vae.zeroGrad();
                }
            }

            @Override public void close() {
                adam.close();
                images.close();
                closeState(vae);
            }
        };
    }

    /** GanTrainer.step without the loss read-backs: D on real and fake, Adam(D); G through D, Adam(G). */
    private static TrainStep ganStep(Backend b, int batch, long seed) {
        var images = images(b, batch, seed, true);
        var gan = new Dcgan(b, seed);
        Module g = gan.generator(), d = gan.discriminator();
        var adamG = new Adam(b, g.parameters(), GanTrainer.DEFAULT_ADAM);
        var adamD = new Adam(b, d.parameters(), GanTrainer.DEFAULT_ADAM);
        var z = b.randn(Shape.of(batch, Dcgan.LATENT), seed, 0);
        var realTarget = b.full(Shape.of(batch, 1), GanTrainer.DEFAULT_REAL_LABEL);
        var zeros = b.zeros(Shape.of(batch, 1));
        var ones = b.full(Shape.of(batch, 1), 1f);
        return new TrainStep() {
            @Override public void step() {
                g.train();
                d.train();
                try (var scope = TensorScope.open()) {
                    var fake = g.forward(z);
                    d.zeroGrad();
                    d.requiresGrad(true);
                    // each pass in a scope of its own, its gradients kept for Adam, as GanTrainer's
                    try (var pass = TensorScope.open()) {
                        var realLogits = d.forward(images);
                        b.bceWithLogits(realLogits, realTarget, Reduction.MEAN);
                        // no gradient for the images, the detached fakes and the noise, as in PyTorch's step
                        d.backwardParameters(b.bceWithLogitsBackward(realLogits, realTarget, Reduction.MEAN, 1f));
                        d.keepGradients(pass);
                    }
                    try (var pass = TensorScope.open()) {
                        var fakeLogits = d.forward(fake);
                        b.bceWithLogits(fakeLogits, zeros, Reduction.MEAN);
                        d.backwardParameters(b.bceWithLogitsBackward(fakeLogits, zeros, Reduction.MEAN, 1f));
                        d.keepGradients(pass);
                    }
                    adamD.step();

                    g.zeroGrad();
                    d.requiresGrad(false);
                    Tensor dFake;
                    try (var pass = TensorScope.open()) {
                        var logits = d.forward(fake);
                        b.bceWithLogits(logits, ones, Reduction.MEAN);
                        dFake = pass.keep(d.backward(b.bceWithLogitsBackward(logits, ones, Reduction.MEAN, 1f)));
                    }
                    d.requiresGrad(true);
                    g.backwardParameters(dFake);
                    adamG.step();
                } finally {
                    d.requiresGrad(true);
                    g.zeroGrad();
                    d.zeroGrad();
                }
            }

            @Override public void close() {
                adamG.close();
                adamD.close();
                for (var t : new Tensor[] {images, z, realTarget, zeros, ones}) t.close();
                closeState(gan);
            }
        };
    }
}
