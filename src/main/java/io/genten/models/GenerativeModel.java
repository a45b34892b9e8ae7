package io.genten.models;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import java.util.Map;

/** What the CLI and {@link Checkpoint} need of a model: its kind, its state and samples. */
public sealed interface GenerativeModel permits Dcgan, ConvVae, PairGan, DenseVae {
    /** "dcgan", "vae", "mlpgan", "lsgan", "vae2d" or "cgan": the checkpoint's {@code model} metadata. */
    String kind();

    Backend backend();

    /** Every parameter and buffer by checkpoint name (live tensors). */
    Map<String, Tensor> stateDict();

    /** Copies values in; mismatched names or shapes throw {@link IllegalArgumentException}. */
    void loadStateDict(Map<String, Tensor> state);

    /** n images (n, 1, 28, 28) from the noise stream {@code seed}, in eval mode. */
    Tensor sample(int n, long seed);
}
