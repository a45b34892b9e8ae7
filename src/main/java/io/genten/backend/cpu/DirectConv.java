package io.genten.backend.cpu;

/**
 * Direct convolution loops for one image, used where the GEMM would degenerate to a matrix-vector
 * product (very few output channels, e.g. the VAE's last conv 32->1): there im2col's traffic and
 * OpenBLAS's packing cost several times the arithmetic. The inner loops run along an output
 * row over its valid range (precomputed, no bounds tests), contiguous at stride 1.
 */
final class DirectConv {
    private DirectConv() {}

    /** Output channels up to which the direct loops beat im2col + GEMM (measured on the VAE's 32->1 conv: ~2x). */
    static final int MAX_COUT = 4;

    /** y[yOff..] (cout, oh, ow) += conv of x[xOff..] (cin, h, w) with w (cout, cin, k, k). */
    static void forward(float[] x, int xOff, float[] w, float[] y, int yOff, int cin, int h, int wd, int cout, int k,
                        int stride, int pad, int oh, int ow) {
        for (int co = 0; co < cout; co++) {
            int yc = yOff + co * oh * ow;
            for (int c = 0; c < cin; c++) {
                for (int ki = 0; ki < k; ki++) {
                    for (int kj = 0; kj < k; kj++) {
                        float wv = w[((co * cin + c) * k + ki) * k + kj];
                        int lo = Im2col.validLo(kj, stride, pad, ow), hi = Math.max(lo, Im2col.validHi(kj, stride, pad, wd, ow));
                        for (int o = 0; o < oh; o++) {
                            int ih = o * stride - pad + ki;
                            if (ih < 0 || ih >= h) continue;
                            int src = xOff + (c * h + ih) * wd - pad + kj, dst = yc + o * ow;
                            if (stride == 1) for (int q = lo; q < hi; q++) y[dst + q] += wv * x[src + q];
                            else for (int q = lo; q < hi; q++) y[dst + q] += wv * x[src + q * stride];
                        }
                    }
                }
            }
        }
    }

    /** dx[dxOff..] (cin, h, w) += the adjoint of {@link #forward} applied to dy[dyOff..] (cout, oh, ow). */
    static void backwardData(float[] dy, int dyOff, float[] w, float[] dx, int dxOff, int cin, int h, int wd, int cout, int k,
                             int stride, int pad, int oh, int ow) {
        for (int co = 0; co < cout; co++) {
            int dyc = dyOff + co * oh * ow;
            for (int c = 0; c < cin; c++) {
                for (int ki = 0; ki < k; ki++) {
                    for (int kj = 0; kj < k; kj++) {
                        float wv = w[((co * cin + c) * k + ki) * k + kj];
                        int lo = Im2col.validLo(kj, stride, pad, ow), hi = Math.max(lo, Im2col.validHi(kj, stride, pad, wd, ow));
                        for (int o = 0; o < oh; o++) {
                            int ih = o * stride - pad + ki;
                            if (ih < 0 || ih >= h) continue;
                            int dst = dxOff + (c * h + ih) * wd - pad + kj, src = dyc + o * ow;
                            if (stride == 1) for (int q = lo; q < hi; q++) dx[dst + q] += wv * dy[src + q];
                            else for (int q = lo; q < hi; q++) dx[dst + q * stride] += wv * dy[src + q];
                        }
                    }
                }
            }
        }
    }

    /** dw (cout, cin, k, k) += the filter gradient of one image: x[xOff..] and dy[dyOff..]. */
    static void backwardFilter(float[] dy, int dyOff, float[] x, int xOff, float[] dw, int cin, int h, int wd, int cout, int k,
                               int stride, int pad, int oh, int ow) {
        for (int co = 0; co < cout; co++) {
            int dyc = dyOff + co * oh * ow;
            for (int c = 0; c < cin; c++) {
                for (int ki = 0; ki < k; ki++) {
                    for (int kj = 0; kj < k; kj++) {
                        int lo = Im2col.validLo(kj, stride, pad, ow), hi = Math.max(lo, Im2col.validHi(kj, stride, pad, wd, ow));
                        float s = 0f;
                        for (int o = 0; o < oh; o++) {
                            int ih = o * stride - pad + ki;
                            if (ih < 0 || ih >= h) continue;
                            int xs = xOff + (c * h + ih) * wd - pad + kj, ds = dyc + o * ow;
                            float row = 0f;
                            for (int q = lo; q < hi; q++) row += dy[ds + q] * x[xs + q * stride];
                            s += row;
                        }
                        dw[((co * cin + c) * k + ki) * k + kj] += s;
                    }
                }
            }
        }
    }
}
