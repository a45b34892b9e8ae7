package io.genten.backend.cuda;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import java.util.Objects;

/**
 * How a {@link CudaBackend} runs: which GPU, the GEMM math mode, and per op family our kernels or
 * NVIDIA's libraries (cuDNN for conv and batchnorm, cuBLAS for the linear layers). {@code poison}
 * fills every new allocation with NaN (debug; default from the system property
 * {@code genten.cuda.poison}).
 */
public record CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm, LinearImpl linear,
                          boolean poison) {
    public CudaOptions {
        Objects.requireNonNull(math, "math");
        Objects.requireNonNull(conv, "conv");
        Objects.requireNonNull(batchNorm, "batchNorm");
        Objects.requireNonNull(linear, "linear");
        if (device < 0) throw new IllegalArgumentException("cuda: device index " + device + " must be >= 0");
    }

    /** Our GEMM for the linear layers. */
    public CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm, boolean poison) {
        this(device, math, conv, batchNorm, LinearImpl.NATIVE, poison);
    }

    public CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm) {
        this(device, math, conv, batchNorm, LinearImpl.NATIVE, Boolean.getBoolean("genten.cuda.poison"));
    }

    /** Device 0, strict FP32, our kernels for everything. */
    public static CudaOptions defaults() {
        return new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE);
    }

    public CudaOptions withMath(MathMode m) { return new CudaOptions(device, m, conv, batchNorm, linear, poison); }

    public CudaOptions withConv(ConvImpl c) { return new CudaOptions(device, math, c, batchNorm, linear, poison); }

    public CudaOptions withBatchNorm(BatchNormImpl b) { return new CudaOptions(device, math, conv, b, linear, poison); }

    public CudaOptions withLinear(LinearImpl l) { return new CudaOptions(device, math, conv, batchNorm, l, poison); }

    public CudaOptions withPoison(boolean p) { return new CudaOptions(device, math, conv, batchNorm, linear, p); }

    /** Whether these options need cuDNN or cuBLAS (neither of which the CPU emulator provides). */
    public boolean usesNvidiaLibraries() {
        return conv == ConvImpl.CUDNN || batchNorm == BatchNormImpl.CUDNN || linear == LinearImpl.CUBLAS;
    }
}
