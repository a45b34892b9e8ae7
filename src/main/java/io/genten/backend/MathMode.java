package io.genten.backend;

/** Precision of the GEMM-like ops (conv, linear). The CPU backend always computes strict FP32. */
public enum MathMode {
    /** IEEE float32 multiply-adds. */
    FP32,
    /** TensorFloat-32 tensor cores: 10-bit mantissa products, float32 accumulate. */
    TF32,
    /** Three TF32 products (big*big + big*small + small*big): float32 accuracy on tensor cores. */
    FP32_3XTF32
}
