package io.genten.models;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.nn.Adam;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;

/**
 * ConvVae training: loss = (BCE-with-logits summed over pixels + KL) / N, its gradient with the
 * KL term folded into the fused reparameterization backward (klScale = 1/N), then Adam.
 */
public final class VaeTrainer implements AutoCloseable {
    public static final float DEFAULT_LR = 1e-3f;

    /** Per-image losses of a batch: reconstruction (BCE), KL and their sum. */
    public record Losses(float reconstruction, float kl, float total) {}

    private final ConvVae vae;
    private final Backend backend;
    private final Adam adam;

    public VaeTrainer(ConvVae vae) { this(vae, DEFAULT_LR); }

    public VaeTrainer(ConvVae vae, float lr) { this(vae, AdamConfig.of(lr, 0.9f, 0.999f)); }

    public VaeTrainer(ConvVae vae, AdamConfig adam) {
        this.vae = vae;
        this.backend = vae.backend();
        this.adam = new Adam(backend, vae.parameters(), adam);
    }

    public ConvVae model() { return vae; }

    public long stepCount() { return adam.stepCount(); }

    /** One training step on images (N, 1, 28, 28) in [0, 1]. */
    public Losses step(Tensor images) {
        try (var scope = TensorScope.open()) {
            var losses = computeGradients(images, null);
            adam.step();
            return losses;
        } finally {
            vae.zeroGrad();
        }
    }

    /**
     * Training-mode forward and backward without the optimizer step: the losses, and the
     * gradients left on the parameters. With {@code eps} null the noise comes from the model's stream.
     */
    public Losses computeGradients(Tensor images, Tensor eps) {
        if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != 28 || images.dim(3) != 28) {
            throw new IllegalArgumentException("VaeTrainer.step: images " + images.shape() + " must be (N, 1, 28, 28)");
        }
        int n = images.dim(0);
        vae.train();
        vae.zeroGrad();
        var out = eps == null ? vae.forwardVae(images) : vae.forwardVae(images, eps);
        var rec = backend.bceWithLogits(out.logits(), images, Reduction.SUM);
        var kl = backend.klDivergence(out.mu(), out.logvar());
        float scale = 1f / n;
        var dlogits = backend.bceWithLogitsBackward(out.logits(), images, Reduction.SUM, scale);
        vae.backwardVae(dlogits, scale);
        float r = rec.item() / n, k = kl.item() / n;
        return new Losses(r, k, r + k);
    }

    @Override public void close() { adam.close(); }
}
