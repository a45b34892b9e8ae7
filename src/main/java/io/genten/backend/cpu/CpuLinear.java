package io.genten.backend.cpu;

import io.genten.backend.Checks;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** Linear layers, y = x w^T + b with x (N, in), w (out, in), as one GEMM each (split over threads). */
final class CpuLinear {
    private CpuLinear() {}

    static Tensor forward(Gemm gemm, Tensor x, Tensor w, Tensor bias) {
        String op = "linearForward";
        Checks.rank(op, "x", x.shape(), 2);
        Checks.rank(op, "w", w.shape(), 2);
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        if (w.dim(1) != in) {
            throw new IllegalArgumentException(op + ": x " + x.shape() + " has " + in + " features but weight " + w.shape() + " expects " + w.dim(1));
        }
        if (bias != null) Checks.shape(op, "bias", bias, Shape.of(out));
        var result = in > 0 ? CpuBackend.allocToOverwrite(Shape.of(n, out)) : CpuBackend.alloc(Shape.of(n, out));
        float[] y = result.hostArray();
        if (bias != null) {
            float[] b = bias.hostArray();
            for (int i = 0; i < n; i++) System.arraycopy(b, 0, y, i * out, out);
        }
        gemm.sgemmParallel(false, true, n, out, in, 1f, x.hostArray(), 0, Math.max(1, in), w.hostArray(), 0, Math.max(1, in),
                bias == null ? 0f : 1f, y, 0, Math.max(1, out));
        return result;
    }

    /** dx = dy w: dy (N, out), w (out, in) -> (N, in). */
    static Tensor backwardData(Gemm gemm, Tensor dy, Tensor w) {
        String op = "linearBackwardData";
        Checks.rank(op, "dy", dy.shape(), 2);
        Checks.rank(op, "w", w.shape(), 2);
        int n = dy.dim(0), out = dy.dim(1), in = w.dim(1);
        if (w.dim(0) != out) {
            throw new IllegalArgumentException(op + ": dy " + dy.shape() + " has " + out + " outputs but weight " + w.shape() + " has " + w.dim(0));
        }
        var result = out > 0 ? CpuBackend.allocToOverwrite(Shape.of(n, in)) : CpuBackend.alloc(Shape.of(n, in));
        float[] dx = result.hostArray();
        gemm.sgemmParallel(false, false, n, in, out, 1f, dy.hostArray(), 0, Math.max(1, out), w.hostArray(), 0, Math.max(1, in),
                0f, dx, 0, Math.max(1, in));
        return result;
    }

    /** dw = dy^T x: dy (N, out), x (N, in) -> (out, in). */
    static Tensor backwardWeight(Gemm gemm, Tensor dy, Tensor x) {
        String op = "linearBackwardWeight";
        Checks.rank(op, "dy", dy.shape(), 2);
        Checks.rank(op, "x", x.shape(), 2);
        int n = dy.dim(0), out = dy.dim(1), in = x.dim(1);
        if (x.dim(0) != n) {
            throw new IllegalArgumentException(op + ": dy " + dy.shape() + " and x " + x.shape() + " have different batch sizes");
        }
        var result = n > 0 ? CpuBackend.allocToOverwrite(Shape.of(out, in)) : CpuBackend.alloc(Shape.of(out, in));
        float[] dw = result.hostArray();
        gemm.sgemmParallel(true, false, out, in, n, 1f, dy.hostArray(), 0, Math.max(1, out), x.hostArray(), 0, Math.max(1, in),
                0f, dw, 0, Math.max(1, in));
        return result;
    }
}
