package io.genten.models;

import io.genten.backend.Backend;
import java.util.List;

/** Builds a model by its checkpoint kind, for the CLI and {@link Checkpoint}. */
public final class Models {
    /** The kinds a checkpoint's "model" metadata may name. */
    public static final List<String> KINDS = List.of("dcgan", "vae", "mlpgan", "lsgan", "vae2d", "cgan");

    private Models() {}

    /**
     * A freshly initialized model of the given kind (build outside any step scope).
     *
     * @param kind    one of {@link #KINDS}
     * @param backend where the weights live
     * @param seed    the initialization seed
     * @return the model
     * @throws IllegalArgumentException for another kind
     */
    public static GenerativeModel create(String kind, Backend backend, long seed) {
        return switch (kind) {
            case "dcgan" -> new Dcgan(backend, seed);
            case "vae" -> new ConvVae(backend, seed);
            case "mlpgan" -> new MlpGan(backend, MlpGan.simple(), seed);
            case "lsgan" -> new MlpGan(backend, MlpGan.deep(), seed);
            case "vae2d" -> new DenseVae(backend, seed);
            case "cgan" -> new ConditionalDcgan(backend, seed);
            case null, default -> throw new IllegalArgumentException("unknown model kind \"" + kind + "\" (expected one of " + KINDS + ")");
        };
    }
}
