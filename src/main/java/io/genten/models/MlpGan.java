package io.genten.models;

import io.genten.backend.Backend;
import io.genten.nn.BatchNorm1d;
import io.genten.nn.Flatten;
import io.genten.nn.Init;
import io.genten.nn.LeakyReLU;
import io.genten.nn.Linear;
import io.genten.nn.Module;
import io.genten.nn.ReLU;
import io.genten.nn.Reshape;
import io.genten.nn.Sequential;
import io.genten.nn.Sigmoid;
import io.genten.nn.Tanh;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * The fully connected GANs of the seed documents, on 1x28x28 images:
 *
 * <ul>
 *   <li>{@link #simple} ("mlpgan"): G z(100) -> fc1 128 -> ReLU -> fc2 784 -> sigmoid (pixels in
 *       [0, 1]); D 784 -> fc1 128 -> ReLU -> fc2 1 (a logit); BCE with logits.</li>
 *   <li>{@link #deep} ("lsgan"): G z(100) -> 128 -> 256 -> 512 -> 1024 (each fcK -> ReLU -> bnK,
 *       BatchNorm1d) -> fc5 784 -> tanh (pixels in [-1, 1]); D 784 -> 1024 -> 512 -> 256 (each
 *       fcK -> LeakyReLU(0.2); the sketch's ReLU and batch norm do not train, see {@link #deep})
 *       -> fc4 1; the least-squares losses ({@link GanLoss#LEAST_SQUARES}).</li>
 * </ul>
 *
 * Other widths (tests use tiny ones) through {@link Spec}. State-dict names: "generator.fc1.weight",
 * "discriminator.bn2.running_mean", ... (the PyTorch modules of benchmarks/reference/extra_models.py).
 * Build outside any step scope.
 */
public final class MlpGan implements PairGan {
    /** Pixels of a 28x28 image: the generator's output and the discriminator's input features. */
    public static final int PIXELS = 28 * 28;

    /**
     * Architecture: the checkpoint kind, noise size, hidden widths, BatchNorm1d after each hidden
     * activation of G ({@code batchNorm}) and of D ({@code discriminatorBatchNorm}), tanh (else
     * sigmoid) output, loss, and the discriminator's activation: ReLU for {@code discriminatorLeak}
     * 0, else LeakyReLU with that slope.
     *
     * @param kind                   the checkpoint kind ("mlpgan", "lsgan")
     * @param latent                 the noise size
     * @param generatorHidden        the generator's hidden widths, in order
     * @param discriminatorHidden    the discriminator's hidden widths, in order
     * @param batchNorm              whether a BatchNorm1d follows each hidden activation of G
     * @param tanh                   whether G's output is tanh (pixels in [-1, 1]), else sigmoid ([0, 1])
     * @param loss                   the adversarial loss
     * @param discriminatorLeak      the slope of D's LeakyReLU, or 0 for ReLU
     * @param discriminatorBatchNorm whether a BatchNorm1d follows each hidden activation of D
     */
    public record Spec(String kind, int latent, int[] generatorHidden, int[] discriminatorHidden, boolean batchNorm, boolean tanh, GanLoss loss,
                       float discriminatorLeak, boolean discriminatorBatchNorm) {
        /** Copies the width arrays and checks that the sizes are positive and the width lists non-empty. */
        public Spec {
            generatorHidden = generatorHidden.clone();
            discriminatorHidden = discriminatorHidden.clone();
            if (latent < 1 || generatorHidden.length == 0 || discriminatorHidden.length == 0
                    || Arrays.stream(generatorHidden).anyMatch(h -> h < 1) || Arrays.stream(discriminatorHidden).anyMatch(h -> h < 1)) {
                throw new IllegalArgumentException("MlpGan.Spec: latent " + latent + ", hidden " + Arrays.toString(generatorHidden)
                        + " / " + Arrays.toString(discriminatorHidden) + " must be positive and non-empty");
            }
        }
    }

    /**
     * The simple MLP GAN ("mlpgan"): one hidden layer of 128 each, sigmoid output, BCE.
     *
     * @return its spec
     */
    public static Spec simple() { return new Spec("mlpgan", 100, new int[] {128}, new int[] {128}, false, false, GanLoss.BCE, 0f, false); }

    /**
     * The deep MLP GAN. Its discriminator is the sketch's without the batch norm and with
     * LeakyReLU(0.2) for ReLU, the LSGAN discriminator of common practice, because the sketch's
     * does not train on the embedded digits (10 epochs each, samples pure noise every time):
     * normalizing real and fake batches apart, every batch leaves the last BatchNorm with mean
     * exactly its bias, so D's batch-mean output is the same for both (D stayed at 0.5); on real
     * and fake stacked in one batch ({@link PairGan#discriminatorNormalizesBatches}, kept for a D
     * with batch norm) D won outright (loss 0.0007) and left G no usable gradient, with ReLU or
     * LeakyReLU. Without it, digits appear within 6 epochs.
     *
     * @return its spec
     */
    public static Spec deep() {
        return new Spec("lsgan", 100, new int[] {128, 256, 512, 1024}, new int[] {1024, 512, 256}, true, true, GanLoss.LEAST_SQUARES, 0.2f, false);
    }

    private final Backend backend;
    private final Spec spec;
    private final Sequential generator, discriminator;
    /** Held by a trainer for each whole step, so a second thread training it at the same time fails fast (see {@link InUse}). */
    final InUse trainingUse = new InUse("MlpGan");

    /**
     * The model of the given architecture.
     *
     * @param backend the backend of every layer
     * @param spec    the architecture
     * @param seed    the seed of the weight initialization
     */
    public MlpGan(Backend backend, Spec spec, long seed) {
        this.backend = backend;
        this.spec = spec;
        var init = new Init(seed);
        generator = new Sequential(backend);
        int prev = spec.latent();
        int k = 1;
        for (int h : spec.generatorHidden()) {
            hidden(generator, k++, prev, h, init, 0f, spec.batchNorm());
            prev = h;
        }
        // reshape before the activation, so that the output is the activation's own tensor, not a view
        generator.add("fc" + k, new Linear(backend, prev, PIXELS, true, init))
                .add("reshape", new Reshape(backend, 1, 28, 28))
                .add("out", spec.tanh() ? new Tanh(backend) : new Sigmoid(backend));
        discriminator = new Sequential(backend).add("flatten", new Flatten(backend));
        prev = PIXELS;
        k = 1;
        for (int h : spec.discriminatorHidden()) {
            hidden(discriminator, k++, prev, h, init, spec.discriminatorLeak(), spec.discriminatorBatchNorm());
            prev = h;
        }
        discriminator.add("fc" + k, new Linear(backend, prev, 1, true, init));
    }

    /** fcK -> ReLU (or LeakyReLU) -> bnK: the order of the sketch (normalizing after the activation). */
    private void hidden(Sequential net, int k, int in, int out, Init init, float leak, boolean batchNorm) {
        net.add("fc" + k, new Linear(backend, in, out, true, init)).add("relu" + k, leak == 0f ? new ReLU(backend) : new LeakyReLU(backend, leak));
        if (batchNorm) net.add("bn" + k, new BatchNorm1d(backend, out));
    }

    /**
     * The architecture the model was built with.
     *
     * @return the spec
     */
    public Spec spec() { return spec; }

    @Override public String kind() { return spec.kind(); }

    @Override public Backend backend() { return backend; }

    @Override public int latent() { return spec.latent(); }

    @Override public GanLoss loss() { return spec.loss(); }

    @Override public boolean conditional() { return false; }

    @Override public boolean discriminatorNormalizesBatches() { return spec.discriminatorBatchNorm(); }

    @Override public float low() { return spec.tanh() ? -1f : 0f; }

    @Override public Module generator() { return generator; }

    @Override public Module discriminator() { return discriminator; }

    @Override public Tensor generate(Tensor z, int[] labels) { return generator.forward(z); }

    @Override public Tensor generatorBackward(Tensor dImages) { return generator.backward(dImages); }

    @Override public Tensor discriminate(Tensor images, int[] labels) { return discriminator.forward(images); }

    @Override public Tensor discriminatorBackward(Tensor dOut) { return discriminator.backward(dOut); }

    @Override public Map<String, Tensor> stateDict() { return GanState.stateDict(generator, discriminator); }

    @Override public void loadStateDict(Map<String, Tensor> state) { GanState.load("MlpGan(" + kind() + ")", generator, discriminator, state); }

    /**
     * z = randn (n, latent) from (seed, offset 0) through the generator's eval-mode path
     * ({@link Module#infer}: running statistics, nothing cached, the training mode untouched), so
     * threads may sample at once; not while another thread trains the model.
     */
    @Override public Tensor sample(int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("MlpGan.sample: n " + n + " must be positive");
        trainingUse.checkNotTrainedElsewhere("MlpGan.sample");
        return Exclusive.call(backend, () -> {
            try (var z = backend.randn(Shape.of(n, spec.latent()), seed, 0)) {
                return generator.infer(z);
            }
        });
    }
}
