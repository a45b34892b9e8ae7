package io.genten.cli;

import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.data.Dataset;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.models.Checkpoint;
import io.genten.models.ConditionalDcgan;
import io.genten.models.ConvVae;
import io.genten.models.Dcgan;
import io.genten.models.DenseVae;
import io.genten.models.DenseVaeTrainer;
import io.genten.models.DigitClassifier;
import io.genten.models.GenerativeModel;
import io.genten.models.PairGan;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code genten evaluate}: a quality figure for a checkpoint. VAEs: the negative ELBO (BCE summed
 * over pixels + KL, one noise draw) and the reconstruction error on the last 1,000 embedded digits
 * (held out when the model was trained with {@code --limit 9000}). GANs: a small classifier of our
 * own layers ({@link DigitClassifier}, trained here on the first 9,000 embedded digits, its accuracy
 * on the last 1,000 printed) labels n samples: how often each digit appears and, for the
 * conditional GAN, how often the drawn digit is the one asked for.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Quality figures of a checkpoint: held-out ELBO for VAEs; for GANs which digits a classifier sees in the samples (and, for cgan, how often the asked digit).")
final class EvaluateCommand implements Callable<Integer> {
    static final int TRAIN = 9000;

    @Option(names = "--checkpoint", required = true, description = "a .safetensors file written by genten train")
    Path checkpoint;

    @Option(names = "--n", defaultValue = "1000", description = "GANs: samples to classify (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--seed", defaultValue = "1", description = "noise seed of the samples (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--classifier-epochs", defaultValue = "3", description = "GANs: epochs of the digit classifier (default: ${DEFAULT-VALUE})")
    int classifierEpochs;

    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    @Override public Integer call() throws Exception {
        if (n < 10) throw new UsageException("--n " + n + " must be at least 10");
        var out = System.out;
        try (Backend backend = Backends.open(deviceOptions, out)) {
            var model = Checkpoint.load(checkpoint, backend).model();
            var digits = Datasets.embedded(Scaling.UNIT);
            switch (model) {
                case ConvVae vae -> vaeFigures(out, model, digits, vae, null);
                case DenseVae vae -> vaeFigures(out, model, digits, null, vae);
                default -> ganFigures(out, backend, model, digits);
            }
        }
        return 0;
    }

    private Tensor heldOut(Backend backend, Dataset digits) {
        int size = digits.imageSize(), m = digits.count() - TRAIN;
        return backend.copyOf(Tensor.wrap(Arrays.copyOfRange(digits.images(), TRAIN * size, digits.count() * size), Shape.of(m, 1, 28, 28)));
    }

    private void vaeFigures(java.io.PrintStream out, GenerativeModel model, Dataset digits, ConvVae conv, DenseVae dense) {
        var backend = model.backend();
        try (var scope = TensorScope.open()) {
            var x = heldOut(backend, digits);
            int m = x.dim(0);
            float[] f;
            if (dense != null) {
                f = DenseVaeTrainer.evaluate(dense, x, backend.randn(Shape.of(m, dense.latent()), seed, 0));
            } else {
                conv.eval();
                var o = conv.forwardVae(x, backend.randn(Shape.of(m, ConvVae.LATENT), seed, 0));
                float bce = backend.bceWithLogits(o.logits(), x, Reduction.SUM).item() / m;
                float kl = backend.klDivergence(o.mu(), o.logvar()).item() / m;
                float mse = backend.mse(conv.reconstruct(x), x, Reduction.SUM).item() / m;
                f = new float[] {bce + kl, bce, kl, mse};
            }
            out.printf(Locale.ROOT, "%s on the last %d embedded digits (held out if trained with --limit %d): negative ELBO %.2f nats/image "
                    + "(BCE %.2f + KL %.2f, one noise draw), squared error of the mean reconstruction %.2f per image (%.4f per pixel)%n",
                    model.kind(), m, TRAIN, f[0], f[1], f[2], f[3], f[3] / 784);
        }
    }

    private void ganFigures(java.io.PrintStream out, Backend backend, GenerativeModel model, Dataset digits) {
        try (var classifier = new DigitClassifier(backend, 7)) {
            long t0 = System.nanoTime();
            classifier.fit(digits, 0, TRAIN, classifierEpochs, 7);
            int m = digits.count() - TRAIN;
            var testImages = Arrays.copyOfRange(digits.images(), TRAIN * 784, digits.count() * 784);
            var predicted = DigitClassifier.argmax(classifier.probabilities(testImages, m));
            int right = 0;
            for (int i = 0; i < m; i++) if (predicted[i] == digits.labels()[TRAIN + i]) right++;
            out.printf(Locale.ROOT, "classifier (ours: 2 convs + fc, softmax cross-entropy, %d epochs on the first %d digits, %.0f s): %.1f%% right on the last %d%n",
                    classifierEpochs, TRAIN, (System.nanoTime() - t0) / 1e9, 100.0 * right / m, m);

            int[] asked = null;
            float[] images;
            float low;
            try (var scope = TensorScope.open()) {
                Tensor samples;
                if (model instanceof ConditionalDcgan c) {
                    asked = new int[n];
                    for (int i = 0; i < n; i++) asked[i] = i % 10;
                    samples = c.sample(asked, seed);
                } else {
                    samples = model.sample(n, seed);
                }
                low = model instanceof Dcgan ? -1f : model instanceof PairGan p ? p.low() : 0f;
                if (low < 0) samples = backend.scale(backend.add(samples, backend.full(samples.shape(), 1f)), 0.5f);
                images = samples.toArray();
            }
            var probs = classifier.probabilities(images, n);
            var labels = DigitClassifier.argmax(probs);
            var counts = new int[10];
            double confidence = 0;
            for (int i = 0; i < n; i++) {
                counts[labels[i]]++;
                confidence += probs[i * 10 + labels[i]];
            }
            int present = 0;
            var b = new StringBuilder();
            for (int d = 0; d < 10; d++) {
                if (counts[d] >= n / 50) present++;
                b.append(String.format(Locale.ROOT, " %d:%.1f%%", d, 100.0 * counts[d] / n));
            }
            out.printf(Locale.ROOT, "%s, %d samples (seed %d): digits the classifier sees%s; %d of 10 digits in at least 2%% of the samples; mean confidence %.2f%n",
                    model.kind(), n, seed, b, present, confidence / n);
            if (asked != null) {
                int hit = 0;
                var perDigit = new int[10];
                for (int i = 0; i < n; i++) {
                    if (labels[i] == asked[i]) {
                        hit++;
                        perDigit[asked[i]]++;
                    }
                }
                var pd = new StringBuilder();
                for (int d = 0; d < 10; d++) pd.append(String.format(Locale.ROOT, " %d:%.0f%%", d, 100.0 * perDigit[d] / ((n + 9 - d) / 10)));
                out.printf(Locale.ROOT, "cgan: the drawn digit is the one asked for in %.1f%% of the samples (per digit%s)%n", 100.0 * hit / n, pd);
            }
        }
    }

}
