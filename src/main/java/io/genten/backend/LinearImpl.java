package io.genten.backend;

/** Which implementation runs the linear layers' GEMMs on the GPU: our kernel (gemm.cu) or cuBLAS. */
public enum LinearImpl {
    /** Genten's GEMM kernel. */
    NATIVE,
    /** cuBLAS. */
    CUBLAS
}
