package io.genten.backend;

/** Which implementation runs batch normalization on the GPU: our kernels or cuDNN. */
public enum BatchNormImpl {
    /** Genten's kernels. */
    NATIVE,
    /** cuDNN's batch normalization. */
    CUDNN
}
