package io.genten.models;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.nn.Adam;
import io.genten.nn.Module;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;

/**
 * One DCGAN training step at a time, in the order of PyTorch's DCGAN example: a discriminator
 * step on real images (target {@code realLabel}) and on generated ones (target 0), then a
 * generator step against the updated discriminator with the non-saturating loss (target 1),
 * whose gradient reaches the generator through the discriminator's input gradient. Both losses
 * are BCE-with-logits means; both networks use Adam(1e-4, 0.9, 0.999).
 *
 * <p>Deterministic given the seed: the noise z of step k is randn(seed, offset k).
 */
public final class GanTrainer implements AutoCloseable {
    public static final float DEFAULT_REAL_LABEL = 0.9f;
    public static final AdamConfig DEFAULT_ADAM = AdamConfig.of(1e-4f, 0.9f, 0.999f);

    /** The step's losses: discriminator (real + fake) and generator. */
    public record Losses(float discriminator, float generator) {}

    private final Dcgan gan;
    private final Backend backend;
    private final Adam adamG, adamD;
    private final float realLabel;
    private final long noiseSeed;
    private long step;

    public GanTrainer(Dcgan gan, long noiseSeed) {
        this(gan, noiseSeed, DEFAULT_REAL_LABEL, DEFAULT_ADAM);
    }

    /** With another real label (1 turns label smoothing off) and the default Adam. */
    public GanTrainer(Dcgan gan, long noiseSeed, float realLabel) {
        this(gan, noiseSeed, realLabel, DEFAULT_ADAM);
    }

    /** realLabel: the discriminator's target for real images, 0.9 (one-sided smoothing) or 1. */
    public GanTrainer(Dcgan gan, long noiseSeed, float realLabel, AdamConfig adam) {
        if (!(realLabel > 0.5f && realLabel <= 1f)) throw new IllegalArgumentException("GanTrainer: real label " + realLabel + " must be in (0.5, 1]");
        this.gan = gan;
        this.backend = gan.backend();
        this.realLabel = realLabel;
        this.noiseSeed = noiseSeed;
        this.adamG = new Adam(backend, gan.generator().parameters(), adam);
        this.adamD = new Adam(backend, gan.discriminator().parameters(), adam);
    }

    public Dcgan model() { return gan; }

    /** Steps taken. */
    public long stepCount() { return step; }

    /** Continues a run: the next step uses noise offset {@code step}. */
    public void setStepCount(long step) { this.step = step; }

    /** One D step and one G step on a batch of real images (N, 1, 28, 28) scaled to [-1, 1]. */
    public Losses step(Tensor realImages) {
        if (realImages.rank() != 4 || realImages.dim(1) != 1 || realImages.dim(2) != 28 || realImages.dim(3) != 28) {
            throw new IllegalArgumentException("GanTrainer.step: images " + realImages.shape() + " must be (N, 1, 28, 28)");
        }
        int n = realImages.dim(0);
        Module g = gan.generator(), d = gan.discriminator();
        g.train();
        d.train();
        try (var scope = TensorScope.open()) {
            var z = backend.randn(Shape.of(n, Dcgan.LATENT), noiseSeed, step);
            var fake = g.forward(z);

            // discriminator: real then fake, gradients accumulate across the two passes
            d.zeroGrad();
            d.requiresGrad(true);
            var realTarget = backend.full(Shape.of(n, 1), realLabel);
            var zeros = backend.zeros(Shape.of(n, 1));
            var realLogits = d.forward(realImages);
            var lossReal = backend.bceWithLogits(realLogits, realTarget, Reduction.MEAN);
            d.backward(backend.bceWithLogitsBackward(realLogits, realTarget, Reduction.MEAN, 1f));
            var fakeLogits = d.forward(fake);
            var lossFake = backend.bceWithLogits(fakeLogits, zeros, Reduction.MEAN);
            d.backward(backend.bceWithLogitsBackward(fakeLogits, zeros, Reduction.MEAN, 1f));
            adamD.step();
            float dLoss = lossReal.item() + lossFake.item();

            // generator: D is only a loss here, so its parameter gradients are not computed
            g.zeroGrad();
            d.requiresGrad(false);
            var ones = backend.full(Shape.of(n, 1), 1f);
            var logits = d.forward(fake);
            var gLoss = backend.bceWithLogits(logits, ones, Reduction.MEAN);
            var dFake = d.backward(backend.bceWithLogitsBackward(logits, ones, Reduction.MEAN, 1f));
            d.requiresGrad(true);
            g.backward(dFake);
            adamG.step();
            step++;
            return new Losses(dLoss, gLoss.item());
        } finally {
            d.requiresGrad(true);
            g.zeroGrad();
            d.zeroGrad();
        }
    }

    /** Frees the optimizers' moments (the model stays). */
    @Override public void close() {
        adamG.close();
        adamD.close();
    }
}
