package io.genten.models;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.nn.Dropout;
import io.genten.nn.Module;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One DCGAN training step at a time, in the order of PyTorch's DCGAN example: a discriminator
 * step on real images (target {@code realLabel}) and on generated ones (target 0), then a
 * generator step against the updated discriminator with the non-saturating loss (target 1),
 * whose gradient reaches the generator through the discriminator's input gradient. Both losses
 * are BCE-with-logits means; both networks use Adam(1e-4, 0.9, 0.999).
 *
 * <p>Deterministic given the seed. Step k takes Philox offsets {@code 3k, 3k+1, 3k+2} of every
 * stream: the noise z is randn(seed, offset 3k) and each dropout layer of the discriminator masks
 * its three passes (real, fake, generator step) with offsets 3k, 3k+1 and 3k+2 of its own seed.
 * Every stream thus advances by the same {@value #RANDOM_STRIDE} per step, which is what lets a
 * captured CUDA graph draw fresh noise by adding 3 to the backend's one device offset counter.
 *
 * <p>{@link #stepOnDevice} queues a whole step without reading anything back (the losses land in
 * device scalars owned by the trainer; {@link #losses()} reads them), so it can be captured as a
 * CUDA graph ({@link GraphedStep}); {@link #step} is the two together. Build the trainer outside
 * any step scope.
 *
 * <p>Threads: a trainer and its model belong to one thread at a time. Each step holds the model's
 * guard, so a second thread stepping at the same time gets an {@link IllegalStateException}
 * instead of garbage. Do not sample from the model in another thread while it trains.
 */
public final class GanTrainer implements AutoCloseable {
    /** The discriminator's default target for real images (one-sided label smoothing). */
    public static final float DEFAULT_REAL_LABEL = 0.9f;
    /** DESIGN.md's Adam for both networks: lr 1e-4, betas (0.9, 0.999). */
    public static final AdamConfig DEFAULT_ADAM = AdamConfig.of(1e-4f, 0.9f, 0.999f);
    /** Philox offsets one step takes on every stream (z and each dropout layer): one per discriminator pass. */
    public static final int RANDOM_STRIDE = 3;

    /**
     * The step's losses: discriminator (real + fake) and generator.
     *
     * @param discriminator the discriminator's BCE on real plus on generated images
     * @param generator     the generator's non-saturating BCE
     */
    public record Losses(float discriminator, float generator) {}

    private final Dcgan gan;
    private final Backend backend;
    private final TrainerAdam adamG, adamD;
    private final List<Dropout> dropouts = new ArrayList<>();
    private final float realLabel;
    private final long noiseSeed;
    private final Tensor lossReal, lossFake, lossG;
    private boolean stepped;
    private long step;

    /**
     * A trainer with the default real label and Adam.
     *
     * @param gan       the model to train (its weights are updated in place)
     * @param noiseSeed the Philox key of the latent noise
     */
    public GanTrainer(Dcgan gan, long noiseSeed) {
        this(gan, noiseSeed, DEFAULT_REAL_LABEL, DEFAULT_ADAM);
    }

    /**
     * With another real label (1 turns label smoothing off) and the default Adam.
     *
     * @param gan       the model to train
     * @param noiseSeed the Philox key of the latent noise
     * @param realLabel the discriminator's target for real images, in (0.5, 1]
     */
    public GanTrainer(Dcgan gan, long noiseSeed, float realLabel) {
        this(gan, noiseSeed, realLabel, DEFAULT_ADAM);
    }

    /**
     * A trainer with its own real label and Adam.
     *
     * @param gan       the model to train
     * @param noiseSeed the Philox key of the latent noise
     * @param realLabel the discriminator's target for real images, 0.9 (one-sided smoothing) or 1
     * @param adam      the optimizer's hyperparameters, for both networks
     */
    public GanTrainer(Dcgan gan, long noiseSeed, float realLabel, AdamConfig adam) {
        if (!(realLabel > 0.5f && realLabel <= 1f)) throw new IllegalArgumentException("GanTrainer: real label " + realLabel + " must be in (0.5, 1]");
        this.gan = gan;
        this.backend = gan.backend();
        this.realLabel = realLabel;
        this.noiseSeed = noiseSeed;
        collectDropouts(gan.discriminator(), dropouts);
        this.adamG = new TrainerAdam(backend, gan.generator().namedParameters(), adam);
        this.adamD = new TrainerAdam(backend, gan.discriminator().namedParameters(), adam);
        this.lossReal = backend.zeros(Shape.scalar());
        this.lossFake = backend.zeros(Shape.scalar());
        this.lossG = backend.zeros(Shape.scalar());
    }

    private static void collectDropouts(Module m, List<Dropout> out) {
        if (m instanceof Dropout d) out.add(d);
        m.children().values().forEach(c -> collectDropouts(c, out));
    }

    /**
     * The model being trained.
     *
     * @return the DCGAN
     */
    public Dcgan model() { return gan; }

    /**
     * Steps taken.
     *
     * @return the step count
     */
    public long stepCount() { return step; }

    /**
     * Continues a run: the next step uses Philox offsets {@code 3 * step} onwards.
     *
     * @param step the steps already taken, &gt;= 0
     */
    public void setStepCount(long step) {
        if (step < 0) throw new IllegalArgumentException("GanTrainer: step count " + step + " must be non-negative");
        this.step = step;
    }

    /**
     * One D step and one G step on a batch of real images (N, 1, 28, 28) scaled to [-1, 1];
     * synchronizes to read the losses. A non-finite loss (and, every
     * 64 steps, a non-finite parameter) throws
     * {@link DivergedException} naming the step.
     *
     * @param realImages (N, 1, 28, 28) scaled to [-1, 1], on the model's device
     * @return the losses
     */
    public Losses step(Tensor realImages) {
        try (var use = gan.trainingUse.enter()) {
            return checkedStep(realImages);
        }
    }

    private Losses checkedStep(Tensor realImages) {
        stepOnDevice(realImages);
        var l = losses();
        Finite.checkLosses(step, new String[] {"d_loss", "g_loss"}, l.discriminator(), l.generator());
        Finite.checkParametersNowAndThen(step, gan.stateDict());
        return l;
    }

    /**
     * The losses of the last step (synchronizes).
     *
     * @return the losses
     * @throws IllegalStateException before any step
     */
    public Losses losses() {
        if (!stepped) throw new IllegalStateException("GanTrainer.losses: no step yet");
        return new Losses(lossReal.item() + lossFake.item(), lossG.item());
    }

    /**
     * The gradients the last step applied, "generator."/"discriminator." prefixed: live buffers the next step overwrites.
     *
     * @return gradients by parameter name
     */
    public Map<String, Tensor> gradients() {
        var out = new LinkedHashMap<String, Tensor>();
        adamG.lastGradients().forEach((k, v) -> out.put(Dcgan.GENERATOR_PREFIX + k, v));
        adamD.lastGradients().forEach((k, v) -> out.put(Dcgan.DISCRIMINATOR_PREFIX + k, v));
        return out;
    }

    /**
     * Both optimizers' moments, "generator."/"discriminator." prefixed (live tensors), for {@link TrainingState}.
     *
     * @return the moments by name
     */
    public Map<String, Tensor> optimizerState() {
        var out = new LinkedHashMap<String, Tensor>(adamG.state(Dcgan.GENERATOR_PREFIX));
        out.putAll(adamD.state(Dcgan.DISCRIMINATOR_PREFIX));
        return out;
    }

    /**
     * Continues a run after {@code steps} steps: Adam's moments and counts, and the noise and dropout offsets.
     *
     * @param optimizerState the moments, as {@link #optimizerState()} names them
     * @param steps          the steps already taken
     */
    public void restore(Map<String, Tensor> optimizerState, long steps) {
        adamG.loadState(optimizerState, Dcgan.GENERATOR_PREFIX, steps);
        adamD.loadState(optimizerState, Dcgan.DISCRIMINATOR_PREFIX, steps);
        setStepCount(steps);
    }

    private static void checkImages(Tensor realImages) {
        if (realImages.rank() != 4 || realImages.dim(1) != 1 || realImages.dim(2) != 28 || realImages.dim(3) != 28) {
            throw new IllegalArgumentException("GanTrainer.step: images " + realImages.shape() + " must be (N, 1, 28, 28)");
        }
    }

    /** The discriminator's dropout masks of the next forward: pass {@code pass} of this step. */
    private void dropoutPass(long base, int pass) {
        for (var d : dropouts) d.setNextOffset(base + pass);
    }

    /**
     * One step, only queued: nothing is read back (the losses go to the trainer's device scalars).
     *
     * @param realImages (N, 1, 28, 28) scaled to [-1, 1], on the model's device
     */
    public void stepOnDevice(Tensor realImages) {
        checkImages(realImages);
        try (var use = gan.trainingUse.enter()) { // entered first: a refused thread must not reach the finally of the step
            guardedStep(realImages);
        }
    }

    private void guardedStep(Tensor realImages) {
        int n = realImages.dim(0);
        Module g = gan.generator(), d = gan.discriminator();
        g.train();
        d.train();
        long base = RANDOM_STRIDE * step;
        try (var scope = TensorScope.open()) {
            var z = backend.randn(Shape.of(n, Dcgan.LATENT), noiseSeed, base);
            var fake = g.forward(z);

            // discriminator: real then fake, gradients accumulate across the two passes. Each pass
            // (and G's through D) runs in a scope of its own, so that its activations and
            // temporaries go back to the backend's pool for the next pass, which has the same shapes,
            // instead of living to the end of the step: on the CPU the first DCGAN-64 step then
            // allocates 146 MB instead of 212, and the process holds 283 MB at its end instead of 412
            d.zeroGrad();
            d.requiresGrad(true);
            dropoutPass(base, 0);
            try (var pass = TensorScope.open()) {
                var realTarget = backend.full(Shape.of(n, 1), realLabel);
                var realLogits = d.forward(realImages);
                backend.copyInto(backend.bceWithLogits(realLogits, realTarget, Reduction.MEAN), lossReal);
                d.backwardParameters(backend.bceWithLogitsBackward(realLogits, realTarget, Reduction.MEAN, 1f));
                d.keepGradients(pass);
            }
            dropoutPass(base, 1);
            try (var pass = TensorScope.open()) {
                var zeros = backend.zeros(Shape.of(n, 1));
                var fakeLogits = d.forward(fake);
                backend.copyInto(backend.bceWithLogits(fakeLogits, zeros, Reduction.MEAN), lossFake);
                d.backwardParameters(backend.bceWithLogitsBackward(fakeLogits, zeros, Reduction.MEAN, 1f)); // fake is detached here
                d.keepGradients(pass);
            }
            adamD.step();

            // generator: D is only a loss here, so its parameter gradients are not computed
            g.zeroGrad();
            d.requiresGrad(false);
            dropoutPass(base, 2);
            Tensor dFake;
            try (var pass = TensorScope.open()) {
                var ones = backend.full(Shape.of(n, 1), 1f);
                var logits = d.forward(fake);
                backend.copyInto(backend.bceWithLogits(logits, ones, Reduction.MEAN), lossG);
                dFake = pass.keep(d.backward(backend.bceWithLogitsBackward(logits, ones, Reduction.MEAN, 1f)));
            }
            d.requiresGrad(true);
            g.backwardParameters(dFake);
            adamG.step();
            step++;
            stepped = true;
        } finally {
            d.requiresGrad(true);
            g.zeroGrad();
            d.zeroGrad();
        }
    }

    StepTarget graphTarget() {
        return new StepTarget(backend, GanTrainer::checkImages, this::stepOnDevice, () -> step,
                () -> new long[] {step, adamG.stepCount(), adamD.stepCount(), stepped ? 1 : 0},
                c -> {
                    step = c[0];
                    adamG.setStepCount(c[1]);
                    adamD.setStepCount(c[2]);
                    stepped = c[3] != 0;
                },
                delta -> {
                    step += delta;
                    adamG.setStepCount(adamG.stepCount() + delta);
                    adamD.setStepCount(adamD.stepCount() + delta);
                }, RANDOM_STRIDE);
    }

    /** Frees the optimizers' state and the loss scalars (the model stays). */
    @Override public void close() {
        adamG.close();
        adamD.close();
        lossReal.close();
        lossFake.close();
        lossG.close();
    }
}
