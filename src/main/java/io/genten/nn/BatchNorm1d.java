package io.genten.nn;

import io.genten.backend.Backend;

/** BatchNorm over (N, C): per feature over the batch. */
public final class BatchNorm1d extends BatchNorm {
    /**
     * BatchNorm1d with PyTorch's eps and momentum.
     *
     * @param backend  the backend
     * @param channels the number of features C
     */
    public BatchNorm1d(Backend backend, int channels) { this(backend, channels, DEFAULT_EPS, DEFAULT_MOMENTUM); }

    /**
     * BatchNorm1d with the given eps and momentum.
     *
     * @param backend  the backend
     * @param channels the number of features C
     * @param eps      added to the variance, &gt; 0
     * @param momentum the weight of the new batch in the running statistics, in [0, 1]
     */
    public BatchNorm1d(Backend backend, int channels, float eps, float momentum) { super(backend, channels, 2, eps, momentum); }
}
