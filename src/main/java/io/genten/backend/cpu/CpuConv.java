package io.genten.backend.cpu;

import io.genten.backend.Checks;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * Convolution (cross-correlation, NCHW, square kernels) as im2col + GEMM, one image at a time,
 * with the batch split into one contiguous chunk per thread (each chunk reuses one column buffer).
 * Per image, with col = im2col(x_n) of (Cin*K*K) x (OH*OW):
 * forward y_n = W col; backward-data dx_n = col2im(W^T dy_n); backward-filter dW += dy_n col^T,
 * one partial dW per chunk, summed in chunk order (deterministic for a given thread count).
 * A 1x1 stride-1 unpadded conv skips im2col: col is x_n itself.
 */
final class CpuConv {
    private CpuConv() {}

    /** The sizes of one conv: x (n, cin, h, w), weight (cout, cin, k, k), output (n, cout, oh, ow). */
    private record Geometry(int n, int cin, int h, int w, int cout, int k, int oh, int ow, int stride, int pad) {
        static Geometry of(Shape x, Shape w, Shape y, Conv2dSpec spec) {
            return new Geometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), y.dim(2), y.dim(3),
                    spec.stride(), spec.padding());
        }

        int plane() { return oh * ow; }
        int ckk() { return cin * k * k; }
        int xImage() { return cin * h * w; }
        int yImage() { return cout * oh * ow; }
        boolean direct() { return k == 1 && stride == 1 && pad == 0; }
        long flopsPerImage() { return 2L * cout * ckk() * plane(); }

        float[] colBuffer() { return direct() ? null : new float[ckk() * plane()]; }

        /** The column matrix of image i: x itself for a direct conv, else unfolded into buf. */
        void unfold(float[] x, int i, float[] buf) {
            if (!direct()) Im2col.im2col(x, i * xImage(), cin, h, w, k, stride, pad, oh, ow, buf);
        }
    }

    @FunctionalInterface
    private interface ChunkBody { void run(int chunk, int from, int to); }

    private static int chunks(int n) { return Math.max(1, Math.min(n, Parallel.threads())); }

    /** Runs body over contiguous batch ranges, one per chunk, in parallel. */
    private static void overBatch(int n, long workPerImage, ChunkBody body) {
        int chunks = chunks(n);
        Parallel.forEach(chunks, workPerImage * n / chunks, c -> body.run(c, n * c / chunks, n * (c + 1) / chunks));
    }

    static Tensor forward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        String op = "conv2dForward";
        var yShape = spec.outputShape(op, x.shape(), w.shape());
        if (bias != null) Checks.shape(op, "bias", bias, Shape.of(w.dim(0)));
        var g = Geometry.of(x.shape(), w.shape(), yShape, spec);
        float[] xs = x.hostArray(), ws = w.hostArray(), bs = bias == null ? null : bias.hostArray();
        float[] y = new float[yShape.size()];
        int plane = g.plane(), ckk = g.ckk();
        overBatch(g.n(), g.flopsPerImage(), (chunk, from, to) -> {
            float[] col = g.colBuffer();
            for (int i = from; i < to; i++) {
                int yOff = i * g.yImage();
                if (bs != null) {
                    for (int co = 0; co < g.cout(); co++) java.util.Arrays.fill(y, yOff + co * plane, yOff + (co + 1) * plane, bs[co]);
                }
                g.unfold(xs, i, col);
                float[] b = col == null ? xs : col;
                int bOff = col == null ? i * g.xImage() : 0;
                Gemm.sgemm(false, false, g.cout(), plane, ckk, 1f, ws, 0, ckk, b, bOff, plane, bs == null ? 0f : 1f, y, yOff, plane);
            }
        });
        return Tensor.wrap(y, yShape);
    }

    static Tensor backwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        String op = "conv2dBackwardData";
        Checks.rank(op, "xShape", xShape, 4);
        Checks.rank(op, "dy", dy.shape(), 4);
        var yShape = spec.outputShape(op, xShape, w.shape());
        if (!dy.shape().equals(yShape)) {
            throw new IllegalArgumentException(op + ": dy " + dy.shape() + " does not match the output " + yShape
                    + " of x " + xShape + " and weight " + w.shape() + " with " + spec);
        }
        var g = Geometry.of(xShape, w.shape(), yShape, spec);
        float[] dys = dy.hostArray(), ws = w.hostArray();
        float[] dx = new float[xShape.size()];
        int plane = g.plane(), ckk = g.ckk();
        overBatch(g.n(), g.flopsPerImage(), (chunk, from, to) -> {
            float[] col = g.colBuffer();
            for (int i = from; i < to; i++) {
                if (col == null) {
                    Gemm.sgemm(true, false, ckk, plane, g.cout(), 1f, ws, 0, ckk, dys, i * g.yImage(), plane, 0f, dx, i * g.xImage(), plane);
                } else {
                    Gemm.sgemm(true, false, ckk, plane, g.cout(), 1f, ws, 0, ckk, dys, i * g.yImage(), plane, 0f, col, 0, plane);
                    Im2col.col2imAdd(col, g.cin(), g.h(), g.w(), g.k(), g.stride(), g.pad(), g.oh(), g.ow(), dx, i * g.xImage());
                }
            }
        });
        return Tensor.wrap(dx, xShape);
    }

    static Tensor backwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        String op = "conv2dBackwardFilter";
        Checks.rank(op, "wShape", wShape, 4);
        Checks.rank(op, "dy", dy.shape(), 4);
        var yShape = spec.outputShape(op, x.shape(), wShape);
        if (!dy.shape().equals(yShape)) {
            throw new IllegalArgumentException(op + ": dy " + dy.shape() + " does not match the output " + yShape
                    + " of x " + x.shape() + " and weight " + wShape + " with " + spec);
        }
        var g = Geometry.of(x.shape(), wShape, yShape, spec);
        float[] dys = dy.hostArray(), xs = x.hostArray();
        int plane = g.plane(), ckk = g.ckk(), wSize = wShape.size();
        float[][] partials = new float[chunks(g.n())][];
        overBatch(g.n(), g.flopsPerImage(), (chunk, from, to) -> {
            float[] col = g.colBuffer();
            float[] dw = new float[wSize];
            for (int i = from; i < to; i++) {
                g.unfold(xs, i, col);
                float[] b = col == null ? xs : col;
                int bOff = col == null ? i * g.xImage() : 0;
                Gemm.sgemm(false, true, g.cout(), ckk, plane, 1f, dys, i * g.yImage(), plane, b, bOff, plane, i == from ? 0f : 1f, dw, 0, ckk);
            }
            partials[chunk] = dw;
        });
        float[] dw = partials[0];
        for (int c = 1; c < partials.length; c++) {
            float[] p = partials[c];
            for (int j = 0; j < wSize; j++) dw[j] += p[j];
        }
        return Tensor.wrap(dw, wShape);
    }

    /** Sum of dy over every dimension but 1: rank 2 (N, C) or rank 4 (N, C, H, W). */
    static Tensor biasGradient(Tensor dy) {
        var s = dy.shape();
        if (s.rank() < 2) throw new IllegalArgumentException("biasGradient: dy must have rank >= 2 (N, C, ...) but has shape " + s);
        int n = s.dim(0), c = s.dim(1), inner = s.sampleSize() / Math.max(1, c);
        if (c == 0) inner = 0;
        float[] d = dy.hostArray();
        float[] db = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double acc = 0;
            for (int i = 0; i < n; i++) {
                int off = (i * c + ch) * inner;
                for (int j = 0; j < inner; j++) acc += d[off + j];
            }
            db[ch] = (float) acc;
        }
        return Tensor.wrap(db, Shape.of(c));
    }
}
