package io.genten.nn;

import io.genten.backend.Backend;

/** BatchNorm over (N, C): per feature over the batch. */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(Backend backend, int channels) { this(backend, channels, DEFAULT_EPS, DEFAULT_MOMENTUM); }

    public BatchNorm1d(Backend backend, int channels, float eps, float momentum) { super(backend, channels, 2, eps, momentum); }
}
