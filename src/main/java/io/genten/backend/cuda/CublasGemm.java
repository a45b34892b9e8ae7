package io.genten.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasGetStatusString;
import static org.bytedeco.cuda.global.cublas.cublasGetVersion_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetWorkspace_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;

import io.genten.backend.MathMode;
import java.lang.foreign.MemorySegment;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Row-major SGEMMs for the linear layers, through cuBLAS on the backend's stream.
 *
 * <p>cuBLAS is column-major; a row-major matrix is its column-major transpose, so each product is
 * computed as its transpose with the operands swapped (see {@link LinearGemms}).
 *
 * <p>Math modes: FP32 uses CUBLAS_DEFAULT_MATH (IEEE FP32 FMAs; cuBLAS uses TF32 there only if the
 * process sets NVIDIA_TF32_OVERRIDE=1). TF32 uses CUBLAS_TF32_TENSOR_OP_MATH. cuBLAS has no 3xTF32
 * SGEMM on Hopper (its FP32 emulation, CUBLAS_COMPUTE_32F_EMULATED_16BFX9, targets Blackwell), so
 * FP32_3XTF32 runs the plain FP32 SGEMM: the accuracy 3xTF32 promises, at FP32 speed.
 */
final class CublasGemm implements AutoCloseable {
    /** cuBLAS's recommended workspace on Hopper; a fixed one also keeps graph capture free of allocations. */
    private static final long WORKSPACE_BYTES = 32L << 20;

    private final cublasContext handle = new cublasContext();
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private final CachingAllocator allocator;
    private final CachingAllocator.Block workspace;
    private final String version;
    private boolean closed;

    CublasGemm(MemorySegment stream, MathMode math, CachingAllocator allocator) {
        this.allocator = allocator;
        check(cublasCreate_v2(handle), "cublasCreate", "");
        CachingAllocator.Block ws = null;
        try {
            check(cublasSetStream_v2(handle, new CUstream_st(new DevicePointer(stream.address()))), "cublasSetStream", "");
            check(cublasSetMathMode(handle, math == MathMode.TF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
                    "cublasSetMathMode", math.toString());
            ws = allocator.allocate(WORKSPACE_BYTES);
            check(cublasSetWorkspace_v2(handle, new DevicePointer(ws.address()), ws.size()), "cublasSetWorkspace", "");
            int[] v = new int[1];
            check(cublasGetVersion_v2(handle, v), "cublasGetVersion", "");
            version = (v[0] / 10000) + "." + (v[0] % 10000) / 100 + "." + (v[0] % 100);
        } catch (RuntimeException e) {
            cublasDestroy_v2(handle);
            if (ws != null) allocator.release(ws);
            throw e;
        }
        this.workspace = ws;
    }

    String version() { return version; }

    /** Queues the column-major SGEMM C = op(A) op(B) on the stream; A, B and C are device addresses. */
    void sgemm(String op, LinearGemms.Call g) {
        int status = cublasSgemm_v2(handle, g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N, g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N,
                g.m(), g.n(), g.k(), one, new FloatPointer(new DevicePointer(g.a())), g.lda(), new FloatPointer(new DevicePointer(g.b())),
                g.ldb(), zero, new FloatPointer(new DevicePointer(g.c())), g.ldc());
        check(status, op, "(cublasSgemm m=" + g.m() + " n=" + g.n() + " k=" + g.k() + ")");
    }

    static void check(int status, String op, String detail) {
        if (status == CUBLAS_STATUS_SUCCESS) return;
        var s = cublasGetStatusString(status); // a static string inside cuBLAS: not ours to free
        String name = s == null || s.isNull() ? "cuBLAS status " + status : s.getString();
        throw new CudaException(op + " " + detail + ": " + name + " (cuBLAS status " + status + ")", status);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        cublasDestroy_v2(handle);
        allocator.release(workspace);
        one.close();
        zero.close();
    }
}
