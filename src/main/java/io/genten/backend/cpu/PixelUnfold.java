package io.genten.backend.cpu;

import java.util.Arrays;

/**
 * The unfolded (im2col) matrix of a convolution with one row per output pixel, built from long
 * contiguous copies.
 *
 * <p>{@link Im2col}'s layout (one row per (channel, ki, kj), one column per output pixel) is made
 * of runs of one output row each, 7 or 14 floats at our model shapes, and ran at 1-3 GB/s, a
 * quarter of a DCGAN step on the CPU. Here each image is first copied once into a zero-padded,
 * channels-last staging buffer split into the stride's phases ({@code stride * stride} planes,
 * phase (a, b) holding the padded input's rows a, a+s, ... and columns b, b+s, ...), so that for
 * an output pixel and a kernel row ki, the taps kj of one phase and all input channels are one
 * contiguous run of {@code taps * cin} floats. Each output pixel's row of the unfolded matrix is
 * then {@code k * stride} copies of hundreds of floats.
 *
 * <p>The price is a column order other than PyTorch's (cin, kh, kw): columns run (ki, phase b,
 * tap t, channel) with kj = b + t * stride. The weight is permuted into that order once per call
 * ({@link #packWeight}) and its gradient back ({@link #unpackWeight}); the unfolded matrix is the
 * transpose of {@link Im2col}'s up to that permutation, which the GEMM's transpose flags absorb.
 * An instance holds only the geometry; its staging planes are the calling thread's {@link Workspace}.
 *
 * <p>The columns of kernel row ki are one block ({@link #blockStart}, {@link #blockWidth}), and an
 * output row o whose input row {@code o * stride + ki - pad} lies in the padding reads zeros there.
 * Those blocks are neither written nor read: the caller's GEMMs run per kernel row over the output
 * rows [{@link #rowsFrom}, {@link #rowsTo}) only, which at 7x7 maps and 5x5 kernels is 17% fewer
 * multiply-adds (stride 1) or 9% (stride 2). Rows are ordered (output row, image, output column)
 * when several images share one matrix, so that each kernel row's rows are one contiguous range.
 */
final class PixelUnfold {
    private final int cin, h, w, k, stride, pad, oh, ow;
    /** Staging planes: rows and columns per phase. */
    private final int ph, pw;
    /** Column of the first tap of (ki, phase b), and the taps of phase b. */
    private final int[] runStart;
    private final int[] taps;
    /** Floats of the staging planes (the stage itself comes from the thread's {@link Workspace}). */
    private final int stageLength;
    /** Output rows [rowsFrom[ki], rowsTo[ki]) see the image through kernel row ki. */
    private final int[] rowsFrom, rowsTo;

    PixelUnfold(int cin, int h, int w, int k, int stride, int pad, int oh, int ow) {
        this.cin = cin;
        this.h = h;
        this.w = w;
        this.k = k;
        this.stride = stride;
        this.pad = pad;
        this.oh = oh;
        this.ow = ow;
        this.ph = oh + (k - 1) / stride;
        this.pw = ow + (k - 1) / stride;
        this.taps = new int[stride];
        for (int b = 0; b < stride; b++) taps[b] = b < k ? Math.ceilDiv(k - b, stride) : 0;
        this.runStart = new int[k * stride];
        for (int ki = 0, col = 0; ki < k; ki++) {
            for (int b = 0; b < stride; b++) {
                runStart[ki * stride + b] = col;
                col += taps[b] * cin;
            }
        }
        this.stageLength = stride * stride * ph * pw * cin;
        this.rowsFrom = new int[k];
        this.rowsTo = new int[k];
        long seen = 0;
        for (int ki = 0; ki < k; ki++) {
            rowsFrom[ki] = Math.min(oh, Math.max(0, Math.ceilDiv(pad - ki, stride)));
            rowsTo[ki] = Math.max(rowsFrom[ki], Math.min(oh, Math.floorDiv(h - 1 + pad - ki, stride) + 1));
            seen += rowsTo[ki] - rowsFrom[ki];
        }
        if (seen * SKIP_FROM_DENOMINATOR > (long) k * oh * (SKIP_FROM_DENOMINATOR - 1)) { // too little to skip: every row, one GEMM
            Arrays.fill(rowsFrom, 0);
            Arrays.fill(rowsTo, oh);
        }
    }

    /**
     * Padding rows are skipped from 1/12 of the rows on: a 5x5 kernel on 7x7 maps skips 17% (stride
     * 1) or 9% (stride 2) and the split GEMMs gained 6-17% and 4-7%; the VAE's 3x3 kernels at stride
     * 2 would skip 2-5%, too little for three GEMMs of a third of the depth over interleaved rows:
     * split, its step ran 3% slower.
     */
    private static final int SKIP_FROM_DENOMINATOR = 12;

    /** Whether every kernel row sees every output row (no rows skipped). */
    boolean skipsNothing() {
        for (int ki = 0; ki < k; ki++) if (rowsFrom[ki] != 0 || rowsTo[ki] != oh) return false;
        return true;
    }

    /** Kernel rows (and column blocks). */
    int kernelRows() { return k; }

    /** The first output row whose input row under kernel row ki is inside the image. */
    int rowsFrom(int ki) { return rowsFrom[ki]; }

    /** One past the last such output row (at most {@link #rowsFrom}: none). */
    int rowsTo(int ki) { return rowsTo[ki]; }

    /** The first column of kernel row ki's block. */
    int blockStart(int ki) { return runStart[ki * stride]; }

    /** Columns per kernel row: k * cin. */
    int blockWidth() { return k * cin; }

    /** Output rows and columns. */
    int outputRows() { return oh; }
    int outputColumns() { return ow; }

    /** Floats of one input image: cin * h * w. */
    int imageSize() { return cin * h * w; }

    /** Whether output row o reads the image through kernel row ki (else only padding). */
    private boolean sees(int o, int ki) { return o >= rowsFrom[ki] && o < rowsTo[ki]; }

    /** Columns of the unfolded matrix: cin * k * k. */
    int columns() { return cin * k * k; }

    /** Output pixels per image: the unfolded matrix's rows per image. */
    int pixels() { return oh * ow; }

    /** The column of weight tap (ci, ki, kj). */
    int column(int ci, int ki, int kj) {
        return runStart[ki * stride + kj % stride] + (kj / stride) * cin + ci;
    }

    private int phaseBase(int a, int b) { return (a * stride + b) * ph * pw * cin; }

    /** The column of each PyTorch-ordered tap (ci, ki, kj): the permutation packWeight applies. */
    private int[] columnOfTap() {
        int[] perm = new int[columns()];
        for (int ci = 0, e = 0; ci < cin; ci++)
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++) perm[e++] = column(ci, ki, kj);
        return perm;
    }

    /** PyTorch's weight (cout, cin, k, k) in this class's column order: (cout, columns()), into packed. */
    float[] packWeight(float[] weight, int cout, float[] packed) {
        return permuteColumns(weight, cout, columns(), 1, packed);
    }

    /** {@link #packWeight}'s matrix transposed: (columns(), cout), for Y^T = col Wt, into packed. */
    float[] packWeightTransposed(float[] weight, int cout, float[] packed) {
        return permuteColumns(weight, cout, 1, cout, packed);
    }

    /** Output channels per pass of {@link #permuteColumns}: 16 floats, one cache line of the transposed matrix's row. */
    private static final int CHANNEL_BLOCK = 16;

    /**
     * weight's tap e of output channel co to {@code co * rowStride + column(e) * columnStride}, 16
     * channels at a time, so that the transposed matrix (rowStride 1) is written a cache line at a
     * time while 16 weight rows are read in order: channel by channel, each write to the
     * transposed matrix touched a line of its own, 4% of a DCGAN step. Writes packed[0, cout *
     * columns()) whole and returns it.
     */
    private float[] permuteColumns(float[] weight, int cout, int rowStride, int columnStride, float[] packed) {
        int ckk = columns();
        int[] perm = columnOfTap();
        for (int c0 = 0; c0 < cout; c0 += CHANNEL_BLOCK) {
            int c1 = Math.min(cout, c0 + CHANNEL_BLOCK);
            for (int e = 0; e < ckk; e++) {
                int dst = perm[e] * columnStride;
                for (int co = c0; co < c1; co++) packed[co * rowStride + dst] = weight[co * ckk + e];
            }
        }
        return packed;
    }

    /** The inverse of {@link #packWeight}: (cout, columns()) back to (cout, cin, k, k), written whole into weight. */
    float[] unpackWeight(float[] packed, int cout, float[] weight) {
        int ckk = columns();
        int[] perm = columnOfTap();
        for (int co = 0; co < cout; co++) {
            int base = co * ckk;
            for (int e = 0; e < ckk; e++) weight[base + e] = packed[base + perm[e]];
        }
        return weight;
    }

    /**
     * Copies image x[xOff..] (cin, h, w) into the padded, phase-split, channels-last stage, writing
     * the stage in order (a gather with stride h*w from x, whose lines the next pixels reuse): the
     * scatter the other way round, with a stride of cin floats, was several times slower.
     */
    private void stageImage(float[] x, int xOff, float[] stage) {
        int plane = h * w;
        for (int a = 0; a < stride; a++) {
            for (int b = 0; b < stride; b++) {
                int d = phaseBase(a, b);
                for (int i = 0; i < ph; i++) {
                    int ih = i * stride + a - pad;
                    if (ih < 0 || ih >= h) {
                        Arrays.fill(stage, d, d + pw * cin, 0f);
                        d += pw * cin;
                        continue;
                    }
                    for (int j = 0; j < pw; j++, d += cin) {
                        int iw = j * stride + b - pad;
                        if (iw < 0 || iw >= w) {
                            Arrays.fill(stage, d, d + cin, 0f);
                            continue;
                        }
                        int src = xOff + ih * w + iw;
                        for (int ci = 0; ci < cin; ci++) stage[d + ci] = x[src + ci * plane];
                    }
                }
            }
        }
    }

    /**
     * Writes the unfolded rows of image x[xOff..] to col[colOff..]: output pixel (o, q) at row
     * {@code o * rowStride + q}, rowStride >= ow rows apart (ow for one image alone). The blocks of
     * kernel rows that see only padding from output row o are left as they were.
     */
    void unfold(float[] x, int xOff, float[] col, int colOff, int rowStride) {
        float[] stage = Workspace.floats(Workspace.Slot.STAGE, stageLength);
        stageImage(x, xOff, stage);
        int ckk = columns();
        for (int o = 0; o < oh; o++) {
            for (int q = 0; q < ow; q++) {
                int row = colOff + (o * rowStride + q) * ckk;
                for (int ki = 0; ki < k; ki++) {
                    if (!sees(o, ki)) continue;
                    int a = ki % stride, i = o + ki / stride;
                    for (int b = 0; b < stride; b++) {
                        int len = taps[b] * cin;
                        if (len == 0) continue;
                        System.arraycopy(stage, phaseBase(a, b) + (i * pw + q) * cin, col, row + runStart[ki * stride + b], len);
                    }
                }
            }
        }
    }

    /**
     * The adjoint of {@link #unfold}: adds the rows col[colOff..] (rowStride as there) into image
     * dx[dxOff..] (cin, h, w). The blocks that unfold leaves alone are not read.
     */
    void foldAdd(float[] col, int colOff, int rowStride, float[] dx, int dxOff) {
        float[] stage = Workspace.floats(Workspace.Slot.STAGE, stageLength);
        float[] aligned = Workspace.floats(Workspace.Slot.ALIGNED, stageLength);
        Arrays.fill(stage, 0, stageLength, 0f);
        int ckk = columns();
        for (int o = 0; o < oh; o++) {
            for (int q = 0; q < ow; q++) {
                int row = colOff + (o * rowStride + q) * ckk;
                for (int ki = 0; ki < k; ki++) {
                    if (!sees(o, ki)) continue;
                    int a = ki % stride, i = o + ki / stride;
                    for (int b = 0; b < stride; b++) {
                        int len = taps[b] * cin, dst = phaseBase(a, b) + (i * pw + q) * cin, src = row + runStart[ki * stride + b];
                        if (len >= Aligned.MIN_RUN) {
                            Aligned.add(stage, dst, col, src, len, aligned);
                        } else {
                            for (int e = 0; e < len; e++) stage[dst + e] += col[src + e];
                        }
                    }
                }
            }
        }
        int plane = h * w;
        for (int a = 0; a < stride; a++) {
            for (int b = 0; b < stride; b++) {
                int base = phaseBase(a, b);
                for (int i = 0; i < ph; i++) {
                    int ih = i * stride + a - pad;
                    if (ih < 0 || ih >= h) continue;
                    for (int j = 0; j < pw; j++) {
                        int iw = j * stride + b - pad;
                        if (iw < 0 || iw >= w) continue;
                        int src = base + (i * pw + j) * cin, dst = dxOff + ih * w + iw;
                        for (int ci = 0; ci < cin; ci++) dx[dst + ci * plane] += stage[src + ci];
                    }
                }
            }
        }
    }
}
