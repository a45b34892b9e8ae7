package io.genten.nn;

import io.genten.backend.Backend;

/** BatchNorm over (N, C, H, W): per channel over N, H and W. */
public final class BatchNorm2d extends BatchNorm {
    /**
     * BatchNorm2d with PyTorch's eps and momentum.
     *
     * @param backend  the backend
     * @param channels the number of channels C
     */
    public BatchNorm2d(Backend backend, int channels) { this(backend, channels, DEFAULT_EPS, DEFAULT_MOMENTUM); }

    /**
     * BatchNorm2d with the given eps and momentum.
     *
     * @param backend  the backend
     * @param channels the number of channels C
     * @param eps      added to the variance, &gt; 0
     * @param momentum the weight of the new batch in the running statistics, in [0, 1]
     */
    public BatchNorm2d(Backend backend, int channels, float eps, float momentum) { super(backend, channels, 4, eps, momentum); }
}
