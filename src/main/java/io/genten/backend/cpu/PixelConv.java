package io.genten.backend.cpu;

/**
 * The GEMMs of a convolution unfolded by output pixel ({@link PixelUnfold}), for a range of the
 * batch: the forward (Y^T = col Wt, transposed into y), backward-data (col^T = dY^T W, folded
 * into dx) and the filter gradient (dW += dY col).
 *
 * <p>Images go through in groups of up to {@code group}, side by side in one matrix whose rows
 * run (output row o, image, output column), so that for kernel row ki the output rows that see
 * the image ([rowsFrom(ki), rowsTo(ki))) are one contiguous range of rows, and each GEMM runs over
 * that range and ki's block of columns only: the rows that would multiply padding are skipped,
 * 17% of the multiply-adds of a stride-1 5x5 conv on 7x7 maps and 9% at stride 2.
 * Scratch comes from the calling thread's {@link Workspace}.
 */
final class PixelConv {
    private final Gemm gemm;
    private final PixelUnfold unfold;
    private final int cout, group, oh, ow, plane, ckk, blockWidth;
    /** A kernel row whose rows cover every output row (the first GEMM then sets Y^T), or -1. */
    private final int coveringRow;

    PixelConv(Gemm gemm, PixelUnfold unfold, int cout, int group) {
        this.gemm = gemm;
        this.unfold = unfold;
        this.cout = cout;
        this.group = group;
        this.oh = unfold.outputRows();
        this.ow = unfold.outputColumns();
        this.plane = oh * ow;
        this.ckk = unfold.columns();
        this.blockWidth = unfold.blockWidth();
        int covering = -1;
        for (int ki = 0; ki < unfold.kernelRows() && covering < 0; ki++) {
            if (unfold.rowsFrom(ki) == 0 && unfold.rowsTo(ki) == oh) covering = ki;
        }
        this.coveringRow = covering;
    }

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
            boolean set = coveringRow >= 0;
            if (set) blockGemmForward(coveringRow, gs, col, wt, 0f, buf);
            else java.util.Arrays.fill(buf, 0, rows * cout, 0f);
            for (int ki = 0; ki < unfold.kernelRows(); ki++) {
                if (ki != coveringRow) blockGemmForward(ki, gs, col, wt, 1f, buf);
            }
            for (int j = 0; j < gs; j++) {
                for (int c = 0; c < cout; c++) {
                    int dst = ((i0 + j) * cout + c) * plane;
                    float b = bias == null ? 0f : bias[c];
                    for (int o = 0; o < oh; o++) {
                        int src = ((o * gs + j) * ow) * cout + c, d = dst + o * ow;
                        for (int q = 0; q < ow; q++) y[d + q] = buf[src + q * cout] + b;
                    }
                }
            }
        }
    }

    /** Y^T rows of kernel row ki += col's block ki times Wt's block ki. */
    private void blockGemmForward(int ki, int gs, float[] col, float[] wt, float beta, float[] yT) {
        int r0 = unfold.rowsFrom(ki) * gs * ow, m = (unfold.rowsTo(ki) - unfold.rowsFrom(ki)) * gs * ow, c0 = unfold.blockStart(ki);
        if (m == 0) return;
        gemm.sgemm(false, false, m, cout, blockWidth, 1f, col, r0 * ckk + c0, ckk, wt, c0 * cout, cout, beta, yT, r0 * cout, cout);
    }

    /** Adds into dx the input gradient of images [from, to) from dy and W packed ({@link PixelUnfold#packWeight}). */
    void backwardData(float[] dys, float[] wk, float[] dx, int from, int to) {
        float[] col = Workspace.floats(Workspace.Slot.COLUMNS, ckk * group * plane);
        float[] buf = Workspace.floats(Workspace.Slot.GATHERED, cout * group * plane);
        for (int i0 = from; i0 < to; i0 += group) {
            int gs = Math.min(group, to - i0), rows = gs * plane;
            float[] a = gatherRows(dys, i0, gs, buf);
            int aOff = a == dys ? i0 * yImage() : 0;
            for (int ki = 0; ki < unfold.kernelRows(); ki++) { // col^T rows of ki = dY^T rows times W's block ki
                int r0 = unfold.rowsFrom(ki) * gs * ow, m = (unfold.rowsTo(ki) - unfold.rowsFrom(ki)) * gs * ow, c0 = unfold.blockStart(ki);
                if (m == 0) continue;
                gemm.sgemm(true, false, m, blockWidth, cout, 1f, a, aOff + r0, rows, wk, c0, ckk, 0f, col, r0 * ckk + c0, ckk);
            }
            for (int j = 0; j < gs; j++) unfold.foldAdd(col, j * ow * ckk, gs * ow, dx, (i0 + j) * unfold.imageSize());
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
        for (int j = 0; j < gs; j++) unfold.unfold(xs, (i0 + j) * unfold.imageSize(), col, j * ow * ckk, gs * ow);
    }

    /** dW's block ki += dY's rows of ki times col's rows and block ki (dw starts zeroed: rows seeing nothing add nothing). */
    private void filterGradient(float[] dys, int i0, int gs, float[] col, float[] buf, float[] dw) {
        int rows = gs * plane;
        float[] a = gatherRows(dys, i0, gs, buf);
        int aOff = a == dys ? i0 * yImage() : 0;
        for (int ki = 0; ki < unfold.kernelRows(); ki++) {
            int r0 = unfold.rowsFrom(ki) * gs * ow, m = (unfold.rowsTo(ki) - unfold.rowsFrom(ki)) * gs * ow, c0 = unfold.blockStart(ki);
            if (m == 0) continue;
            gemm.sgemm(false, false, cout, blockWidth, m, 1f, a, aOff + r0, rows, col, r0 * ckk + c0, ckk, 1f, dw, c0, ckk);
        }
    }

    /**
     * Images [i0, i0+gs) of a (n, cout, oh, ow) tensor as (cout, rows), rows ordered (o, image, q):
     * buf, or t itself for one image (the same order).
     */
    private float[] gatherRows(float[] t, int i0, int gs, float[] buf) {
        if (gs == 1) return t;
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
