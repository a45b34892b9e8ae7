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
import io.genten.tensor.TensorScope;

/**
 * The convolutional VAE of DESIGN.md ("Models"), latent 32. The layers are registered under their
 * checkpoint names directly on this module (enc1, bn1, ..., dec3, no prefix); the encoder and
 * decoder pipelines only run them (their extra layers, ReLU, Flatten, Reshape, have no mode or state). Build outside any step scope.
 */
public final class ConvVae extends Module implements GenerativeModel {
    public static final int LATENT = 32;

    /** The outputs of a forward pass: decoder logits, the Gaussian's parameters, z and the noise. */
    public record Output(Tensor logits, Tensor mu, Tensor logvar, Tensor z, Tensor eps) {}

    private final Sequential encoder, decoder;
    private final Linear muLayer, logvarLayer;
    private final long noiseSeed;
    private long noiseOffset;
    private Output last;
    /** Held by a trainer for each whole step, so a second thread training it at the same time fails fast (see {@link InUse}). */
    final InUse trainingUse = new InUse("ConvVae");

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

    /** Forward with noise eps from this model's Philox stream (the offset advances each call). */
    public Output forwardVae(Tensor x) {
        var h = encoder.forward(x);
        var mu = muLayer.forward(h);
        var logvar = logvarLayer.forward(h);
        var r = backend.reparamForward(mu, logvar, noiseSeed, noiseOffset++);
        return finish(mu, logvar, r.z(), r.eps());
    }

    /** Forward with the given noise eps (N, 32): for tests against fixed noise. */
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
     * gradient of the summed KL term at mu and logvar (one fused backend op); returns dx.
     */
    public Tensor backwardVae(Tensor dlogits, float klScale) {
        if (last == null) throw new IllegalStateException("ConvVae.backward called without a forward before it");
        var dz = decoder.backward(dlogits);
        var g = backend.reparamBackward(dz, last.mu(), last.logvar(), last.eps(), klScale);
        var dhMu = muLayer.backward(g.dmu());
        var dhLogvar = logvarLayer.backward(g.dlogvar());
        var dh = backend.add(dhMu, dhLogvar);
        return encoder.backward(dh);
    }

    /** The outputs of the last forward (alive until the scope they were made in closes). */
    public Output lastOutput() {
        if (last == null) throw new IllegalStateException("ConvVae: no forward yet");
        return last;
    }

    /** Module view: x -> logits through a sampled z. */
    @Override public Tensor forward(Tensor x) { return forwardVae(x).logits(); }

    /** Module view: the gradient of the logits only (no KL term). */
    @Override public Tensor backward(Tensor dy) { return backwardVae(dy, 0f); }

    /** The mean reconstruction sigmoid(decoder(mu)) in eval mode, in [0, 1]. */
    public Tensor reconstruct(Tensor x) {
        return inEval(() -> {
            var mu = muLayer.forward(encoder.forward(x));
            return backend.activationForward(Activation.SIGMOID, decoder.forward(mu));
        });
    }

    /** sigmoid(decoder(z)) for z = randn (n, 32) from (seed, offset 0), in eval mode; in [0, 1]. */
    @Override public Tensor sample(int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("ConvVae.sample: n " + n + " must be positive");
        return inEval(() -> {
            var z = backend.randn(Shape.of(n, LATENT), seed, 0);
            return backend.activationForward(Activation.SIGMOID, decoder.forward(z));
        });
    }

    private Tensor inEval(java.util.function.Supplier<Tensor> body) {
        boolean wasTraining = isTraining();
        eval();
        try (var scope = TensorScope.open()) {
                return scope.keep(body.get());
        } finally {
            if (wasTraining) train();
            }
    }

    /** The offset of the next training noise draw (to resume a run). */
    public long noiseOffset() { return noiseOffset; }

    public void setNoiseOffset(long offset) { this.noiseOffset = offset; }
}
