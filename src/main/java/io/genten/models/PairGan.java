package io.genten.models;

import io.genten.nn.Module;
import io.genten.tensor.Tensor;

/**
 * A GAN that {@link GanPairTrainer} trains: a generator from noise (and, when conditional, digit
 * labels) to images and a discriminator from images (and labels) to one raw output per image. The
 * label arguments are ignored (may be null) by unconditional models. Each {@code ...Backward}
 * belongs to the last call of its forward and returns the gradient of that forward's image or
 * noise input (the label inputs get none).
 */
public sealed interface PairGan extends GenerativeModel permits MlpGan, ConditionalDcgan {
    String GENERATOR_PREFIX = "generator.", DISCRIMINATOR_PREFIX = "discriminator.";

    int latent();

    GanLoss loss();

    /** Whether the labels matter. */
    boolean conditional();

    /**
     * Whether the discriminator has batch normalization. Then {@link GanPairTrainer} runs it on real
     * and generated images stacked in one batch: normalized apart, every batch would leave the last
     * BatchNorm with mean exactly its bias, so the batch mean of D's output would be the same for
     * real and fake batches and D could not tell them apart on average.
     */
    boolean discriminatorNormalizesBatches();

    /** The pixel range of the generator's output: [-1, 1] (tanh) or [0, 1] (sigmoid). */
    float low();

    Module generator();

    Module discriminator();

    /** Frees both networks' parameters and buffers (not the backend). Idempotent. */
    @Override default void close() {
        generator().close();
        discriminator().close();
    }

    /** z (N, latent) -> images (N, 1, 28, 28). */
    Tensor generate(Tensor z, int[] labels);

    Tensor generatorBackward(Tensor dImages);

    /** images (N, 1, 28, 28) -> (N, 1). */
    Tensor discriminate(Tensor images, int[] labels);

    Tensor discriminatorBackward(Tensor dOut);
}
