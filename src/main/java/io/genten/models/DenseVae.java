package io.genten.models;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
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
 * The dense VAE with a 2-D latent of the seed documents ("vae2d"), kept for its pictures (the latent
 * manifold and the scatter of the digits' means): encoder 784 -> fc1 16 -> ReLU -> mu 2 and logvar
 * 2; decoder 2 -> dec 784 (logits; sigmoid gives the image in [0, 1]). The decoder is one linear
 * layer, as sketched: its images are sigmoids of a plane of pixel vectors, so it draws smooth
 * prototypes rather than sharp digits. Other sizes (tests) through the four-argument constructor.
 * State-dict names: fc1.weight, mu.bias, dec.weight, ... Build outside any step scope.
 */
public final class DenseVae extends Module implements GenerativeModel {
    /** Pixels of a 28x28 image, and the default hidden and latent sizes of the seed documents. */
    public static final int PIXELS = 28 * 28, HIDDEN = 16, LATENT = 2;

    /**
     * What a VAE forward produced.
     *
     * @param logits the decoder's logits (N, 1, 28, 28); their sigmoid is the reconstruction
     * @param mu     the latent means (N, latent)
     * @param logvar the latent log-variances (N, latent)
     * @param z      the sampled latents {@code mu + exp(logvar / 2) * eps} (N, latent)
     * @param eps    the standard normal noise used (N, latent)
     */
    public record Output(Tensor logits, Tensor mu, Tensor logvar, Tensor z, Tensor eps) {}

    private final int latent;
    private final Sequential encoder, decoder;
    private final Linear muLayer, logvarLayer;
    private final long noiseSeed;
    private long noiseOffset;
    private Output last;
    /** Held by a trainer for each whole step, so a second thread training it at the same time fails fast (see {@link InUse}). */
    final InUse trainingUse = new InUse("DenseVae");

    /**
     * The VAE of the seed documents: hidden 16, latent 2.
     *
     * @param backend the backend of every layer
     * @param seed    the seed of the weight initialization and the noise stream
     */
    public DenseVae(Backend backend, long seed) { this(backend, HIDDEN, LATENT, seed); }

    /**
     * A VAE of other sizes.
     *
     * @param backend the backend of every layer
     * @param hidden  the encoder's hidden width, at least 1
     * @param latent  the latent size, at least 1
     * @param seed    the seed of the weight initialization and the noise stream
     */
    public DenseVae(Backend backend, int hidden, int latent, long seed) {
        super(backend);
        if (hidden < 1 || latent < 1) throw new IllegalArgumentException("DenseVae: hidden " + hidden + " and latent " + latent + " must be positive");
        this.latent = latent;
        var init = new Init(seed);
        var fc1 = registerModule("fc1", new Linear(backend, PIXELS, hidden, true, init));
        muLayer = registerModule("mu", new Linear(backend, hidden, latent, true, init));
        logvarLayer = registerModule("logvar", new Linear(backend, hidden, latent, true, init));
        var dec = registerModule("dec", new Linear(backend, latent, PIXELS, true, init));
        noiseSeed = init.derivedSeed();
        // pipelines over the registered layers (not registered themselves: names stay fc1, dec, ...)
        encoder = new Sequential(backend).add("flatten", new Flatten(backend)).add("fc1", fc1).add("relu1", new ReLU(backend));
        decoder = new Sequential(backend).add("dec", dec).add("reshape", new Reshape(backend, 1, 28, 28));
    }

    @Override public String kind() { return "vae2d"; }

    /**
     * The latent size.
     *
     * @return the latent size
     */
    public int latent() { return latent; }

    /**
     * Forward with noise from this model's Philox stream (the offset advances each call).
     *
     * @param x the images (N, 1, 28, 28)
     * @return the logits, latent means, log-variances, latents and noise
     */
    public Output forwardVae(Tensor x) {
        var h = encoder.forward(x);
        var mu = muLayer.forward(h);
        var logvar = logvarLayer.forward(h);
        var r = backend.reparamForward(mu, logvar, noiseSeed, noiseOffset++);
        return finish(mu, logvar, r.z(), r.eps());
    }

    /**
     * Forward with the given noise eps (N, latent).
     *
     * @param x   the images (N, 1, 28, 28)
     * @param eps the standard normal noise (N, latent)
     * @return the logits, latent means, log-variances, latents and noise
     */
    public Output forwardVae(Tensor x, Tensor eps) {
        var h = encoder.forward(x);
        var mu = muLayer.forward(h);
        var logvar = logvarLayer.forward(h);
        return finish(mu, logvar, backend.reparamForward(mu, logvar, eps), eps);
    }

    private Output finish(Tensor mu, Tensor logvar, Tensor z, Tensor eps) {
        last = new Output(decoder.forward(z), mu, logvar, z, eps);
        return last;
    }

    /**
     * Backward of the last forward from the logits' gradient plus {@code klScale} times the KL gradient; returns dx.
     *
     * @param dlogits the gradient of the loss w.r.t. the logits
     * @param klScale the weight of the KL divergence's gradient (0 for none)
     * @return the gradient w.r.t. the input images
     */
    public Tensor backwardVae(Tensor dlogits, float klScale) {
        return encoder.backward(encoderOutputGradient(dlogits, klScale));
    }

    /**
     * {@link #backwardVae} without the gradient with respect to the input images (the encoder's
     * first layer skips its backward-data op): what training needs.
     *
     * @param dlogits the gradient of the loss w.r.t. the logits
     * @param klScale the weight of the KL divergence's gradient (0 for none)
     */
    public void backwardVaeParameters(Tensor dlogits, float klScale) {
        encoder.backwardParameters(encoderOutputGradient(dlogits, klScale));
    }

    private Tensor encoderOutputGradient(Tensor dlogits, float klScale) {
        if (last == null) throw new IllegalStateException("DenseVae.backward called without a forward before it");
        var dz = decoder.backward(dlogits);
        var g = backend.reparamBackward(dz, last.mu(), last.logvar(), last.eps(), klScale);
        return backend.add(muLayer.backward(g.dmu()), logvarLayer.backward(g.dlogvar()));
    }

    @Override public Tensor forward(Tensor x) { return forwardVae(x).logits(); }

    @Override public Tensor backward(Tensor dy) { return backwardVae(dy, 0f); }

    /**
     * The latent means (N, latent) of images (N, 1, 28, 28), in eval mode.
     *
     * @param x the images (N, 1, 28, 28)
     * @return the latent means (N, latent)
     */
    public Tensor encodeMean(Tensor x) {
        return inEval("DenseVae.encodeMean", () -> muLayer.infer(encoder.infer(x)));
    }

    /**
     * sigmoid(decoder(z)) for given z (N, latent): images in [0, 1].
     *
     * @param z the latents (N, latent)
     * @return the images (N, 1, 28, 28) in [0, 1]
     */
    public Tensor decode(Tensor z) {
        return inEval("DenseVae.decode", () -> backend.activationForward(Activation.SIGMOID, decoder.infer(z)));
    }

    /**
     * sigmoid(decoder(mu(x))): the mean reconstruction, in [0, 1].
     *
     * @param x the images (N, 1, 28, 28)
     * @return the reconstructions (N, 1, 28, 28) in [0, 1]
     */
    public Tensor reconstruct(Tensor x) {
        return inEval("DenseVae.reconstruct", () -> backend.activationForward(Activation.SIGMOID, decoder.infer(muLayer.infer(encoder.infer(x)))));
    }

    @Override public Tensor sample(int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("DenseVae.sample: n " + n + " must be positive");
        return inEval("DenseVae.sample", () -> backend.activationForward(Activation.SIGMOID, decoder.infer(backend.randn(Shape.of(n, latent), seed, 0))));
    }

    /**
     * An inference call: the layers' eval-mode paths ({@link Module#infer}: nothing cached, the
     * training mode untouched), so threads may infer at once; not while another thread trains.
     */
    private Tensor inEval(String op, java.util.function.Supplier<Tensor> body) {
        trainingUse.checkNotTrainedElsewhere(op);
        return Exclusive.call(backend, () -> {
            try (var scope = TensorScope.open()) {
                return scope.keep(body.get());
            }
        });
    }

    /**
     * The offset of the next forward's noise in this model's Philox stream.
     *
     * @return the noise offset
     */
    public long noiseOffset() { return noiseOffset; }

    /**
     * Sets the offset of the next forward's noise (resuming a run).
     *
     * @param offset the noise offset
     */
    public void setNoiseOffset(long offset) { this.noiseOffset = offset; }
}
