package io.genten.backend.cpu;

import java.util.Arrays;

/**
 * Unfolds one image into the (C*K*K) x (OH*OW) column matrix of a convolution, and folds it back.
 * Row (c, ki, kj), column (oh, ow) holds x[c][oh*stride - pad + ki][ow*stride - pad + kj], or 0
 * in the padding. The valid output columns of each row are computed once, so the inner loops have
 * no bounds tests (and are plain copies at stride 1).
 */
final class Im2col {
    private Im2col() {}

    /**
     * x[xOff..] is one image (channels, h, w); its channels*k*k rows of oh*ow columns go to
     * col[colOff + row*ldCol ..] (ldCol > oh*ow when several images share one column matrix).
     */
    static void im2col(float[] x, int xOff, int channels, int h, int w, int k, int stride, int pad,
                       int oh, int ow, float[] col, int colOff, int ldCol) {
        int row = 0;
        for (int c = 0; c < channels; c++) {
            for (int ki = 0; ki < k; ki++) {
                for (int kj = 0; kj < k; kj++, row++) {
                    int lo = validLo(kj, stride, pad, ow), hi = Math.max(lo, validHi(kj, stride, pad, w, ow));
                    int base = colOff + row * ldCol;
                    for (int o = 0; o < oh; o++) {
                        int ih = o * stride - pad + ki;
                        int dst = base + o * ow;
                        if (ih < 0 || ih >= h) {
                            Arrays.fill(col, dst, dst + ow, 0f);
                            continue;
                        }
                        if (lo > 0) Arrays.fill(col, dst, dst + lo, 0f);
                        int src = xOff + (c * h + ih) * w - pad + kj; // + q*stride for output column q
                        if (stride == 1) {
                            System.arraycopy(x, src + lo, col, dst + lo, hi - lo);
                        } else {
                            for (int q = lo; q < hi; q++) col[dst + q] = x[src + q * stride];
                        }
                        if (hi < ow) Arrays.fill(col, dst + hi, dst + ow, 0f);
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: adds each column entry into its pixel of dx[dxOff..] (one image). */
    static void col2imAdd(float[] col, int colOff, int ldCol, int channels, int h, int w, int k, int stride, int pad,
                          int oh, int ow, float[] dx, int dxOff) {
        int row = 0;
        for (int c = 0; c < channels; c++) {
            for (int ki = 0; ki < k; ki++) {
                for (int kj = 0; kj < k; kj++, row++) {
                    int lo = validLo(kj, stride, pad, ow), hi = Math.max(lo, validHi(kj, stride, pad, w, ow));
                    int base = colOff + row * ldCol;
                    for (int o = 0; o < oh; o++) {
                        int ih = o * stride - pad + ki;
                        if (ih < 0 || ih >= h) continue;
                        int src = base + o * ow;
                        int dst = dxOff + (c * h + ih) * w - pad + kj;
                        if (stride == 1) {
                            for (int q = lo; q < hi; q++) dx[dst + q] += col[src + q];
                        } else {
                            for (int q = lo; q < hi; q++) dx[dst + q * stride] += col[src + q];
                        }
                    }
                }
            }
        }
    }

    /** First output column whose input column q*stride - pad + kj is >= 0. */
    static int validLo(int kj, int stride, int pad, int ow) {
        return Math.min(ow, Math.max(0, Math.ceilDiv(pad - kj, stride)));
    }

    /** One past the last output column whose input column is < w. */
    static int validHi(int kj, int stride, int pad, int w, int ow) {
        return Math.min(ow, Math.floorDiv(w - 1 + pad - kj, stride) + 1);
    }
}
