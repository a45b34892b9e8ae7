package io.genten.nn;

import io.genten.backend.Backend;

/** BatchNorm over (N, C, H, W): per channel over N, H and W. */
public final class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(Backend backend, int channels) { this(backend, channels, DEFAULT_EPS, DEFAULT_MOMENTUM); }

    public BatchNorm2d(Backend backend, int channels, float eps, float momentum) { super(backend, channels, 4, eps, momentum); }
}
