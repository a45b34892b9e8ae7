package io.genten.models;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.data.Batches;
import io.genten.data.Dataset;
import io.genten.nn.Conv2d;
import io.genten.nn.Flatten;
import io.genten.nn.Init;
import io.genten.nn.Linear;
import io.genten.nn.ReLU;
import io.genten.nn.Sequential;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.Arrays;

/**
 * A small digit classifier built from our own layers, the judge of the GANs' samples: Conv(1->16,
 * 5x5, s2, p2) -> ReLU -> Conv(16->32, 5x5, s2, p2) -> ReLU -> flatten -> Linear(1568, 10), trained
 * with the softmax cross-entropy op and Adam(1e-3) on images in [0, 1]. Build outside any step scope.
 */
public final class DigitClassifier implements AutoCloseable {
    private final Backend backend;
    private final Sequential net;
    private final TrainerAdam adam;

    /**
     * An untrained classifier.
     *
     * @param backend the backend of every layer
     * @param seed    the seed of the weight initialization
     */
    public DigitClassifier(Backend backend, long seed) {
        this.backend = backend;
        var init = new Init(seed);
        net = new Sequential(backend)
                .add("conv1", new Conv2d(backend, 1, 16, 5, 2, 2, true, init)).add("relu1", new ReLU(backend))
                .add("conv2", new Conv2d(backend, 16, 32, 5, 2, 2, true, init)).add("relu2", new ReLU(backend))
                .add("flatten", new Flatten(backend))
                .add("fc", new Linear(backend, 7 * 7 * 32, Labels.DIGITS, true, init))
                .fuseActivations();
        adam = new TrainerAdam(backend, net.namedParameters(), AdamConfig.of(1e-3f, 0.9f, 0.999f)); // outside any step scope
    }

    /**
     * The classifier's layers.
     *
     * @return the network, images (N, 1, 28, 28) to logits (N, 10)
     */
    public Sequential network() { return net; }

    /**
     * One Adam step on images (N, 1, 28, 28) in [0, 1] and their labels; returns the mean loss (synchronizes).
     *
     * @param images the batch (N, 1, 28, 28) in [0, 1]
     * @param labels the digit of each image
     * @return the mean cross-entropy of the batch
     */
    public float step(Tensor images, int[] labels) {
        net.train();
        try (var scope = TensorScope.open()) {
            net.zeroGrad();
            var logits = net.forward(images);
            var targets = Labels.oneHot(backend, labels, Labels.DIGITS);
            var loss = backend.softmaxCrossEntropy(logits, targets, Reduction.MEAN);
            net.backwardParameters(backend.softmaxCrossEntropyBackward(logits, targets, Reduction.MEAN, 1f));
            adam.step();
            return loss.item();
        } finally {
            net.zeroGrad();
        }
    }

    /**
     * Trains on images [from, to) of a [0, 1]-scaled data set for {@code epochs} epochs of batch 64.
     *
     * @param data   the data set, scaled to [0, 1]
     * @param from   the first image to train on
     * @param to     the end (exclusive) of the images to train on
     * @param epochs the number of passes over the images
     * @param seed   the seed of the batches' shuffling
     */
    public void fit(Dataset data, int from, int to, int epochs, long seed) {
        int n = to - from;
        var part = new Dataset(Arrays.copyOfRange(data.images(), from * data.imageSize(), to * data.imageSize()),
                Arrays.copyOfRange(data.labels(), from, to), n, data.rows(), data.cols(), data.scaling());
        var batches = Batches.forTraining(part, 64, seed);
        for (int e = 0; e < epochs; e++) {
            for (var it = batches.epoch(e); it.hasNext(); ) {
                try (var scope = TensorScope.open(); var b = it.next()) {
                    step(backend.copyOf(b.images()), b.labels());
                }
            }
        }
    }

    /**
     * Softmax probabilities (N, 10) of images (N, 1, 28, 28) in [0, 1], in eval mode, as a host array.
     *
     * @param images the images, n * 784 floats in [0, 1]
     * @param n      the number of images
     * @return the probabilities, 10 per image, row-major
     */
    public float[] probabilities(float[] images, int n) {
        net.eval();
        var out = new float[n * Labels.DIGITS];
        int chunk = 500;
        for (int s = 0; s < n; s += chunk) {
            int m = Math.min(chunk, n - s);
            try (var scope = TensorScope.open()) {
                var x = backend.copyOf(Tensor.wrap(Arrays.copyOfRange(images, s * 784, (s + m) * 784), Shape.of(m, 1, 28, 28)));
                float[] logits = net.forward(x).toArray();
                for (int i = 0; i < m; i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < 10; j++) max = Math.max(max, logits[i * 10 + j]);
                    for (int j = 0; j < 10; j++) sum += Math.exp(logits[i * 10 + j] - max);
                    for (int j = 0; j < 10; j++) out[(s + i) * 10 + j] = (float) (Math.exp(logits[i * 10 + j] - max) / sum);
                }
            }
        }
        net.train();
        return out;
    }

    /**
     * The most probable digit of each row of {@link #probabilities}.
     *
     * @param probabilities the probabilities, 10 per image, row-major
     * @return the most probable digit of each image
     */
    public static int[] argmax(float[] probabilities) {
        var out = new int[probabilities.length / 10];
        for (int i = 0; i < out.length; i++) {
            int best = 0;
            for (int j = 1; j < 10; j++) if (probabilities[i * 10 + j] > probabilities[i * 10 + best]) best = j;
            out[i] = best;
        }
        return out;
    }

    @Override public void close() {
        adam.close();
    }
}
