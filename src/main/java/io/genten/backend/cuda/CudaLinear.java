package io.genten.backend.cuda;

import io.genten.backend.Checks;
import io.genten.tensor.Device;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The linear layers on CUDA: our GEMM kernel ({@code native/gemm.cu}, {@code LinearImpl.NATIVE}) or
 * cuBLAS ({@code LinearImpl.CUBLAS}, when a {@link CublasGemm} is given). Row-major throughout:
 * x (N, in), w (out, in), y and dy (N, out).
 */
final class CudaLinear implements AutoCloseable {
    private final CudaBackend backend;
    private final CublasGemm cublas;

    CudaLinear(CudaBackend backend, CublasGemm cublas) {
        this.backend = backend;
        this.cublas = cublas;
    }

    String cublasVersion() { return cublas == null ? "unused (our GEMM)" : cublas.version(); }

    /** y (N,out) = x w^T + b. */
    Tensor forward(Tensor x, Tensor w, Tensor bias) {
        String op = "linearForward";
        Device device = backend.device();
        Checks.on(op, device, x, w, bias);
        Checks.rank(op, "x", x.shape(), 2);
        Checks.rank(op, "w", w.shape(), 2);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        if (w.dim(1) != in) throw new IllegalArgumentException(op + ": x " + x.shape() + " has " + in + " features but w " + w.shape() + " expects " + w.dim(1));
        if (bias != null) Checks.lengths(op, bias, out);
        var y = backend.alloc(op, Shape.of(n, out));
        if (y.numel() == 0) return y;
        if (in == 0) {
            backend.fill(y, 0f);
            if (bias != null) backend.check(Native.biasActivation(CudaBackend.p(y), CudaBackend.p(bias), n, out, 1, 0, 0f, backend.stream()), op, x, w, bias);
        } else if (cublas != null) {
            cublas.sgemm(op + " " + CudaBackend.shapes(x, w), LinearGemms.forward(n, in, out, CudaBackend.address(x), CudaBackend.address(w), CudaBackend.address(y)));
            if (bias != null) backend.check(Native.biasActivation(CudaBackend.p(y), CudaBackend.p(bias), n, out, 1, 0, 0f, backend.stream()), op, x, w, bias);
        } else {
            gemm(op, false, true, n, out, in, x, in, w, in, bias, y, out, x, w, bias);
        }
        return y;
    }

    /** dx (N,in) = dy w. */
    Tensor backwardData(Tensor dy, Tensor w) {
        String op = "linearBackwardData";
        Checks.on(op, backend.device(), dy, w);
        Checks.rank(op, "dy", dy.shape(), 2);
        Checks.rank(op, "w", w.shape(), 2);
        int n = dy.dim(0), out = dy.dim(1), in = w.dim(1);
        if (w.dim(0) != out) throw new IllegalArgumentException(op + ": dy " + dy.shape() + " has " + out + " outputs but w " + w.shape() + " has " + w.dim(0));
        var dx = backend.alloc(op, Shape.of(n, in));
        if (dx.numel() == 0) return dx;
        if (out == 0) backend.fill(dx, 0f);
        else if (cublas != null) cublas.sgemm(op + " " + CudaBackend.shapes(dy, w), LinearGemms.backwardData(n, in, out, CudaBackend.address(dy), CudaBackend.address(w), CudaBackend.address(dx)));
        else gemm(op, false, false, n, in, out, dy, out, w, in, null, dx, in, dy, w);
        return dx;
    }

    /** dw (out,in) = dy^T x. */
    Tensor backwardWeight(Tensor dy, Tensor x) {
        String op = "linearBackwardWeight";
        Checks.on(op, backend.device(), dy, x);
        Checks.rank(op, "dy", dy.shape(), 2);
        Checks.rank(op, "x", x.shape(), 2);
        int n = dy.dim(0), out = dy.dim(1), in = x.dim(1);
        if (x.dim(0) != n) throw new IllegalArgumentException(op + ": dy " + dy.shape() + " and x " + x.shape() + " differ in batch size");
        var dw = backend.alloc(op, Shape.of(out, in));
        if (dw.numel() == 0) return dw;
        if (n == 0) backend.fill(dw, 0f);
        else if (cublas != null) cublas.sgemm(op + " " + CudaBackend.shapes(dy, x), LinearGemms.backwardWeight(n, in, out, CudaBackend.address(dy), CudaBackend.address(x), CudaBackend.address(dw)));
        else gemm(op, true, false, out, in, n, dy, out, x, in, null, dw, in, dy, x);
        return dw;
    }

    /** C (m x n) = op(A) op(B) + bias through genten_gemm (row-major; see native/include/genten.h). */
    private void gemm(String op, boolean transA, boolean transB, int m, int n, int k, Tensor a, int lda, Tensor b, int ldb,
                      Tensor bias, Tensor c, int ldc, Tensor... operands) {
        MemorySegment biasPointer = bias == null ? MemorySegment.NULL : CudaBackend.p(bias);
        backend.check(Native.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, CudaBackend.p(a), lda, CudaBackend.p(b), ldb, biasPointer,
                CudaBackend.p(c), ldc, backend.mathCode(), backend.stream()), op, operands);
    }

    @Override public void close() {
        if (cublas != null) cublas.close();
    }
}
