package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * PyTorch's default initialization drawn from Philox: each tensor takes the next offset of one
 * (seed) stream, so a model built twice with the same seed is bitwise the same on every backend.
 * Not thread-safe; one per model construction.
 */
public final class Init {
    private final long seed;
    private long nextOffset;
    private long nextSeed;

    /**
     * An initializer whose streams are keyed by {@code seed}.
     *
     * @param seed the model's seed
     */
    public Init(long seed) { this.seed = seed; }

    /**
     * The seed given at construction.
     *
     * @return the seed
     */
    public long seed() { return seed; }

    /**
     * Kaiming-uniform with a = sqrt(5), PyTorch's default for Linear and Conv weights: gain
     * sqrt(2 / (1 + a^2)) = sqrt(1/3), bound = gain * sqrt(3 / fanIn) = 1 / sqrt(fanIn).
     *
     * @param backend where to put the tensor
     * @param shape   the weight's shape
     * @param fanIn   the fan-in (PyTorch's, from the weight's dimensions)
     * @return a new tensor on {@code backend}
     */
    public Tensor kaimingUniform(Backend backend, Shape shape, int fanIn) {
        double gain = Math.sqrt(2.0 / (1 + 5.0));
        return uniform(backend, shape, gain * Math.sqrt(3.0 / fanIn));
    }

    /**
     * Bias default: uniform in +-1/sqrt(fanIn).
     *
     * @param backend where to put the tensor
     * @param shape   the bias's shape
     * @param fanIn   the fan-in of the layer's weight
     * @return a new tensor on {@code backend}
     */
    public Tensor biasUniform(Backend backend, Shape shape, int fanIn) {
        return uniform(backend, shape, 1.0 / Math.sqrt(fanIn));
    }

    /**
     * Uniform in [-bound, bound) from the next offset of the stream.
     *
     * @param backend where to put the tensor
     * @param shape   the shape
     * @param bound   the half-width
     * @return a new tensor on {@code backend}
     */
    public Tensor uniform(Backend backend, Shape shape, double bound) {
        var values = new float[shape.size()];
        Philox.fillUniform(seed, nextOffset++, values);
        for (int i = 0; i < values.length; i++) values[i] = (float) ((2.0 * values[i] - 1.0) * bound);
        try (var host = Tensor.wrap(values, shape)) {
            return backend.copyOf(host);
        }
    }

    /**
     * A seed for another stream (dropout masks, noise), distinct for each call and fixed by this seed.
     *
     * @return the derived seed
     */
    public long derivedSeed() {
        return mix(seed ^ 0x5DEECE66DL * ++nextSeed);
    }

    /** SplitMix64's finalizer: spreads nearby seeds far apart. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
