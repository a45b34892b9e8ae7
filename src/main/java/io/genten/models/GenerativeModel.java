package io.genten.models;

import io.genten.backend.Backend;
import io.genten.nn.Stateful;
import io.genten.tensor.Tensor;

/**
 * What the CLI and {@link Checkpoint} need of a model: its kind, its state, samples, and closing.
 * Sampling is an inference call: deterministic for a seed and safe from many threads at once.
 */
public sealed interface GenerativeModel extends Stateful, AutoCloseable permits Dcgan, ConvVae, PairGan, DenseVae {
    /**
     * The model's kind, the checkpoint's {@code model} metadata.
     *
     * @return "dcgan", "vae", "mlpgan", "lsgan", "vae2d" or "cgan"
     */
    String kind();

    /**
     * The backend the model's weights live on.
     *
     * @return the backend given at construction
     */
    Backend backend();

    /**
     * n new images from the noise stream {@code seed}, in eval mode, caching nothing.
     *
     * @param n    how many images, at least 1
     * @param seed the Philox seed of the latent noise (offset 0)
     * @return images (n, 1, 28, 28), owned by the caller
     */
    Tensor sample(int n, long seed);

    /** Frees the model's parameters and buffers (not the backend). Idempotent. */
    @Override void close();
}
