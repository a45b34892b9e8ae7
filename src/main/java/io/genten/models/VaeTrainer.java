package io.genten.models;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Map;

/**
 * ConvVae training: loss = (BCE-with-logits summed over pixels + KL) / N, its gradient with the
 * KL term folded into the fused reparameterization backward (klScale = 1/N), then Adam.
 *
 * <p>{@link #stepOnDevice} queues a whole step without reading anything back: the summed losses
 * land in two device scalars owned by the trainer, which {@link #losses()} reads when asked. So
 * the step can be captured as a CUDA graph ({@link GraphedStep}); {@link #step} is the two together.
 * The noise of step k is the model's Philox stream at offset {@code noiseOffset} (one per step).
 * Build the trainer outside any step scope (its optimizer state and loss scalars outlive steps).
 *
 * <p>Threads: a trainer and its model belong to one thread at a time. Each step holds the model's
 * guard, so a second thread stepping (this or another trainer of the same model) at the same time
 * gets an {@link IllegalStateException} instead of garbage. Do not sample from or read the model
 * in another thread while it trains: its weights change under the reader.
 */
public final class VaeTrainer implements AutoCloseable {
    /** DESIGN.md's learning rate: Adam(1e-3). */
    public static final float DEFAULT_LR = 1e-3f;
    /** Philox offsets one step takes from the model's noise stream. */
    static final long RANDOM_STRIDE = 1;

    /**
     * Per-image losses of a batch: reconstruction (BCE), KL and their sum.
     *
     * @param reconstruction the BCE summed over pixels, averaged over the batch
     * @param kl             the KL term, averaged over the batch
     * @param total          their sum
     */
    public record Losses(float reconstruction, float kl, float total) {}

    private final ConvVae vae;
    private final Backend backend;
    private final TrainerAdam adam;
    private final Tensor recSum, klSum;
    private int lastBatch;

    /**
     * A trainer with Adam(1e-3).
     *
     * @param vae the model to train (its weights are updated in place)
     */
    public VaeTrainer(ConvVae vae) { this(vae, DEFAULT_LR); }

    /**
     * A trainer with Adam at another learning rate.
     *
     * @param vae the model to train
     * @param lr  the learning rate
     */
    public VaeTrainer(ConvVae vae, float lr) { this(vae, AdamConfig.of(lr, 0.9f, 0.999f)); }

    /**
     * A trainer with its own Adam.
     *
     * @param vae  the model to train
     * @param adam the optimizer's hyperparameters
     */
    public VaeTrainer(ConvVae vae, AdamConfig adam) {
        this.vae = vae;
        this.backend = vae.backend();
        this.adam = new TrainerAdam(backend, vae.namedParameters(), adam);
        this.recSum = backend.zeros(Shape.scalar());
        this.klSum = backend.zeros(Shape.scalar());
    }

    /**
     * The model being trained.
     *
     * @return the VAE
     */
    public ConvVae model() { return vae; }

    /**
     * Steps taken.
     *
     * @return the optimizer's step count
     */
    public long stepCount() { return adam.stepCount(); }

    /**
     * One training step on images (N, 1, 28, 28) in [0, 1]; reads the losses back (synchronizes).
     * A non-finite loss (and, every 64 steps, a non-finite
     * parameter) throws {@link DivergedException} naming the step: the model's weights are then
     * spoiled, so save nothing of it.
     *
     * @param images (N, 1, 28, 28) in [0, 1], on the model's device
     * @return the step's per-image losses
     */
    public Losses step(Tensor images) {
        try (var use = vae.trainingUse.enter()) {
            stepOnDevice(images);
            var l = losses();
            Finite.checkLosses(stepCount(), new String[] {"reconstruction", "kl"}, l.reconstruction(), l.kl());
            Finite.checkParametersNowAndThen(stepCount(), vae.stateDict());
            return l;
        }
    }

    /**
     * One training step, only queued: forward, backward and Adam, with the losses written to the
     * trainer's device scalars and nothing read back.
     *
     * @param images (N, 1, 28, 28) in [0, 1], on the model's device
     */
    public void stepOnDevice(Tensor images) {
        checkImages(images);
        try (var use = vae.trainingUse.enter()) { // entered first: a refused thread must not reach the finally below
            try (var scope = TensorScope.open()) {
                forwardBackward(images, null);
                adam.step();
            } finally {
                vae.zeroGrad();
            }
        }
    }

    /**
     * The per-image losses of the last step (or gradient computation); synchronizes.
     *
     * @return the losses
     * @throws IllegalStateException before any step
     */
    public Losses losses() {
        if (lastBatch == 0) throw new IllegalStateException("VaeTrainer.losses: no step yet");
        int n = lastBatch;
        float r = recSum.item() / n, k = klSum.item() / n;
        return new Losses(r, k, r + k);
    }

    /**
     * Training-mode forward and backward without the optimizer step: the losses, and the
     * gradients left on the parameters. With {@code eps} null the noise comes from the model's stream.
     *
     * @param images (N, 1, 28, 28) in [0, 1]
     * @param eps    the noise (N, 32), or null
     * @return the per-image losses
     */
    public Losses computeGradients(Tensor images, Tensor eps) {
        checkImages(images);
        try (var use = vae.trainingUse.enter()) {
            forwardBackward(images, eps);
            return losses();
        }
    }

    /**
     * The gradients the last {@link #step} applied, by parameter name: live buffers the next step overwrites.
     *
     * @return gradients by parameter name
     */
    public Map<String, Tensor> gradients() { return adam.lastGradients(); }

    /**
     * Adam's moments by parameter name (live tensors), for {@link TrainingState}.
     *
     * @return the moments by name
     */
    public Map<String, Tensor> optimizerState() { return adam.state(""); }

    /**
     * Continues a run: Adam's moments and step count, and the model's noise offset.
     *
     * @param optimizerState the moments, as {@link #optimizerState()} names them
     * @param steps          the steps already taken
     * @param noiseOffset    the model's next noise offset
     */
    public void restore(Map<String, Tensor> optimizerState, long steps, long noiseOffset) {
        adam.loadState(optimizerState, "", steps);
        vae.setNoiseOffset(noiseOffset);
    }

    private static void checkImages(Tensor images) {
        if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != 28 || images.dim(3) != 28) {
            throw new IllegalArgumentException("VaeTrainer.step: images " + images.shape() + " must be (N, 1, 28, 28)");
        }
    }

    private void forwardBackward(Tensor images, Tensor eps) {
        int n = images.dim(0);
        vae.train();
        vae.zeroGrad();
        var out = eps == null ? vae.forwardVae(images) : vae.forwardVae(images, eps);
        var rec = backend.bceWithLogits(out.logits(), images, Reduction.SUM);
        var kl = backend.klDivergence(out.mu(), out.logvar());
        float scale = 1f / n;
        var dlogits = backend.bceWithLogitsBackward(out.logits(), images, Reduction.SUM, scale);
        vae.backwardVaeParameters(dlogits, scale);
        backend.copyInto(rec, recSum);
        backend.copyInto(kl, klSum);
        lastBatch = n;
    }

    StepTarget graphTarget() {
        return new StepTarget(backend, VaeTrainer::checkImages, this::stepOnDevice, adam::stepCount,
                () -> new long[] {vae.noiseOffset(), adam.stepCount(), lastBatch},
                c -> {
                    vae.setNoiseOffset(c[0]);
                    adam.setStepCount(c[1]);
                    lastBatch = (int) c[2];
                },
                delta -> {
                    vae.setNoiseOffset(vae.noiseOffset() + delta * RANDOM_STRIDE);
                    adam.setStepCount(adam.stepCount() + delta);
                }, RANDOM_STRIDE);
    }

    @Override public void close() {
        adam.close();
        recSum.close();
        klSum.close();
    }
}
