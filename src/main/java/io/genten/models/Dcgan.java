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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The DCGAN of the TensorFlow tutorial (DESIGN.md, "Models"): a generator from z(100) to a 1x28x28
 * image in [-1, 1] and a discriminator from an image to one logit. Build outside any step scope.
 */
public final class Dcgan implements GenerativeModel {
    /** The latent size of the generator's input. */
    public static final int LATENT = 100;
    /** The LeakyReLU slope of both networks. */
    public static final float LEAK = 0.3f;
    /** The discriminator's default dropout rate. */
    public static final float DROPOUT = 0.3f;
    /** Checkpoint name prefixes: one file holds both networks. */
    public static final String GENERATOR_PREFIX = "generator.", DISCRIMINATOR_PREFIX = "discriminator.";

    private final Backend backend;
    /** Held by a trainer for each whole step, so a second thread training it at the same time fails fast (see {@link InUse}). */
    final InUse trainingUse = new InUse("Dcgan");
    private final Sequential generator;
    private final Sequential discriminator;

    /**
     * A DCGAN with PyTorch's initialization from Philox streams of {@code seed} and the default dropout.
     * Build outside any step scope.
     *
     * @param backend where the weights live and the ops run
     * @param seed    the initialization seed
     */
    public Dcgan(Backend backend, long seed) {
        this(backend, seed, DROPOUT);
    }

    /**
     * With another dropout rate in the discriminator (0 turns it off).
     *
     * @param backend where the weights live and the ops run
     * @param seed    the initialization seed
     * @param dropout the discriminator's dropout rate, in [0, 1)
     */
    public Dcgan(Backend backend, long seed, float dropout) {
        this.backend = backend;
        var init = new Init(seed);
        generator = new Sequential(backend)
                .add("fc", new Linear(backend, LATENT, 7 * 7 * 256, false, init))
                .add("bn0", new BatchNorm1d(backend, 7 * 7 * 256))
                .add("act0", new LeakyReLU(backend, LEAK))
                .add("reshape", new Reshape(backend, 256, 7, 7))
                .add("conv1", new ConvTranspose2d(backend, 256, 128, 5, 1, 2, 0, false, init))
                .add("bn1", new BatchNorm2d(backend, 128))
                .add("act1", new LeakyReLU(backend, LEAK))
                .add("conv2", new ConvTranspose2d(backend, 128, 64, 5, 2, 2, 1, false, init))
                .add("bn2", new BatchNorm2d(backend, 64))
                .add("act2", new LeakyReLU(backend, LEAK))
                .add("conv3", new ConvTranspose2d(backend, 64, 1, 5, 2, 2, 1, false, init))
                .add("tanh", new Tanh(backend))
                .fuseActivations();
        discriminator = new Sequential(backend)
                .add("conv1", new Conv2d(backend, 1, 64, 5, 2, 2, true, init))
                .add("act1", new LeakyReLU(backend, LEAK))
                .add("drop1", new Dropout(backend, dropout, init.derivedSeed()))
                .add("conv2", new Conv2d(backend, 64, 128, 5, 2, 2, true, init))
                .add("act2", new LeakyReLU(backend, LEAK))
                .add("drop2", new Dropout(backend, dropout, init.derivedSeed()))
                .add("flatten", new Flatten(backend))
                .add("fc", new Linear(backend, 7 * 7 * 128, 1, true, init))
                .fuseActivations();
    }

    @Override public String kind() { return "dcgan"; }

    @Override public Backend backend() { return backend; }

    /**
     * The generator: z (N, 100) to images (N, 1, 28, 28) in [-1, 1]; for training (inference: {@link #generate}).
     *
     * @return the generator network
     */
    public Module generator() { return generator; }

    /**
     * The discriminator: images (N, 1, 28, 28) to logits (N, 1); for training (inference: {@link #discriminate}).
     *
     * @return the discriminator network
     */
    public Module discriminator() { return discriminator; }

    /** Both networks, names prefixed with "generator." and "discriminator.". */
    @Override public Map<String, Tensor> stateDict() {
        var out = new LinkedHashMap<String, Tensor>();
        generator.stateDict().forEach((k, v) -> out.put(GENERATOR_PREFIX + k, v));
        discriminator.stateDict().forEach((k, v) -> out.put(DISCRIMINATOR_PREFIX + k, v));
        return out;
    }

    @Override public void loadStateDict(Map<String, Tensor> state) {
        var g = new LinkedHashMap<String, Tensor>();
        var d = new LinkedHashMap<String, Tensor>();
        var stray = new java.util.TreeSet<String>();
        state.forEach((k, v) -> {
            if (k.startsWith(GENERATOR_PREFIX)) g.put(k.substring(GENERATOR_PREFIX.length()), v);
            else if (k.startsWith(DISCRIMINATOR_PREFIX)) d.put(k.substring(DISCRIMINATOR_PREFIX.length()), v);
            else stray.add(k);
        });
        if (!stray.isEmpty()) throw new IllegalArgumentException("Dcgan.loadStateDict: names without a generator./discriminator. prefix " + stray);
        // check both before changing either, so a bad discriminator leaves the generator as it was
        var gMissing = validate(generator, g);
        var dMissing = validate(discriminator, d);
        if (gMissing != null || dMissing != null) {
            throw new IllegalArgumentException("Dcgan.loadStateDict: " + (gMissing == null ? "" : "generator: " + gMissing + " ") + (dMissing == null ? "" : "discriminator: " + dMissing));
        }
        generator.loadStateDict(g);
        discriminator.loadStateDict(d);
    }

    private static String validate(Module m, Map<String, Tensor> state) {
        var mine = m.stateDict();
        var problems = new java.util.ArrayList<String>();
        for (var e : mine.entrySet()) {
            var t = state.get(e.getKey());
            if (t == null) problems.add("missing " + e.getKey());
            else if (!t.shape().equals(e.getValue().shape())) problems.add(e.getKey() + " has shape " + t.shape() + " (expected " + e.getValue().shape() + ")");
        }
        for (var k : state.keySet()) if (!mine.containsKey(k)) problems.add("unexpected " + k);
        return problems.isEmpty() ? null : String.join(", ", problems);
    }

    /**
     * Runs the generator in eval mode (running statistics) without caching anything: safe from many
     * threads at once (see {@link Module}).
     *
     * @param z latent codes (N, 100), on this model's device; not closed
     * @return images (N, 1, 28, 28) in [-1, 1], owned by the caller
     * @throws IllegalArgumentException when {@code z} is not (N, 100)
     */
    public Tensor generate(Tensor z) {
        if (z.rank() != 2 || z.dim(1) != LATENT) throw new IllegalArgumentException("Dcgan.generate: z " + z.shape() + " is not (N, " + LATENT + ")");
        trainingUse.checkNotTrainedElsewhere("Dcgan.generate");
        return Exclusive.call(backend, () -> generator.infer(z));
    }

    /**
     * The discriminator's logits in eval mode (no dropout), without caching anything.
     *
     * @param images (N, 1, 28, 28) in [-1, 1], on this model's device; not closed
     * @return logits (N, 1): positive for "real", owned by the caller
     */
    public Tensor discriminate(Tensor images) {
        if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != 28 || images.dim(3) != 28) {
            throw new IllegalArgumentException("Dcgan.discriminate: images " + images.shape() + " is not (N, 1, 28, 28)");
        }
        trainingUse.checkNotTrainedElsewhere("Dcgan.discriminate");
        return Exclusive.call(backend, () -> discriminator.infer(images));
    }

    /** {@link #generate} of z = randn (n, 100) from (seed, offset 0): n images in [-1, 1]. */
    @Override public Tensor sample(int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("Dcgan.sample: n " + n + " must be positive");
        return Exclusive.call(backend, () -> {
            try (var z = backend.randn(Shape.of(n, LATENT), seed, 0)) {
                return generate(z);
            }
        });
    }

    /** Frees both networks' parameters and buffers (not the backend). Idempotent. */
    @Override public void close() {
        generator.close();
        discriminator.close();
    }
}
