package io.genten.backend.cuda;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;
import java.util.Objects;

/**
 * How a {@link CudaBackend} runs: which GPU, the GEMM math mode, and per op family our kernels or
 * cuDNN. {@code poison} fills every new allocation with NaN (debug; default from the system
 * property {@code genten.cuda.poison}).
 */
public record CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm, boolean poison) {
    public CudaOptions {
        Objects.requireNonNull(math, "math");
        Objects.requireNonNull(conv, "conv");
        Objects.requireNonNull(batchNorm, "batchNorm");
        if (device < 0) throw new IllegalArgumentException("cuda: device index " + device + " must be >= 0");
    }

    public CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm) {
        this(device, math, conv, batchNorm, Boolean.getBoolean("genten.cuda.poison"));
    }

    /** Device 0, strict FP32, our kernels for conv and batchnorm. */
    public static CudaOptions defaults() {
        return new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE);
    }

    public CudaOptions withMath(MathMode m) { return new CudaOptions(device, m, conv, batchNorm, poison); }

    public CudaOptions withConv(ConvImpl c) { return new CudaOptions(device, math, c, batchNorm, poison); }

    public CudaOptions withBatchNorm(BatchNormImpl b) { return new CudaOptions(device, math, conv, b, poison); }

    public CudaOptions withPoison(boolean p) { return new CudaOptions(device, math, conv, batchNorm, p); }
}
