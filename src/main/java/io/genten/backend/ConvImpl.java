package io.genten.backend;

/** Which implementation runs a convolution on the GPU: our kernels or cuDNN. */
public enum ConvImpl {
    /** Genten's implicit-GEMM kernels. */
    NATIVE,
    /** cuDNN's convolutions (the fastest algorithm it measures per shape). */
    CUDNN
}
