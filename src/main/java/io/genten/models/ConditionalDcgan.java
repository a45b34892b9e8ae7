package io.genten.models;

import io.genten.backend.Backend;
import io.genten.nn.BatchNorm1d;
import io.genten.nn.BatchNorm2d;
import io.genten.nn.Conv2d;
import io.genten.nn.ConvTranspose2d;
import io.genten.nn.Dropout;
import io.genten.nn.Flatten;
import io.genten.nn.Init;
import io.genten.nn.LeakyReLU;
import io.genten.nn.Linear;
import io.genten.nn.Module;
import io.genten.nn.Reshape;
import io.genten.nn.Sequential;
import io.genten.nn.Tanh;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;
import java.util.Map;

/**
 * The DCGAN made digit-conditional ("cgan"), where the seed documents pass the labels and then
 * ignore them: the generator takes {@code concat(z, one_hot(label))} (100 + 10 features) into the
 * DCGAN generator's layers; the discriminator takes the image with ten label planes appended as
 * input channels (plane {@code label} all ones), 11x28x28, into the DCGAN discriminator's layers.
 * Both concatenations are the backend's {@code concat}; their backward is {@code slice}.
 *
 * <p>Default widths (the {@link Spec#standard}): G fc 110 -> 128x7x7 -> ConvT 64 (s1) -> ConvT 32
 * (s2) -> ConvT 1 (s2), D Conv 11 -> 32 (s2) -> Conv 64 (s2) -> fc 1: half the DCGAN's channels, so
 * that it trains in minutes on two CPU cores. Names as the DCGAN's ("generator.fc.weight",
 * "generator.bn0.running_var", "discriminator.conv1.weight", ...). Build outside any step scope.
 */
public final class ConditionalDcgan implements PairGan {
    /** The negative slope of every LeakyReLU, generator and discriminator. */
    public static final float LEAK = 0.3f;

    /**
     * Noise size, generator channels (c0 at 7x7, c1, c2) and discriminator channels (d1, d2), dropout.
     *
     * @param latent  the noise size
     * @param c0      the generator's channels at 7x7, after the fully connected layer
     * @param c1      the generator's channels after its first transposed convolution (7x7)
     * @param c2      the generator's channels after its second transposed convolution (14x14)
     * @param d1      the discriminator's channels after its first convolution (14x14)
     * @param d2      the discriminator's channels after its second convolution (7x7)
     * @param dropout the discriminator's dropout probability, in [0, 1)
     */
    public record Spec(int latent, int c0, int c1, int c2, int d1, int d2, float dropout) {
        /** Checks that every size is at least 1 and the dropout is in [0, 1). */
        public Spec {
            if (latent < 1 || c0 < 1 || c1 < 1 || c2 < 1 || d1 < 1 || d2 < 1 || !(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("ConditionalDcgan.Spec: " + latent + ", " + c0 + ", " + c1 + ", " + c2 + ", " + d1 + ", " + d2 + ", dropout " + dropout);
            }
        }

        /**
         * The default widths: noise 100, G 128, 64, 32, D 32, 64, dropout 0.3.
         *
         * @return the default spec
         */
        public static Spec standard() { return new Spec(100, 128, 64, 32, 32, 64, 0.3f); }
    }

    private final Backend backend;
    private final Spec spec;
    private final Sequential generator, discriminator;
    private boolean discriminated;
    /** Held by a trainer for each whole step, so a second thread training it at the same time fails fast (see {@link InUse}). */
    final InUse trainingUse = new InUse("ConditionalDcgan");

    /**
     * The model with the {@link Spec#standard} widths.
     *
     * @param backend the backend of every layer
     * @param seed    the seed of the weight initialization and the dropout masks
     */
    public ConditionalDcgan(Backend backend, long seed) { this(backend, Spec.standard(), seed); }

    /**
     * The model with the given widths.
     *
     * @param backend the backend of every layer
     * @param s       the widths and dropout
     * @param seed    the seed of the weight initialization and the dropout masks
     */
    public ConditionalDcgan(Backend backend, Spec s, long seed) {
        this.backend = backend;
        this.spec = s;
        var init = new Init(seed);
        generator = new Sequential(backend)
                .add("fc", new Linear(backend, s.latent() + Labels.DIGITS, 7 * 7 * s.c0(), false, init))
                .add("bn0", new BatchNorm1d(backend, 7 * 7 * s.c0()))
                .add("act0", new LeakyReLU(backend, LEAK))
                .add("reshape", new Reshape(backend, s.c0(), 7, 7))
                .add("conv1", new ConvTranspose2d(backend, s.c0(), s.c1(), 5, 1, 2, 0, false, init))
                .add("bn1", new BatchNorm2d(backend, s.c1()))
                .add("act1", new LeakyReLU(backend, LEAK))
                .add("conv2", new ConvTranspose2d(backend, s.c1(), s.c2(), 5, 2, 2, 1, false, init))
                .add("bn2", new BatchNorm2d(backend, s.c2()))
                .add("act2", new LeakyReLU(backend, LEAK))
                .add("conv3", new ConvTranspose2d(backend, s.c2(), 1, 5, 2, 2, 1, false, init))
                .add("tanh", new Tanh(backend))
                .fuseActivations();
        discriminator = new Sequential(backend)
                .add("conv1", new Conv2d(backend, 1 + Labels.DIGITS, s.d1(), 5, 2, 2, true, init))
                .add("act1", new LeakyReLU(backend, LEAK))
                .add("drop1", new Dropout(backend, s.dropout(), init.derivedSeed()))
                .add("conv2", new Conv2d(backend, s.d1(), s.d2(), 5, 2, 2, true, init))
                .add("act2", new LeakyReLU(backend, LEAK))
                .add("drop2", new Dropout(backend, s.dropout(), init.derivedSeed()))
                .add("flatten", new Flatten(backend))
                .add("fc", new Linear(backend, 7 * 7 * s.d2(), 1, true, init))
                .fuseActivations();
    }

    /**
     * The widths the model was built with.
     *
     * @return the spec
     */
    public Spec spec() { return spec; }

    @Override public String kind() { return "cgan"; }

    @Override public Backend backend() { return backend; }

    @Override public int latent() { return spec.latent(); }

    @Override public GanLoss loss() { return GanLoss.BCE; }

    @Override public boolean conditional() { return true; }

    @Override public boolean discriminatorNormalizesBatches() { return false; }

    @Override public float low() { return -1f; }

    /** concat(z, one-hot) (N, latent + 10) -> images; the labels are concatenated by {@link #generate}. */
    @Override public Module generator() { return generator; }

    /** images with label planes (N, 11, 28, 28) -> logits (N, 1); the planes are appended by {@link #discriminate}. */
    @Override public Module discriminator() { return discriminator; }

    private static void checkLabels(String op, Tensor t, int[] labels) {
        if (labels == null || labels.length != t.dim(0)) {
            throw new IllegalArgumentException("ConditionalDcgan." + op + ": " + (labels == null ? "no" : labels.length) + " labels for a batch " + t.shape());
        }
    }

    /**
     * A batch's labels as the networks take them, on the device: one-hot rows (N, 10) for G and
     * label planes (N, 10, 28, 28) for D. Built once per training step (or held by a captured
     * graph, which refreshes them from the host before each replay).
     *
     * @param oneHot the one-hot rows (N, 10)
     * @param planes the label planes (N, 10, 28, 28)
     */
    record DeviceLabels(Tensor oneHot, Tensor planes) {
        static DeviceLabels of(Backend backend, int[] labels) {
            return new DeviceLabels(Labels.oneHot(backend, labels, Labels.DIGITS), Labels.planes(backend, labels, Labels.DIGITS, 28, 28));
        }

        int size() { return oneHot.dim(0); }
    }

    @Override public Tensor generate(Tensor z, int[] labels) {
        checkLabels("generate", z, labels);
        return generate(z, Labels.oneHot(backend, labels, Labels.DIGITS));
    }

    /** G on concat(z, oneHot): the training path, labels already on the device. */
    Tensor generate(Tensor z, Tensor oneHot) {
        return generator.forward(backend.concat(List.of(z, oneHot)));
    }

    /** The gradient of z: the first {@code latent} columns of the concatenated input's gradient. */
    @Override public Tensor generatorBackward(Tensor dImages) {
        return backend.slice(generator.backward(dImages), 0, spec.latent());
    }

    @Override public Tensor discriminate(Tensor images, int[] labels) {
        checkLabels("discriminate", images, labels);
        return discriminate(images, Labels.planes(backend, labels, Labels.DIGITS, images.dim(2), images.dim(3)));
    }

    /** D on the image with its label planes appended as channels: the training path, planes already on the device. */
    Tensor discriminate(Tensor images, Tensor planes) {
        if (planes.dim(0) != images.dim(0)) {
            throw new IllegalArgumentException("ConditionalDcgan.discriminate: label planes " + planes.shape() + " for images " + images.shape());
        }
        discriminated = true;
        return discriminator.forward(backend.concat(List.of(images, planes)));
    }

    /** The gradient of the image: channel 0 of the input's gradient. */
    @Override public Tensor discriminatorBackward(Tensor dOut) {
        if (!discriminated) throw new IllegalStateException("ConditionalDcgan.discriminatorBackward without a forward");
        return backend.slice(discriminator.backward(dOut), 0, 1);
    }

    @Override public Map<String, Tensor> stateDict() { return GanState.stateDict(generator, discriminator); }

    @Override public void loadStateDict(Map<String, Tensor> state) { GanState.load("ConditionalDcgan", generator, discriminator, state); }

    /** n images cycling through the digits 0..9 (so a 10-column grid has one digit per column). */
    @Override public Tensor sample(int n, long seed) {
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % Labels.DIGITS;
        return sample(labels, seed);
    }

    /**
     * One image per label from z = randn (n, latent) at (seed, offset 0), through the generator's
     * eval-mode path ({@link Module#infer}: nothing cached, the training mode untouched), so threads
     * may sample at once; not while another thread trains the model.
     *
     * @param labels the digit of each image, at least one
     * @param seed   the seed of the noise
     * @return the images (n, 1, 28, 28)
     */
    public Tensor sample(int[] labels, long seed) {
        if (labels == null || labels.length < 1) throw new IllegalArgumentException("ConditionalDcgan.sample: no labels");
        trainingUse.checkNotTrainedElsewhere("ConditionalDcgan.sample");
        return Exclusive.call(backend, () -> {
            try (var scope = TensorScope.open()) {
                var z = backend.randn(Shape.of(labels.length, spec.latent()), seed, 0);
                return scope.keep(generator.infer(backend.concat(List.of(z, Labels.oneHot(backend, labels, Labels.DIGITS)))));
            }
        });
    }
}
