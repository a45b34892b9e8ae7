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
 * Trains a {@link PairGan} (the MLP GANs and the conditional DCGAN) one step at a time, in the
 * order of {@link GanTrainer}: a discriminator step on the real batch and on a generated one, then a
 * generator step against the updated discriminator, whose gradient reaches the generator through
 * the discriminator's input gradient. The losses are the model's {@link GanLoss}. A conditional
 * model draws its fakes with the real batch's labels, so both see the data's label frequencies.
 * A discriminator with batch normalization sees real and fake images in one batch ({@link #jointStep}).
 *
 * <p>Deterministic given the seed: step k draws z from Philox (noiseSeed, offset 3k), and each
 * dropout layer masks the discriminator's three passes with offsets 3k, 3k+1, 3k+2 of its own
 * seed, as the DCGAN's trainer. Build the trainer outside any step scope.
 */
public final class GanPairTrainer implements Resumable, AutoCloseable {
    /** Philox offsets per step: z and the dropout masks of step k start at offset {@code 3k}. */
    public static final int RANDOM_STRIDE = 3;

    /**
     * The losses of a step.
     *
     * @param discriminator the discriminator's loss, real and fake terms together
     * @param generator     the generator's loss
     */
    public record Losses(float discriminator, float generator) {}

    private final PairGan gan;
    private final Backend backend;
    private final TrainerAdam adamG, adamD;
    private final List<Dropout> dropouts = new ArrayList<>();
    private final float realLabel;
    private final long noiseSeed;
    private final Tensor lossD, lossG; // the last step's losses, on the device: a graphed step writes them too
    private long step;
    private boolean stepped;

    /**
     * A trainer of both networks of the model, each with its own Adam.
     *
     * @param gan       the model to train
     * @param noiseSeed the seed of the generator's noise
     * @param realLabel the BCE target of real images (one-sided smoothing below 1), in (0.5, 1];
     *                  the least-squares loss always uses 1
     * @param adam      the hyperparameters of both optimizers
     */
    public GanPairTrainer(PairGan gan, long noiseSeed, float realLabel, AdamConfig adam) {
        if (!(realLabel > 0.5f && realLabel <= 1f)) throw new IllegalArgumentException("GanPairTrainer: real label " + realLabel + " must be in (0.5, 1]");
        this.gan = gan;
        this.backend = gan.backend();
        this.realLabel = gan.loss() == GanLoss.LEAST_SQUARES ? 1f : realLabel;
        this.noiseSeed = noiseSeed;
        collectDropouts(gan.discriminator(), dropouts);
        adamG = new TrainerAdam(backend, gan.generator().namedParameters(), adam);
        adamD = new TrainerAdam(backend, gan.discriminator().namedParameters(), adam);
        lossD = backend.zeros(Shape.scalar());
        lossG = backend.zeros(Shape.scalar());
    }

    private static void collectDropouts(Module m, List<Dropout> out) {
        if (m instanceof Dropout d) out.add(d);
        m.children().values().forEach(c -> collectDropouts(c, out));
    }

    public PairGan model() { return gan; }

    @Override public String kind() { return gan.kind(); }

    @Override public long stepCount() { return step; }

    @Override public long noiseOffset() { return RANDOM_STRIDE * step; }

    /** The loss of {@code out} against a constant target and its gradient. */
    private Tensor[] loss(Tensor out, float target) {
        var t = backend.full(out.shape(), target); // freed with the step's scope
        return switch (gan.loss()) {
            case BCE -> new Tensor[] {backend.bceWithLogits(out, t, Reduction.MEAN), backend.bceWithLogitsBackward(out, t, Reduction.MEAN, 1f)};
            case LEAST_SQUARES -> new Tensor[] {backend.scale(backend.mse(out, t, Reduction.MEAN), 0.5f), backend.mseBackward(out, t, Reduction.MEAN, 0.5f)};
        };
    }

    private void dropoutPass(long base, int pass) {
        for (var d : dropouts) d.setNextOffset(base + pass);
    }

    /**
     * One D step and one G step on real images (N, 1, 28, 28) in the model's pixel range; labels (N) for a conditional model. Synchronizes.
     * A non-finite loss (and, every 64 steps, a non-finite parameter) throws {@link DivergedException}
     * naming the step: the weights are then spoiled, so save nothing of them ({@link TrainingState#commit}
     * refuses to). A second thread stepping the same model meanwhile gets an {@link IllegalStateException}.
     *
     * @param realImages the batch of real images (N, 1, 28, 28)
     * @param labels     the digit of each image for a conditional model, else ignored (may be null)
     * @return the step's discriminator and generator losses
     */
    public Losses step(Tensor realImages, int[] labels) {
        checkInputs(realImages, labels);
        try (var use = trainingUse(gan).enter()) {
            stepOnDevice(realImages, labels);
            var l = losses();
            Finite.checkLosses(step, new String[] {"d_loss", "g_loss"}, l.discriminator(), l.generator());
            Finite.checkParametersNowAndThen(step, gan.stateDict());
            return l;
        }
    }

    /**
     * One step, only queued: nothing is read back (the losses go to the trainer's device scalars), so
     * that {@link GraphedStep} can capture it.
     *
     * @param realImages the batch of real images (N, 1, 28, 28)
     * @param labels     the digit of each image for a conditional model, else ignored (may be null)
     */
    public void stepOnDevice(Tensor realImages, int[] labels) {
        checkInputs(realImages, labels);
        try (var use = trainingUse(gan).enter()) { // entered first: a refused thread must not reach the finally of the step
            guardedStep(realImages, labels, null);
        }
    }

    /** The step on labels already on the device (a captured graph's static label buffers). */
    private void stepOnDevice(Tensor realImages, ConditionalDcgan.DeviceLabels labels) {
        checkImages(realImages);
        if (labels.size() != realImages.dim(0)) {
            throw new IllegalArgumentException("GanPairTrainer.step: " + labels.size() + " labels for images " + realImages.shape());
        }
        try (var use = trainingUse(gan).enter()) {
            guardedStep(realImages, null, labels);
        }
    }

    private Tensor generate(Tensor z, ConditionalDcgan.DeviceLabels labels) {
        return labels == null ? gan.generate(z, null) : ((ConditionalDcgan) gan).generate(z, labels.oneHot());
    }

    private Tensor discriminate(Tensor images, ConditionalDcgan.DeviceLabels labels) {
        return labels == null ? gan.discriminate(images, null) : ((ConditionalDcgan) gan).discriminate(images, labels.planes());
    }

    /**
     * The losses of the last step (synchronizes).
     *
     * @return the losses
     * @throws IllegalStateException before any step
     */
    public Losses losses() {
        if (!stepped) throw new IllegalStateException("GanPairTrainer.losses: no step yet");
        return new Losses(lossD.item(), lossG.item());
    }

    private void checkInputs(Tensor realImages, int[] labels) {
        checkImages(realImages);
        int n = realImages.dim(0);
        if (gan.conditional() && (labels == null || labels.length != n)) {
            throw new IllegalArgumentException("GanPairTrainer.step: a conditional GAN needs " + n + " labels, got " + (labels == null ? "none" : labels.length));
        }
    }

    private static void checkImages(Tensor realImages) {
        if (realImages.rank() != 4 || realImages.dim(1) != 1 || realImages.dim(2) != 28 || realImages.dim(3) != 28) {
            throw new IllegalArgumentException("GanPairTrainer.step: images " + realImages.shape() + " must be (N, 1, 28, 28)");
        }
    }

    /** The model's training guard: one per model, so two trainers of the same model are refused too. */
    static InUse trainingUse(PairGan gan) {
        return switch (gan) {
            case MlpGan m -> m.trainingUse;
            case ConditionalDcgan c -> c.trainingUse;
        };
    }

    /** The step; a conditional model's labels come from the host ({@code hostLabels}, put on the device once here) or the device. */
    private void guardedStep(Tensor realImages, int[] hostLabels, ConditionalDcgan.DeviceLabels deviceLabels) {
        int n = realImages.dim(0);
        Module g = gan.generator(), d = gan.discriminator();
        g.train();
        d.train();
        long base = RANDOM_STRIDE * step;
        try (var scope = TensorScope.open()) {
            var labels = deviceLabels != null || !gan.conditional() ? deviceLabels : ConditionalDcgan.DeviceLabels.of(backend, hostLabels);
            var z = backend.randn(Shape.of(n, gan.latent()), noiseSeed, base);
            var fake = generate(z, labels);

            if (gan.discriminatorNormalizesBatches()) {
                jointStep(realImages, fake, labels, n, base);
                return;
            }

            // each pass in a scope of its own, as in GanTrainer
            d.zeroGrad();
            d.requiresGrad(true);
            dropoutPass(base, 0);
            Tensor realLoss, fakeLoss;
            try (var pass = TensorScope.open()) {
                var real = loss(discriminate(realImages, labels), realLabel);
                gan.discriminatorBackward(real[1]);
                realLoss = pass.keep(real[0]);
                d.keepGradients(pass);
            }
            dropoutPass(base, 1);
            try (var pass = TensorScope.open()) {
                var fakeOut = loss(discriminate(fake, labels), 0f);
                gan.discriminatorBackward(fakeOut[1]);
                fakeLoss = pass.keep(fakeOut[0]);
                d.keepGradients(pass);
            }
            adamD.step();

            g.zeroGrad();
            d.requiresGrad(false);
            dropoutPass(base, 2);
            Tensor dFake;
            try (var pass = TensorScope.open()) {
                var gl = loss(discriminate(fake, labels), 1f);
                backend.copyInto(gl[0], lossG);
                dFake = pass.keep(gan.discriminatorBackward(gl[1]));
            }
            d.requiresGrad(true);
            gan.generatorBackward(dFake);
            adamG.step();
            backend.copyInto(backend.add(realLoss, fakeLoss), lossD);
            step++;
            stepped = true;
        } finally {
            d.requiresGrad(true);
            g.zeroGrad();
            d.zeroGrad();
        }
    }

    /**
     * The step with D on real and fake images stacked in one batch of 2N (see
     * {@link PairGan#discriminatorNormalizesBatches}): the same losses, each half's mean, and the
     * G step's gradient taken on the fake half of D's output, through the shared statistics.
     */
    private void jointStep(Tensor realImages, Tensor fake, ConditionalDcgan.DeviceLabels labels, int n, long base) {
        Module g = gan.generator(), d = gan.discriminator();
        var both = labels == null ? null : new ConditionalDcgan.DeviceLabels(stack(labels.oneHot(), labels.oneHot()), stack(labels.planes(), labels.planes()));
        var x = stack(realImages, fake);
        var t = stack(backend.full(Shape.of(n, 1), realLabel), backend.zeros(Shape.of(n, 1))); // device ops only: capturable

        d.zeroGrad();
        d.requiresGrad(true);
        dropoutPass(base, 0);
        var out = discriminate(x, both);
        float half = 1f / n;
        Tensor dl, dGrad;
        if (gan.loss() == GanLoss.BCE) {
            dl = backend.scale(backend.bceWithLogits(out, t, Reduction.SUM), half);
            dGrad = backend.bceWithLogitsBackward(out, t, Reduction.SUM, half);
        } else {
            dl = backend.scale(backend.mse(out, t, Reduction.SUM), 0.5f * half);
            dGrad = backend.mseBackward(out, t, Reduction.SUM, 0.5f * half);
        }
        gan.discriminatorBackward(dGrad);
        adamD.step();

        g.zeroGrad();
        d.requiresGrad(false);
        dropoutPass(base, 2);
        var out2 = discriminate(x, both);
        var gl = loss(secondHalf(out2, n), 1f);
        var dx = gan.discriminatorBackward(stack(backend.zeros(Shape.of(n, 1)), gl[1]));
        d.requiresGrad(true);
        gan.generatorBackward(secondHalf(dx, n));
        adamG.step();
        backend.copyInto(dl, lossD);
        backend.copyInto(gl[0], lossG);
        step++;
        stepped = true;
    }

    /** a over b along dimension 0: the backend's concat on (1, N * sample) views. */
    private Tensor stack(Tensor a, Tensor b) {
        int per = a.shape().sampleSize();
        var joined = backend.concat(List.of(a.reshape(1, a.dim(0) * per), b.reshape(1, b.dim(0) * per)));
        var dims = a.shape().dims();
        dims[0] = a.dim(0) + b.dim(0);
        return joined.reshape(dims);
    }

    /** Rows n.. of t (dimension 0): the backend's slice on a (1, rows * sample) view. */
    private Tensor secondHalf(Tensor t, int n) {
        int per = t.shape().sampleSize(), rows = t.dim(0);
        var part = backend.slice(t.reshape(1, rows * per), n * per, (rows - n) * per);
        var dims = t.shape().dims();
        dims[0] = rows - n;
        return part.reshape(dims);
    }

    /** Both optimizers' moments, "generator."/"discriminator." prefixed (live tensors). */
    @Override public Map<String, Tensor> optimizerState() {
        var out = new LinkedHashMap<String, Tensor>(adamG.state(PairGan.GENERATOR_PREFIX));
        out.putAll(adamD.state(PairGan.DISCRIMINATOR_PREFIX));
        return out;
    }

    /** The noise offset follows from the step count (3 per step); a saved one that disagrees is refused. */
    @Override public void restore(Map<String, Tensor> optimizerState, long steps, long noiseOffset) {
        if (noiseOffset != RANDOM_STRIDE * steps) {
            throw new IllegalArgumentException("GanPairTrainer: noise offset " + noiseOffset + " does not belong to step " + steps);
        }
        adamG.loadState(optimizerState, PairGan.GENERATOR_PREFIX, steps);
        adamD.loadState(optimizerState, PairGan.DISCRIMINATOR_PREFIX, steps);
        step = steps;
    }

    /**
     * The step as {@link GraphedStep} captures it, for batches of {@code n}. A conditional model's
     * labels live in static device buffers made here, which the graph reads and each replay's labels
     * overwrite from the host first; {@code initialLabels} fill them for the warm-up and the capture.
     */
    StepTarget graphTarget(int n, int[] initialLabels) {
        ConditionalDcgan.DeviceLabels fixed = null;
        if (gan.conditional()) {
            if (initialLabels == null || initialLabels.length != n) {
                throw new IllegalArgumentException("GraphedStep.capture: " + gan.kind() + " is conditional and needs " + n + " labels for its first step, got "
                        + (initialLabels == null ? "none" : initialLabels.length));
            }
            fixed = ConditionalDcgan.DeviceLabels.of(backend, initialLabels);
        }
        var labels = fixed;
        java.util.function.Consumer<int[]> setLabels = labels == null ? null : l -> {
            if (l == null || l.length != n) {
                throw new IllegalArgumentException("GraphedStep.replay: " + n + " labels needed, got " + (l == null ? "none" : l.length));
            }
            try (var oneHot = Labels.oneHot(backend, l, Labels.DIGITS); var planes = Labels.planes(backend, l, Labels.DIGITS, 28, 28)) {
                backend.copyInto(oneHot, labels.oneHot());
                backend.copyInto(planes, labels.planes());
            }
        };
        Runnable release = labels == null ? () -> {} : () -> {
            labels.oneHot().close();
            labels.planes().close();
        };
        return new StepTarget(backend, GanPairTrainer::checkImages, x -> {
                    if (labels == null) stepOnDevice(x, (int[]) null);
                    else stepOnDevice(x, labels);
                }, () -> step,
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
                }, RANDOM_STRIDE, setLabels, release);
    }

    /** Frees the optimizers' state and the loss scalars (the model stays). */
    @Override public void close() {
        adamG.close();
        adamD.close();
        lossD.close();
        lossG.close();
    }
}
