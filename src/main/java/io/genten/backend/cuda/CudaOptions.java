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
 *
 * @param device    the CUDA device ordinal
 * @param math      FP32, TF32 or FP32_3XTF32
 * @param conv      our conv kernels or cuDNN
 * @param batchNorm our batchnorm kernels or cuDNN
 * @param linear    our GEMM or cuBLAS for the linear layers
 * @param poison    whether new allocations are filled with NaN
 */
public record CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm, LinearImpl linear,
                          boolean poison) {
    /** Checks the arguments. */
    public CudaOptions {
        Objects.requireNonNull(math, "math");
        Objects.requireNonNull(conv, "conv");
        Objects.requireNonNull(batchNorm, "batchNorm");
        Objects.requireNonNull(linear, "linear");
        if (device < 0) throw new IllegalArgumentException("cuda: device index " + device + " must be >= 0");
    }

    /**
     * Our GEMM for the linear layers.
     *
     * @param device    the CUDA device ordinal
     * @param math      FP32, TF32 or FP32_3XTF32
     * @param conv      our conv kernels or cuDNN
     * @param batchNorm our batchnorm kernels or cuDNN
     * @param poison    whether new allocations are filled with NaN
     */
    public CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm, boolean poison) {
        this(device, math, conv, batchNorm, LinearImpl.NATIVE, poison);
    }

    /**
     * Our GEMM for the linear layers, {@code poison} from the system property {@code genten.cuda.poison}.
     *
     * @param device    the CUDA device ordinal
     * @param math      FP32, TF32 or FP32_3XTF32
     * @param conv      our conv kernels or cuDNN
     * @param batchNorm our batchnorm kernels or cuDNN
     */
    public CudaOptions(int device, MathMode math, ConvImpl conv, BatchNormImpl batchNorm) {
        this(device, math, conv, batchNorm, LinearImpl.NATIVE, Boolean.getBoolean("genten.cuda.poison"));
    }

    /**
     * Device 0, strict FP32, our kernels for conv, batchnorm and the linear layers.
     *
     * @return the options
     */
    public static CudaOptions defaults() {
        return new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE);
    }

    /**
     * These options with another math mode.
     *
     * @param m the math mode
     * @return new options
     */
    public CudaOptions withMath(MathMode m) { return new CudaOptions(device, m, conv, batchNorm, linear, poison); }

    /**
     * These options with another conv implementation.
     *
     * @param c the implementation
     * @return new options
     */
    public CudaOptions withConv(ConvImpl c) { return new CudaOptions(device, math, c, batchNorm, linear, poison); }

    /**
     * These options with another batchnorm implementation.
     *
     * @param b the implementation
     * @return new options
     */
    public CudaOptions withBatchNorm(BatchNormImpl b) { return new CudaOptions(device, math, conv, b, linear, poison); }

    /**
     * These options with another linear-layer implementation.
     *
     * @param l the implementation
     * @return new options
     */
    public CudaOptions withLinear(LinearImpl l) { return new CudaOptions(device, math, conv, batchNorm, l, poison); }

    /**
     * These options with poisoning on or off.
     *
     * @param p whether new allocations are filled with NaN
     * @return new options
     */
    public CudaOptions withPoison(boolean p) { return new CudaOptions(device, math, conv, batchNorm, linear, p); }

    /**
     * Whether these options need cuDNN or cuBLAS (neither of which the CPU emulator provides).
     *
     * @return true for any CUDNN or CUBLAS choice
     */
    public boolean usesNvidiaLibraries() {
        return conv == ConvImpl.CUDNN || batchNorm == BatchNormImpl.CUDNN || linear == LinearImpl.CUBLAS;
    }
}
