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
    /** The state-dict name prefixes of the generator's and the discriminator's entries. */
    String GENERATOR_PREFIX = "generator.", DISCRIMINATOR_PREFIX = "discriminator.";

    /**
     * The noise size.
     *
     * @return the number of noise features per image
     */
    int latent();

    /**
     * The adversarial loss the model trains with.
     *
     * @return the loss
     */
    GanLoss loss();

    /**
     * Whether the labels matter.
     *
     * @return true for a conditional model
     */
    boolean conditional();

    /**
     * Whether the discriminator has batch normalization. Then {@link GanPairTrainer} runs it on real
     * and generated images stacked in one batch: normalized apart, every batch would leave the last
     * BatchNorm with mean exactly its bias, so the batch mean of D's output would be the same for
     * real and fake batches and D could not tell them apart on average.
     *
     * @return whether real and fake images go through D in one batch
     */
    boolean discriminatorNormalizesBatches();

    /**
     * The pixel range of the generator's output: [-1, 1] (tanh) or [0, 1] (sigmoid).
     *
     * @return the lower end of the range, -1 or 0
     */
    float low();

    /**
     * The generator network.
     *
     * @return the generator
     */
    Module generator();

    /**
     * The discriminator network.
     *
     * @return the discriminator
     */
    Module discriminator();

    /** Frees both networks' parameters and buffers (not the backend). Idempotent. */
    @Override default void close() {
        generator().close();
        discriminator().close();
    }

    /**
     * z (N, latent) -> images (N, 1, 28, 28).
     *
     * @param z      the noise (N, latent)
     * @param labels the digit of each image for a conditional model, else ignored (may be null)
     * @return the generated images (N, 1, 28, 28)
     */
    Tensor generate(Tensor z, int[] labels);

    /**
     * Backward of the last {@link #generate}.
     *
     * @param dImages the gradient w.r.t. the generated images
     * @return the gradient w.r.t. the noise z (N, latent)
     */
    Tensor generatorBackward(Tensor dImages);

    /**
     * images (N, 1, 28, 28) -> (N, 1).
     *
     * @param images the images (N, 1, 28, 28)
     * @param labels the digit of each image for a conditional model, else ignored (may be null)
     * @return the discriminator's raw outputs (N, 1)
     */
    Tensor discriminate(Tensor images, int[] labels);

    /**
     * Backward of the last {@link #discriminate}.
     *
     * @param dOut the gradient w.r.t. the discriminator's outputs
     * @return the gradient w.r.t. the input images (N, 1, 28, 28)
     */
    Tensor discriminatorBackward(Tensor dOut);
}
