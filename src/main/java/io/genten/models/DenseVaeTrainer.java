package io.genten.models;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Map;

/**
 * {@link DenseVae} training: loss = (reconstruction summed over pixels + KL) / N, then Adam. The
 * reconstruction term is BCE on the decoder's logits (the conv VAE's) or the squared error of
 * sigmoid(logits) against the image (the sketch's MSE), summed over pixels like BCE so that it
 * weighs against the KL as a Gaussian likelihood would; the sketch's per-pixel mean would make
 * the KL term 784 times stronger and collapse the latent.
 */
public final class DenseVaeTrainer implements Resumable, AutoCloseable {
    /** The reconstruction term of the loss. */
    public enum Reconstruction {
        /** Binary cross-entropy on the decoder's logits, summed over pixels. */
        BCE,
        /** Squared error of sigmoid(logits) against the image, summed over pixels. */
        MSE
    }

    /**
     * The losses of a step, per image.
     *
     * @param reconstruction the reconstruction term
     * @param kl             the KL divergence of the latent from the standard normal
     * @param total          their sum, the loss minimized
     */
    public record Losses(float reconstruction, float kl, float total) {}

    /** Philox offsets one step takes from the model's noise stream. */
    static final long RANDOM_STRIDE = 1;

    private final DenseVae vae;
    private final Backend backend;
    private final Reconstruction reconstruction;
    private final TrainerAdam adam;
    private final Tensor recSum, klSum; // the last step's summed losses, on the device: a graphed step writes them too
    private int lastBatch;

    /**
     * A trainer of the model's parameters with Adam.
     *
     * @param vae            the model to train
     * @param reconstruction the reconstruction term of the loss
     * @param adam           the optimizer's hyperparameters
     */
    public DenseVaeTrainer(DenseVae vae, Reconstruction reconstruction, AdamConfig adam) {
        this.vae = vae;
        this.backend = vae.backend();
        this.reconstruction = reconstruction;
        this.adam = new TrainerAdam(backend, vae.namedParameters(), adam);
        this.recSum = backend.zeros(Shape.scalar());
        this.klSum = backend.zeros(Shape.scalar());
    }

    /**
     * The model being trained.
     *
     * @return the model
     */
    public DenseVae model() { return vae; }

    /**
     * The reconstruction term of the loss.
     *
     * @return the reconstruction term
     */
    public Reconstruction reconstruction() { return reconstruction; }

    @Override public String kind() { return vae.kind(); }

    @Override public long stepCount() { return adam.stepCount(); }

    @Override public long noiseOffset() { return vae.noiseOffset(); }

    /**
     * One step on images (N, 1, 28, 28) in [0, 1]; per-image losses (synchronizes). A non-finite loss
     * (and, every 64 steps, a non-finite parameter) throws {@link DivergedException} naming the step:
     * the weights are then spoiled, so save nothing of them ({@link TrainingState#commit} refuses to).
     * A second thread stepping the same model meanwhile gets an {@link IllegalStateException}.
     *
     * @param images the batch (N, 1, 28, 28) in [0, 1]
     * @return the step's losses per image
     */
    public Losses step(Tensor images) {
        checkImages(images);
        try (var use = vae.trainingUse.enter()) {
            stepOnDevice(images);
            var l = losses();
            Finite.checkLosses(stepCount(), new String[] {"reconstruction", "kl"}, l.reconstruction(), l.kl());
            Finite.checkParametersNowAndThen(stepCount(), vae.stateDict());
            return l;
        }
    }

    /**
     * One step, only queued: forward, backward and Adam, the losses written to the trainer's device
     * scalars and nothing read back, so that {@link GraphedStep} can capture it.
     *
     * @param images the batch (N, 1, 28, 28) in [0, 1]
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
        if (lastBatch == 0) throw new IllegalStateException("DenseVaeTrainer.losses: no step yet");
        float r = recSum.item() / lastBatch, k = klSum.item() / lastBatch;
        return new Losses(r, k, r + k);
    }

    private static void checkImages(Tensor images) {
        if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != 28 || images.dim(3) != 28) {
            throw new IllegalArgumentException("DenseVaeTrainer.step: images " + images.shape() + " must be (N, 1, 28, 28)");
        }
    }

    /**
     * Forward and backward without the update (gradients left on the parameters); eps null draws from the model's stream.
     *
     * @param images the batch (N, 1, 28, 28) in [0, 1]
     * @param eps    the noise (N, latent), or null to draw it from the model's stream
     * @return the losses per image
     */
    public Losses computeGradients(Tensor images, Tensor eps) {
        checkImages(images);
        try (var use = vae.trainingUse.enter()) {
            forwardBackward(images, eps);
            return losses();
        }
    }

    private void forwardBackward(Tensor images, Tensor eps) {
        int n = images.dim(0);
        float scale = 1f / n;
        vae.train();
        vae.zeroGrad();
        var out = eps == null ? vae.forwardVae(images) : vae.forwardVae(images, eps);
        Tensor rec, dlogits;
        if (reconstruction == Reconstruction.BCE) {
            rec = backend.bceWithLogits(out.logits(), images, Reduction.SUM);
            dlogits = backend.bceWithLogitsBackward(out.logits(), images, Reduction.SUM, scale);
        } else {
            var y = backend.activationForward(Activation.SIGMOID, out.logits());
            rec = backend.mse(y, images, Reduction.SUM);
            dlogits = backend.activationBackward(Activation.SIGMOID, out.logits(), y, backend.mseBackward(y, images, Reduction.SUM, scale));
        }
        var kl = backend.klDivergence(out.mu(), out.logvar());
        vae.backwardVaeParameters(dlogits, scale);
        backend.copyInto(rec, recSum);
        backend.copyInto(kl, klSum);
        lastBatch = n;
    }

    StepTarget graphTarget() {
        return new StepTarget(backend, DenseVaeTrainer::checkImages, this::stepOnDevice, adam::stepCount,
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

    /**
     * The negative ELBO per image, -log p(x|z) + KL (BCE, one noise draw), and the mean squared error of the mean reconstruction, in eval mode.
     *
     * @param vae    the model
     * @param images the images (N, 1, 28, 28) in [0, 1]
     * @param eps    the noise (N, latent)
     * @return per image: {negative ELBO, BCE, KL, squared error of the mean reconstruction}
     */
    public static float[] evaluate(DenseVae vae, Tensor images, Tensor eps) {
        boolean wasTraining = vae.isTraining();
        vae.eval();
        var backend = vae.backend();
        try (var scope = TensorScope.open()) {
            int n = images.dim(0);
            var out = vae.forwardVae(images, eps);
            float bce = backend.bceWithLogits(out.logits(), images, Reduction.SUM).item() / n;
            float kl = backend.klDivergence(out.mu(), out.logvar()).item() / n;
            var rec = vae.reconstruct(images);
            float mse = backend.mse(rec, images, Reduction.SUM).item() / n;
            return new float[] {bce + kl, bce, kl, mse};
        } finally {
            if (wasTraining) vae.train();
        }
    }

    @Override public Map<String, Tensor> optimizerState() { return adam.state(""); }

    @Override public void restore(Map<String, Tensor> optimizerState, long steps, long noiseOffset) {
        adam.loadState(optimizerState, "", steps);
        vae.setNoiseOffset(noiseOffset);
    }

    @Override public void close() {
        adam.close();
        recSum.close();
        klSum.close();
    }
}
