package io.genten.backend.cpu;

import java.util.Arrays;

/**
 * The GEMMs of a convolution unfolded by output pixel ({@link PixelUnfold}), for a range of the
 * batch: the forward (Y^T = col Wt, transposed into y), backward-data (col^T = dY^T W, folded
 * into dx) and the filter gradient (dW += dY col).
 *
 * <p>Images go through in groups of up to {@code group}, side by side in one matrix. Where the
 * unfold skips padding rows, the matrix's rows run (output row o, image, output column), so that
 * for kernel row ki the output rows that see the image ([rowsFrom(ki), rowsTo(ki))) are one
 * contiguous range of rows, and each GEMM runs over that range and ki's block of columns only:
 * 17% fewer multiply-adds for a stride-1 5x5 conv on 7x7 maps, 9% at stride 2. Elsewhere they run
 * (image, pixel), whose gathers and transposes move whole planes (interleaved rows made the VAE's
 * convs up to 30% slower: its encoder's second conv forward 1.6 -> 2.0 ms).
 * Scratch comes from the calling thread's {@link Workspace}.
 */
final class PixelConv {
    private final Gemm gemm;
    private final PixelUnfold unfold;
    private final int cout, group, oh, ow, plane, ckk;
    /**
     * The GEMMs' bands: columns [bandStart, bandStart + bandWidth) over output rows [rowsFrom,
     * rowsTo), one per kernel row, or one band of everything where the unfold skips nothing.
     */
    private final int[] bandStart, bandWidth, rowsFrom, rowsTo;
    /** A band that covers every output row (the first GEMM then sets Y^T), or -1. */
    private final int coveringBand;
    /** Rows ordered (output row, image, output column), else (image, output row, output column). */
    private final boolean interleaved;

    PixelConv(Gemm gemm, PixelUnfold unfold, int cout, int group) {
        this.gemm = gemm;
        this.unfold = unfold;
        this.cout = cout;
        this.group = group;
        this.oh = unfold.outputRows();
        this.ow = unfold.outputColumns();
        this.plane = oh * ow;
        this.ckk = unfold.columns();
        int bands = unfold.skipsNothing() ? 1 : unfold.kernelRows();
        this.bandStart = new int[bands];
        this.bandWidth = new int[bands];
        this.rowsFrom = new int[bands];
        this.rowsTo = new int[bands];
        int covering = -1;
        for (int b = 0; b < bands; b++) {
            bandStart[b] = bands == 1 ? 0 : unfold.blockStart(b);
            bandWidth[b] = bands == 1 ? ckk : unfold.blockWidth();
            rowsFrom[b] = bands == 1 ? 0 : unfold.rowsFrom(b);
            rowsTo[b] = bands == 1 ? oh : unfold.rowsTo(b);
            if (covering < 0 && rowsFrom[b] == 0 && rowsTo[b] == oh) covering = b;
        }
        this.coveringBand = covering;
        this.interleaved = bands > 1;
    }

    /** The unfolding (its weight packing and unpacking go with these GEMMs). */
    PixelUnfold unfold() { return unfold; }

    /** The first row of band b in a group of gs images. */
    private int bandFirstRow(int b, int gs) { return rowsFrom[b] * gs * ow; }

    /** The rows of band b in a group of gs images. */
    private int bandRows(int b, int gs) { return (rowsTo[b] - rowsFrom[b]) * gs * ow; }

    /** The row of image j's pixel (0, 0) in a group of gs. */
    private int firstRow(int j) { return interleaved ? j * ow : j * plane; }

    /** Rows from one output row of an image to its next. */
    private int rowStride(int gs) { return interleaved ? gs * ow : ow; }

    private int yImage() { return cout * plane; }

    /**
     * y for images [from, to) (plus bias when not null) from Wt, the weight packed transposed
     * ({@link PixelUnfold#packWeightTransposed}); when dys is not null, also adds the filter
     * gradient of dys against the same unfolding into dw (packed order, cout x columns).
     */
    void forward(float[] xs, float[] wt, float[] bias, float[] y, int from, int to, float[] dys, float[] dw) {
        float[] col = Workspace.floats(Workspace.Slot.COLUMNS, ckk * group * plane);
        float[] buf = Workspace.floats(Workspace.Slot.GATHERED, cout * group * plane);
        for (int i0 = from; i0 < to; i0 += group) {
            int gs = Math.min(group, to - i0), rows = gs * plane;
            unfoldGroup(xs, i0, gs, col);
            if (dys != null) filterGradient(dys, i0, gs, col, buf, dw); // before buf holds Y^T
            if (coveringBand >= 0) bandGemmForward(coveringBand, gs, col, wt, 0f, buf);
            else Arrays.fill(buf, 0, rows * cout, 0f);
            for (int b = 0; b < bandStart.length; b++) {
                if (b != coveringBand) bandGemmForward(b, gs, col, wt, 1f, buf);
            }
            int stride = rowStride(gs);
            for (int j = 0; j < gs; j++) {
                for (int c = 0; c < cout; c++) {
                    int dst = ((i0 + j) * cout + c) * plane;
                    float b = bias == null ? 0f : bias[c];
                    if (!interleaved) { // one run of rows: the plane in one loop
                        int src = firstRow(j) * cout + c;
                        for (int q = 0; q < plane; q++) y[dst + q] = buf[src + q * cout] + b;
                        continue;
                    }
                    for (int o = 0; o < oh; o++) {
                        int src = (firstRow(j) + o * stride) * cout + c, d = dst + o * ow;
                        for (int q = 0; q < ow; q++) y[d + q] = buf[src + q * cout] + b;
                    }
                }
            }
        }
    }

    /** Y^T's rows of band b (times beta) += col's rows and columns of b times Wt's rows of b. */
    private void bandGemmForward(int b, int gs, float[] col, float[] wt, float beta, float[] yT) {
        int r0 = bandFirstRow(b, gs), m = bandRows(b, gs), c0 = bandStart[b];
        if (m == 0) return;
        gemm.sgemm(false, false, m, cout, bandWidth[b], 1f, col, r0 * ckk + c0, ckk, wt, c0 * cout, cout, beta, yT, r0 * cout, cout);
    }

    /** Adds into dx the input gradient of images [from, to) from dy and W packed ({@link PixelUnfold#packWeight}). */
    void backwardData(float[] dys, float[] wk, float[] dx, int from, int to) {
        float[] col = Workspace.floats(Workspace.Slot.COLUMNS, ckk * group * plane);
        float[] buf = Workspace.floats(Workspace.Slot.GATHERED, cout * group * plane);
        for (int i0 = from; i0 < to; i0 += group) {
            int gs = Math.min(group, to - i0), rows = gs * plane;
            float[] a = gatherRows(dys, i0, gs, buf);
            int aOff = a == dys ? i0 * yImage() : 0;
            for (int b = 0; b < bandStart.length; b++) { // col^T's rows and columns of b = dY^T's rows of b times W's columns of b
                int r0 = bandFirstRow(b, gs), m = bandRows(b, gs), c0 = bandStart[b];
                if (m == 0) continue;
                gemm.sgemm(true, false, m, bandWidth[b], cout, 1f, a, aOff + r0, rows, wk, c0, ckk, 0f, col, r0 * ckk + c0, ckk);
            }
            for (int j = 0; j < gs; j++) unfold.foldAdd(col, firstRow(j) * ckk, rowStride(gs), dx, (i0 + j) * unfold.imageSize());
        }
    }

    /** Adds into dw (packed order) the filter gradient of images [from, to). */
    void backwardFilter(float[] dys, float[] xs, float[] dw, int from, int to) {
        float[] col = Workspace.floats(Workspace.Slot.COLUMNS, ckk * group * plane);
        float[] buf = Workspace.floats(Workspace.Slot.GATHERED, cout * group * plane);
        for (int i0 = from; i0 < to; i0 += group) {
            int gs = Math.min(group, to - i0);
            unfoldGroup(xs, i0, gs, col);
            filterGradient(dys, i0, gs, col, buf, dw);
        }
    }

    private void unfoldGroup(float[] xs, int i0, int gs, float[] col) {
        for (int j = 0; j < gs; j++) unfold.unfold(xs, (i0 + j) * unfold.imageSize(), col, firstRow(j) * ckk, rowStride(gs));
    }

    /** dW's columns of each band += dY's rows of the band times col's (dw starts zeroed: skipped rows add nothing). */
    private void filterGradient(float[] dys, int i0, int gs, float[] col, float[] buf, float[] dw) {
        int rows = gs * plane;
        float[] a = gatherRows(dys, i0, gs, buf);
        int aOff = a == dys ? i0 * yImage() : 0;
        for (int b = 0; b < bandStart.length; b++) {
            int r0 = bandFirstRow(b, gs), m = bandRows(b, gs), c0 = bandStart[b];
            if (m == 0) continue;
            gemm.sgemm(false, false, cout, bandWidth[b], m, 1f, a, aOff + r0, rows, col, r0 * ckk + c0, ckk, 1f, dw, c0, ckk);
        }
    }

    /**
     * Images [i0, i0+gs) of a (n, cout, oh, ow) tensor as (cout, rows), rows in this conv's order:
     * buf, or t itself for one image (the same order).
     */
    private float[] gatherRows(float[] t, int i0, int gs, float[] buf) {
        if (gs == 1) return t;
        int rows = gs * plane;
        if (!interleaved) {
            for (int c = 0; c < cout; c++)
                for (int j = 0; j < gs; j++) System.arraycopy(t, ((i0 + j) * cout + c) * plane, buf, c * rows + j * plane, plane);
            return buf;
        }
        // written in order, one output row of each image in turn: copying 7-float rows with
        // System.arraycopy cost 2% of a DCGAN step
        for (int c = 0, d = 0; c < cout; c++) {
            for (int o = 0; o < oh; o++) {
                for (int j = 0; j < gs; j++) {
                    int src = ((i0 + j) * cout + c) * plane + o * ow;
                    for (int q = 0; q < ow; q++) buf[d++] = t[src + q];
                }
            }
        }
        return buf;
    }
}
