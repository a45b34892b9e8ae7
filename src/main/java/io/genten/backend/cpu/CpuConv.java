package io.genten.backend.cpu;

import io.genten.backend.Checks;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.Arrays;

/**
 * Convolution (cross-correlation, NCHW, square kernels) as im2col + GEMM.
 *
 * <p>The batch is split into one contiguous chunk per thread; each chunk walks its images in
 * groups of G whose columns sit side by side in one column matrix col of (Cin*K*K) x (G*OH*OW),
 * so that a small feature map (7x7) still gives a GEMM wide enough for OpenBLAS to run near
 * peak. Per group: forward Y = W col; backward-data col = W^T dY, then col2im; backward-filter
 * dW += dY col^T, one partial dW per chunk, summed in chunk order (deterministic for a given
 * thread count). Forward and backward-data align their chunks to whole groups, so that their
 * results do not depend on the thread count at all. With G > 1, Y and dY are gathered/scattered between (G, C, P) and (C, G*P).
 * Convs with very few output channels run {@link TapPlanes}' GEMMs instead, and convs with
 * {@link #PIXEL_UNFOLD_MIN_CHANNELS} or more input channels unfold by output pixel and run
 * {@link PixelConv}'s GEMMs (which skip the rows that would multiply padding).
 */
final class CpuConv {
    private CpuConv() {}

    /**
     * Columns per GEMM worth aiming for. Measured at batch 64 on 2 cores: grouping took the 7x7
     * layers from ~35 to 60-170 GFLOP/s over one image per GEMM; 256 and 512 were equal within
     * noise, 1024 slower (bigger scratch, worse cache use).
     */
    private static final int TARGET_COLUMNS = 256;

    /** Input channels from which {@link Geometry#byPixel} pays (the runs it copies are taps * cin long). */
    static final int PIXEL_UNFOLD_MIN_CHANNELS = 16;

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
        long flopsPerImage() { return 2L * cout * ckk() * plane(); }
        /** Few output channels: {@link TapPlanes} instead of a matrix-vector-shaped GEMM. */
        boolean direct() { return cout <= TapPlanes.MAX_COUT; }
        TapPlanes.Shape tapPlanes() { return new TapPlanes.Shape(cin, h, w, cout, k, stride, pad, oh, ow); }
        /**
         * Images per GEMM: a power of two near TARGET_COLUMNS / plane, so that the power-of-two
         * batches split into equal chunks (at batch 64 and 7x7 planes, groups of 6 made 11 groups,
         * 30 and 34 images on two threads; groups of 4 make 16). It must not depend on the thread
         * count: forward and backward-data results are the same for every thread setting.
         */
        int group() { return Math.max(1, Math.min(n, Integer.highestOneBit(Math.ceilDiv(TARGET_COLUMNS, Math.max(1, plane()))))); }

        /**
         * Unfold by output pixel ({@link PixelUnfold}) rather than by tap ({@link Im2col}). Measured
         * per image on 2 cores (im2col, col2im): 128ch 7x7 5x5 s1 390 -> 42 and 114 -> 69 us; 64ch
         * 14x14 5x5 s2 92 -> 20 and 65 -> 75 us; 32ch 14x14 3x3 s2 16 -> 9 and 17 -> 11 us; but with
         * one input channel the runs are single taps and it is 3-5x slower (4 -> 12 us at 28x28).
         */
        boolean byPixel() { return cin >= PIXEL_UNFOLD_MIN_CHANNELS; }

        PixelUnfold pixelUnfold() { return new PixelUnfold(cin, h, w, k, stride, pad, oh, ow); }

        /** Unfolds images [i0, i0+gs) of x into col, side by side. */
        void unfold(float[] x, int i0, int gs, float[] col) {
            for (int j = 0; j < gs; j++) {
                Im2col.im2col(x, (i0 + j) * xImage(), cin, h, w, k, stride, pad, oh, ow, col, j * plane(), gs * plane());
            }
        }

        /** Copies images [i0, i0+gs) of a (n, cout, P) tensor into buf as (cout, gs*P). */
        void gather(float[] y, int i0, int gs, float[] buf) {
            int p = plane();
            for (int j = 0; j < gs; j++)
                for (int c = 0; c < cout; c++) System.arraycopy(y, ((i0 + j) * cout + c) * p, buf, (c * gs + j) * p, p);
        }
    }

    @FunctionalInterface
    private interface ChunkBody { void run(int chunk, int from, int to); }

    private static int chunks(int n) { return Math.max(1, Math.min(n, Parallel.threads())); }

    /**
     * Runs body over contiguous batch ranges whose bounds are multiples of {@code group}, one per
     * chunk, in parallel: every group of images then forms the same GEMM whatever the thread count,
     * so forward and backward-data give the same bits for every thread setting.
     */
    private static void overGroups(int n, int group, long workPerImage, ChunkBody body) {
        int groups = Math.ceilDiv(n, group);
        int chunks = Math.max(1, Math.min(groups, Parallel.threads()));
        Parallel.forEach(chunks, workPerImage * n / chunks, c -> body.run(c,
                Math.min(n, group * (int) ((long) groups * c / chunks)), Math.min(n, group * (int) ((long) groups * (c + 1) / chunks))));
    }

    /** Runs body over contiguous batch ranges, one per chunk, in parallel. */
    private static void overBatch(int n, long workPerImage, ChunkBody body) {
        int chunks = chunks(n);
        Parallel.forEach(chunks, workPerImage * n / chunks, c -> body.run(c, n * c / chunks, n * (c + 1) / chunks));
    }

    static Tensor forward(Gemm gemm, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        return forward(gemm, x, w, bias, spec, null)[0];
    }

    /** Whether {@link #forwardAndFilterGradient} shares its unfolding (else it is just the two ops). */
    static boolean sharesUnfolding(Shape x, Shape w, Conv2dSpec spec) {
        var g = Geometry.of(x, w, spec.outputShape("conv2d", x, w), spec);
        return g.byPixel() && !g.direct();
    }

    /**
     * y = conv(x, w) and dw = the filter gradient of dy against the same x, from one unfolding of
     * x: a transposed conv's backward is exactly this pair (its dy is this x). dw is summed over
     * the chunks of the batch in chunk order: deterministic for a given thread count.
     */
    static Tensor[] forwardAndFilterGradient(Gemm gemm, Tensor x, Tensor w, Tensor dy, Conv2dSpec spec) {
        return forward(gemm, x, w, null, spec, dy);
    }

    /** The forward, and the filter gradient of dyFilter (shaped as y) when it is not null. */
    private static Tensor[] forward(Gemm gemm, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Tensor dyFilter) {
        String op = dyFilter == null ? "conv2dForward" : "conv2dForwardAndFilterGradient";
        var yShape = spec.outputShape(op, x.shape(), w.shape());
        if (bias != null) Checks.shape(op, "bias", bias, Shape.of(w.dim(0)));
        var g = Geometry.of(x.shape(), w.shape(), yShape, spec);
        float[] xs = x.hostArray(), ws = w.hostArray(), bs = bias == null ? null : bias.hostArray();
        // every path writes all of y (the unfolding GEMMs only with a nonempty reduction)
        var yTensor = g.ckk() == 0 && !g.direct() ? CpuBackend.alloc(yShape) : CpuBackend.allocToOverwrite(yShape);
        float[] y = yTensor.hostArray();
        int p = g.plane(), ckk = g.ckk(), cout = g.cout(), group = g.group();
        if (g.direct()) {
            var shape = g.tapPlanes();
            overBatch(g.n(), g.flopsPerImage(), (chunk, from, to) -> {
                for (int i = from; i < to; i++) TapPlanes.forward(gemm, shape, xs, i * g.xImage(), ws, bs, y, i * g.yImage());
            });
            return new Tensor[] {yTensor};
        }
        boolean byPixel = g.byPixel();
        if (dyFilter != null && !byPixel) throw new IllegalStateException(op + ": shares no unfolding at " + x.shape() + ", " + w.shape());
        if (dyFilter != null && !dyFilter.shape().equals(yShape)) {
            throw new IllegalArgumentException(op + ": dy " + dyFilter.shape() + " does not match the output " + yShape
                    + " of x " + x.shape() + " and weight " + w.shape() + " with " + spec);
        }
        float[] dys = dyFilter == null ? null : dyFilter.hostArray();
        var partials = dys == null ? null : zeroedPartials(Math.max(1, Math.min(Math.ceilDiv(g.n(), group), Parallel.threads())), w.shape());
        var pixel = byPixel ? new PixelConv(gemm, g.pixelUnfold(), cout, group) : null;
        if (pixel != null) {
            float[] wt = pixel.unfold().packWeightTransposed(ws, cout, Workspace.floats(Workspace.Slot.PACKED_WEIGHT, cout * ckk));
            overGroups(g.n(), group, g.flopsPerImage(), (chunk, from, to) ->
                    pixel.forward(xs, wt, bs, y, from, to, dys, partials == null ? null : partials[chunk].hostArray()));
        } else {
            overGroups(g.n(), group, g.flopsPerImage(), (chunk, from, to) -> {
                float[] col = Workspace.floats(Workspace.Slot.COLUMNS, ckk * group * p);
                float[] buf = group > 1 ? Workspace.floats(Workspace.Slot.GATHERED, cout * group * p) : null;
                for (int i0 = from; i0 < to; i0 += group) {
                    int gs = Math.min(group, to - i0);
                    g.unfold(xs, i0, gs, col);
                    if (gs == 1) {
                        int yOff = i0 * g.yImage();
                        if (bs != null) for (int c = 0; c < cout; c++) Arrays.fill(y, yOff + c * p, yOff + (c + 1) * p, bs[c]);
                        gemm.sgemm(false, false, cout, p, ckk, 1f, ws, 0, ckk, col, 0, gs * p, bs == null ? 0f : 1f, y, yOff, p);
                        continue;
                    }
                    gemm.sgemm(false, false, cout, gs * p, ckk, 1f, ws, 0, ckk, col, 0, gs * p, 0f, buf, 0, gs * p);
                    for (int j = 0; j < gs; j++) {
                        for (int c = 0; c < cout; c++) {
                            int src = (c * gs + j) * p, dst = ((i0 + j) * cout + c) * p;
                            System.arraycopy(buf, src, y, dst, p);
                            if (bs != null) for (int q = dst; q < dst + p; q++) y[q] += bs[c]; // one array: vectorized (see Aligned)
                        }
                    }
                }
            });
        }
        if (dys == null) return new Tensor[] {yTensor};
        var dw = CpuBackend.allocToOverwrite(w.shape());
        pixel.unfold().unpackWeight(sumInOrder(partials), cout, dw.hostArray());
        closeAll(partials, 0);
        return new Tensor[] {yTensor, dw};
    }

    static Tensor backwardData(Gemm gemm, Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
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
        // the tap planes' GEMM writes all of dx (given an output channel); the folds add into it
        var dxTensor = g.direct() && g.cout() > 0 ? CpuBackend.allocToOverwrite(xShape) : CpuBackend.alloc(xShape);
        float[] dx = dxTensor.hostArray();
        int p = g.plane(), ckk = g.ckk(), cout = g.cout(), group = g.group();
        if (g.direct()) {
            var shape = g.tapPlanes();
            overBatch(g.n(), g.flopsPerImage(), (chunk, from, to) -> {
                for (int i = from; i < to; i++) TapPlanes.backwardData(gemm, shape, dys, i * g.yImage(), ws, dx, i * g.xImage());
            });
            return dxTensor;
        }
        if (g.byPixel()) {
            var pixel = new PixelConv(gemm, g.pixelUnfold(), cout, group);
            float[] wk = pixel.unfold().packWeight(ws, cout, Workspace.floats(Workspace.Slot.PACKED_WEIGHT, cout * ckk));
            overGroups(g.n(), group, g.flopsPerImage(), (chunk, from, to) -> pixel.backwardData(dys, wk, dx, from, to));
            return dxTensor;
        }
        overGroups(g.n(), group, g.flopsPerImage(), (chunk, from, to) -> {
            float[] col = Workspace.floats(Workspace.Slot.COLUMNS, ckk * group * p);
            float[] buf = group > 1 ? Workspace.floats(Workspace.Slot.GATHERED, cout * group * p) : null;
            for (int i0 = from; i0 < to; i0 += group) {
                int gs = Math.min(group, to - i0);
                float[] a = dys;
                int aOff = i0 * g.yImage();
                if (gs > 1) {
                    g.gather(dys, i0, gs, buf);
                    a = buf;
                    aOff = 0;
                }
                gemm.sgemm(true, false, ckk, gs * p, cout, 1f, ws, 0, ckk, a, aOff, gs * p, 0f, col, 0, gs * p);
                for (int j = 0; j < gs; j++) {
                    Im2col.col2imAdd(col, j * p, gs * p, g.cin(), g.h(), g.w(), g.k(), g.stride(), g.pad(), g.oh(), g.ow(),
                            dx, (i0 + j) * g.xImage());
                }
            }
        });
        return dxTensor;
    }

    static Tensor backwardFilter(Gemm gemm, Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
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
        int p = g.plane(), ckk = g.ckk(), cout = g.cout(), group = g.group();
        var partials = zeroedPartials(chunks(g.n()), wShape);
        boolean direct = g.direct();
        var pixel = !direct && g.byPixel() ? new PixelConv(gemm, g.pixelUnfold(), cout, group) : null;
        var shape = direct ? g.tapPlanes() : null;
        overBatch(g.n(), g.flopsPerImage(), (chunk, from, to) -> {
            float[] dw = partials[chunk].hostArray();
            if (direct) {
                for (int i = from; i < to; i++) TapPlanes.backwardFilter(gemm, shape, dys, i * g.yImage(), xs, i * g.xImage(), dw);
                return;
            }
            if (pixel != null) {
                pixel.backwardFilter(dys, xs, dw, from, to);
                return;
            }
            float[] col = Workspace.floats(Workspace.Slot.COLUMNS, ckk * group * p);
            float[] buf = group > 1 ? Workspace.floats(Workspace.Slot.GATHERED, cout * group * p) : null;
            for (int i0 = from; i0 < to; i0 += group) {
                int gs = Math.min(group, to - i0);
                g.unfold(xs, i0, gs, col);
                float[] a = dys;
                int aOff = i0 * g.yImage();
                if (gs > 1) {
                    g.gather(dys, i0, gs, buf);
                    a = buf;
                    aOff = 0;
                }
                gemm.sgemm(false, true, cout, ckk, gs * p, 1f, a, aOff, gs * p, col, 0, gs * p, i0 == from ? 0f : 1f, dw, 0, ckk);
            }
        });
        float[] sum = sumInOrder(partials);
        if (pixel == null) {
            closeAll(partials, 1);
            return partials[0];
        }
        var dw = CpuBackend.allocToOverwrite(wShape);
        pixel.unfold().unpackWeight(sum, cout, dw.hostArray());
        closeAll(partials, 0);
        return dw;
    }

    /**
     * One zeroed partial filter gradient per chunk, from the pool and back to it once summed: per
     * call they had been new arrays (6.6 MB per call of the DCGAN's 256 -> 128 transposed conv on
     * two threads), which the first training step takes from memory new to the process.
     */
    private static Tensor[] zeroedPartials(int chunks, Shape wShape) {
        var partials = new Tensor[chunks];
        for (int c = 0; c < chunks; c++) partials[c] = CpuBackend.alloc(wShape);
        return partials;
    }

    /** The chunks' partial filter gradients summed into the first, in chunk order (deterministic for a thread count). */
    private static float[] sumInOrder(Tensor[] partials) {
        float[] sum = partials[0].hostArray();
        for (int c = 1; c < partials.length; c++) {
            float[] q = partials[c].hostArray();
            for (int j = 0; j < sum.length; j++) sum[j] += q[j];
        }
        return sum;
    }

    private static void closeAll(Tensor[] tensors, int from) {
        for (int i = from; i < tensors.length; i++) tensors[i].close();
    }

    /** Sum of dy over every dimension but 1: rank 2 (N, C) or rank 4 (N, C, H, W). */
    static Tensor biasGradient(Tensor dy) {
        var s = dy.shape();
        if (s.rank() < 2) throw new IllegalArgumentException("biasGradient: dy must have rank >= 2 (N, C, ...) but has shape " + s);
        int n = s.dim(0), c = s.dim(1), inner = c == 0 ? 0 : s.sampleSize() / c;
        float[] d = dy.hostArray();
        float[] db = new float[c];
        if (inner == 1) { // (N, C): along the rows, a double per channel (vectorized)
            double[] acc = new double[c];
            for (int i = 0; i < n; i++) Sums.accumulate(acc, d, i * c, c);
            for (int ch = 0; ch < c; ch++) db[ch] = (float) acc[ch];
        } else {
            Parallel.forEach(c, (long) n * inner, ch -> {
                double[] lanes = new double[inner];
                for (int i = 0; i < n; i++) Sums.accumulate(lanes, d, (i * c + ch) * inner, inner);
                db[ch] = (float) Sums.drain(lanes, inner);
            });
        }
        return Tensor.wrap(db, Shape.of(c));
    }
}
