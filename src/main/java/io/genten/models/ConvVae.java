package io.genten.models;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.nn.BatchNorm2d;
import io.genten.nn.Conv2d;
import io.genten.nn.ConvTranspose2d;
import io.genten.nn.Flatten;
import io.genten.nn.Init;
import io.genten.nn.Linear;
import io.genten.nn.Module;
import io.genten.nn.ReLU;
import io.genten.nn.Reshape;
import io.genten.nn.Sequential;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * The convolutional VAE of DESIGN.md ("Models"), latent 32. The layers are registered under their
 * checkpoint names directly on this module (enc1, bn1, ..., dec3, no prefix); the encoder and
 * decoder pipelines only run them (their extra layers, ReLU, Flatten, Reshape, have no mode or state). Build outside any step scope.
 */
public final class ConvVae extends Module implements GenerativeModel {
    /** The latent size. */
    public static final int LATENT = 32;

    /**
     * The outputs of a training forward pass.
     *
     * @param logits the decoder's logits (N, 1, 28, 28)
     * @param mu     the encoder's means (N, 32)
     * @param logvar the encoder's log variances (N, 32)
     * @param z      the sampled codes mu + exp(logvar / 2) * eps
     * @param eps    the standard normal noise used
     */
    public record Output(Tensor logits, Tensor mu, Tensor logvar, Tensor z, Tensor eps) {}

    private final Sequential encoder, decoder;
    private final Linear muLayer, logvarLayer;
    private final long noiseSeed;
    private long noiseOffset;
    private Output last;
    /** Held by a trainer for each whole step, so a second thread training it at the same time fails fast (see {@link InUse}). */
    final InUse trainingUse = new InUse("ConvVae");

    /**
     * A VAE with PyTorch's initialization drawn from Philox streams of {@code seed} (the noise
     * stream is derived from it too). Build outside any step scope.
     *
     * @param backend where the weights live and the ops run
     * @param seed    the initialization seed
     */
    public ConvVae(Backend backend, long seed) {
        super(backend);
        var init = new Init(seed);
        var enc1 = registerModule("enc1", new Conv2d(backend, 1, 32, 3, 2, 1, true, init));
        var bn1 = registerModule("bn1", new BatchNorm2d(backend, 32));
        var enc2 = registerModule("enc2", new Conv2d(backend, 32, 64, 3, 2, 1, true, init));
        var bn2 = registerModule("bn2", new BatchNorm2d(backend, 64));
        muLayer = registerModule("mu", new Linear(backend, 64 * 7 * 7, LATENT, true, init));
        logvarLayer = registerModule("logvar", new Linear(backend, 64 * 7 * 7, LATENT, true, init));
        var dec0 = registerModule("dec0", new Linear(backend, LATENT, 64 * 7 * 7, true, init));
        var dec1 = registerModule("dec1", new ConvTranspose2d(backend, 64, 64, 3, 2, 1, 1, true, init));
        var bn3 = registerModule("bn3", new BatchNorm2d(backend, 64));
        var dec2 = registerModule("dec2", new ConvTranspose2d(backend, 64, 32, 3, 2, 1, 1, true, init));
        var bn4 = registerModule("bn4", new BatchNorm2d(backend, 32));
        var dec3 = registerModule("dec3", new Conv2d(backend, 32, 1, 3, 1, 1, true, init));
        noiseSeed = init.derivedSeed();
        // the pipelines are not registered: their layers already are, under the names above
        encoder = new Sequential(backend)
                .add("enc1", enc1).add("bn1", bn1).add("relu1", new ReLU(backend))
                .add("enc2", enc2).add("bn2", bn2).add("relu2", new ReLU(backend))
                .add("flatten", new Flatten(backend))
                .fuseActivations();
        decoder = new Sequential(backend)
                .add("dec0", dec0).add("relu0", new ReLU(backend)).add("reshape", new Reshape(backend, 64, 7, 7))
                .add("dec1", dec1).add("bn3", bn3).add("relu3", new ReLU(backend))
                .add("dec2", dec2).add("bn4", bn4).add("relu4", new ReLU(backend))
                .add("dec3", dec3)
                .fuseActivations();
    }

    @Override public String kind() { return "vae"; }

    /**
     * Training forward with noise eps from this model's Philox stream (the offset advances each call).
     *
     * @param x images (N, 1, 28, 28) in [0, 1]
     * @return the outputs, kept for {@link #backwardVae}
     */
    public Output forwardVae(Tensor x) {
        var h = encoder.forward(x);
        var mu = muLayer.forward(h);
        var logvar = logvarLayer.forward(h);
        var r = backend.reparamForward(mu, logvar, noiseSeed, noiseOffset++);
        return finish(mu, logvar, r.z(), r.eps());
    }

    /**
     * Training forward with the given noise: for tests against fixed noise.
     *
     * @param x   images (N, 1, 28, 28) in [0, 1]
     * @param eps standard normal noise (N, 32)
     * @return the outputs, kept for {@link #backwardVae}
     */
    public Output forwardVae(Tensor x, Tensor eps) {
        var h = encoder.forward(x);
        var mu = muLayer.forward(h);
        var logvar = logvarLayer.forward(h);
        var z = backend.reparamForward(mu, logvar, eps);
        return finish(mu, logvar, z, eps);
    }

    private Output finish(Tensor mu, Tensor logvar, Tensor z, Tensor eps) {
        var logits = decoder.forward(z);
        last = new Output(logits, mu, logvar, z, eps);
        return last;
    }

    /**
     * Backward of the last forward from the logits' gradient, adding {@code klScale} times the
     * gradient of the summed KL term at mu and logvar (one fused backend op).
     *
     * @param dlogits the loss gradient with respect to the logits
     * @param klScale the weight of the KL term's gradient (e.g. 1 / N)
     * @return the gradient with respect to the input images
     */
    public Tensor backwardVae(Tensor dlogits, float klScale) {
        return encoder.backward(encoderOutputGradient(dlogits, klScale));
    }

    /**
     * {@link #backwardVae} without the gradient with respect to the input images, which training
     * does not need (the encoder's first conv skips its backward-data op, as PyTorch does for an
     * input that does not require a gradient).
     *
     * @param dlogits the loss gradient with respect to the logits
     * @param klScale the weight of the KL term's gradient (e.g. 1 / N)
     */
    public void backwardVaeParameters(Tensor dlogits, float klScale) {
        encoder.backwardParameters(encoderOutputGradient(dlogits, klScale));
    }

    /** The decoder's, the reparameterization's and the two heads' backward: the gradient at the encoder's output. */
    private Tensor encoderOutputGradient(Tensor dlogits, float klScale) {
        if (last == null) throw new IllegalStateException("ConvVae.backward called without a forward before it");
        var dz = decoder.backward(dlogits);
        var g = backend.reparamBackward(dz, last.mu(), last.logvar(), last.eps(), klScale);
        var dhMu = muLayer.backward(g.dmu());
        var dhLogvar = logvarLayer.backward(g.dlogvar());
        return backend.add(dhMu, dhLogvar);
    }

    /**
     * The outputs of the last forward (alive until the scope they were made in closes).
     *
     * @return the last training forward's outputs
     * @throws IllegalStateException before any forward
     */
    public Output lastOutput() {
        if (last == null) throw new IllegalStateException("ConvVae: no forward yet");
        return last;
    }

    /** Module view: x -> logits through a sampled z. */
    @Override public Tensor forward(Tensor x) { return forwardVae(x).logits(); }

    /** Module view: the gradient of the logits only (no KL term). */
    @Override public Tensor backward(Tensor dy) { return backwardVae(dy, 0f); }

    // ---- inference: eval-mode, deterministic, nothing cached, safe from many threads -------------

    /**
     * The Gaussian the encoder puts on each image's latent code. Closing it closes both tensors.
     *
     * @param mu     the means, (N, 32)
     * @param logvar the log variances, (N, 32)
     */
    public record Encoding(Tensor mu, Tensor logvar) implements AutoCloseable {
        /** Closes {@code mu} and {@code logvar}. */
        @Override public void close() {
            mu.close();
            logvar.close();
        }
    }

    /**
     * Encodes images with the encoder in eval mode (running statistics). Nothing is cached in the
     * model: safe from many threads at once (see {@link Module}).
     *
     * @param x images (N, 1, 28, 28) with values in [0, 1], on this model's device; not closed
     * @return mu and logvar, (N, 32) each, owned by the caller
     * @throws IllegalArgumentException when {@code x} is not (N, 1, 28, 28)
     */
    public Encoding encode(Tensor x) {
        checkImages("ConvVae.encode", x);
        trainingUse.checkNotTrainedElsewhere("ConvVae.encode");
        return Exclusive.call(backend, () -> {
            try (var h = encoder.infer(x)) {
                return new Encoding(muLayer.infer(h), logvarLayer.infer(h));
            }
        });
    }

    /**
     * Decodes latent codes to images: sigmoid(decoder(z)), the mean of the pixels' Bernoulli, in [0, 1].
     *
     * @param z latent codes (N, 32), on this model's device; not closed
     * @return images (N, 1, 28, 28), owned by the caller
     * @throws IllegalArgumentException when {@code z} is not (N, 32)
     */
    public Tensor decode(Tensor z) {
        if (z.rank() != 2 || z.dim(1) != LATENT) throw new IllegalArgumentException("ConvVae.decode: z " + z.shape() + " is not (N, " + LATENT + ")");
        trainingUse.checkNotTrainedElsewhere("ConvVae.decode");
        return Exclusive.call(backend, () -> {
            try (var logits = decoder.infer(z)) {
                return backend.activationForward(Activation.SIGMOID, logits);
            }
        });
    }

    /**
     * The deterministic reconstruction decode(mu(x)): no noise is drawn, so the same input gives
     * the same output, bit for bit, on every call and from every thread.
     *
     * @param x images (N, 1, 28, 28) in [0, 1], on this model's device; not closed
     * @return reconstructions (N, 1, 28, 28) in [0, 1], owned by the caller
     */
    public Tensor reconstruct(Tensor x) {
        try (var code = encode(x)) {
            return decode(code.mu());
        }
    }

    /**
     * Module view of inference: the decoder's logits at mu(x), the deterministic counterpart of
     * {@link #forward}.
     *
     * @param x images (N, 1, 28, 28)
     * @return logits (N, 1, 28, 28)
     */
    @Override public Tensor infer(Tensor x) {
        checkImages("ConvVae.infer", x);
        trainingUse.checkNotTrainedElsewhere("ConvVae.infer");
        return Exclusive.call(backend, () -> {
            try (var h = encoder.infer(x); var mu = muLayer.infer(h)) {
                return decoder.infer(mu);
            }
        });
    }

    /** sigmoid(decoder(z)) for z = randn (n, 32) from (seed, offset 0): n new images in [0, 1]. */
    @Override public Tensor sample(int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("ConvVae.sample: n " + n + " must be positive");
        return Exclusive.call(backend, () -> {
            try (var z = backend.randn(Shape.of(n, LATENT), seed, 0)) {
                return decode(z);
            }
        });
    }

    private static void checkImages(String op, Tensor x) {
        if (x.rank() != 4 || x.dim(1) != 1 || x.dim(2) != 28 || x.dim(3) != 28) {
            throw new IllegalArgumentException(op + ": x " + x.shape() + " is not (N, 1, 28, 28)");
        }
    }

    /**
     * The offset of the next training noise draw (to resume a run).
     *
     * @return the Philox offset
     */
    public long noiseOffset() { return noiseOffset; }

    /**
     * Sets the offset of the next training noise draw (to resume a run).
     *
     * @param offset the Philox offset
     */
    public void setNoiseOffset(long offset) { this.noiseOffset = offset; }
}
