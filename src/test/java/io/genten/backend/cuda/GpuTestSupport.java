package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import io.genten.tensor.Tensor;
import io.genten.testing.Assertions2;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** Shared by the GPU tests: one backend per configuration (poisoned allocations), comparisons. */
final class GpuTestSupport {
    private GpuTestSupport() {}

    /** Our kernels in every math mode, and NVIDIA's libraries (cuDNN, cuBLAS) beside them. */
    static final List<CudaOptions> CONFIGS = List.of(
            new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.NATIVE, true),
            new CudaOptions(0, MathMode.FP32, ConvImpl.CUDNN, BatchNormImpl.CUDNN, LinearImpl.CUBLAS, true),
            new CudaOptions(0, MathMode.FP32_3XTF32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.NATIVE, true),
            new CudaOptions(0, MathMode.FP32_3XTF32, ConvImpl.CUDNN, BatchNormImpl.NATIVE, LinearImpl.CUBLAS, true),
            new CudaOptions(0, MathMode.TF32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.NATIVE, true),
            new CudaOptions(0, MathMode.TF32, ConvImpl.CUDNN, BatchNormImpl.CUDNN, LinearImpl.CUBLAS, true));

    private static final Map<CudaOptions, CudaBackend> BACKENDS = new LinkedHashMap<>();

    /**
     * Fails loudly (these tests run only where a GPU, or the CPU emulator of our kernels, is
     * expected); on a real GPU cuDNN and cuBLAS must be there too.
     */
    static void requireGpu() {
        var a = CudaAvailability.get();
        assertTrue(a.available(), "GPU tests need CUDA (or -Dgenten.cuda.emulator=true): " + a.reason());
        if (a.emulated()) return;
        assertTrue(a.cudnnAvailable(), "GPU tests need cuDNN: " + a.cudnnStatus());
        assertTrue(a.cublasAvailable(), "GPU tests need cuBLAS: " + a.cublasStatus());
    }

    static boolean emulated() { return CudaAvailability.get().emulated(); }

    /** Skips (with the reason) what the CPU emulator cannot run: cuDNN and cuBLAS are GPU libraries. */
    static void assumeRunnable(CudaOptions o) {
        Assumptions.assumeFalse(emulated() && o.usesNvidiaLibraries(),
                "skipped on the CPU emulator: conv " + o.conv() + ", batchnorm " + o.batchNorm() + ", linear " + o.linear()
                        + " need NVIDIA's GPU libraries; the emulator runs our kernels only");
    }

    static synchronized CudaBackend backend(CudaOptions o) {
        assumeRunnable(o);
        return BACKENDS.computeIfAbsent(o, CudaBackend::new);
    }

    static synchronized void closeAll() {
        BACKENDS.values().forEach(CudaBackend::close);
        BACKENDS.clear();
    }

    /** Relative L2 bound for GEMM-like ops (conv, linear) in this math mode. */
    static double gemmTolerance(CudaOptions o) {
        return o.math() == MathMode.TF32 ? 5e-3 : 1e-5;
    }

    static void close(String what, Tensor gpu, Tensor cpu, double tol) {
        assertEquals(cpu.shape(), gpu.shape(), what + ": shape");
        Assertions2.assertClose(what, gpu.toArray(), cpu.toArray(), tol);
    }

    /** Fresh standard normals on the host (Philox keyed by a per-call seed). */
    static Tensor randn(long seed, int... dims) { return Tensor.randn(seed, 17, dims); }

    static Tensor uniform(long seed, float lo, float hi, int... dims) {
        var t = Tensor.rand(seed, 29, dims);
        var a = t.hostArray();
        for (int i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * a[i];
        return t;
    }
}
