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

    // ---- stride 1: padded planes, one long contiguous loop per (channel, ki, kj) ------------------
    //
    // At stride 1 the image is copied once into zero-padded planes of width wp = w + 2*pad, and the
    // output is computed on an oh x wp grid whose last k-1 columns are garbage (never read back, or
    // zero where they feed a sum). Output row o, column q then reads padded element t + ki*wp + kj
    // with t = o*wp + q, so each (channel, ki, kj) is one vectorizable loop over oh*wp elements
    // instead of oh short row loops. k floats of slack keep the garbage columns' reads in bounds.

    /**
     * Scratch of one chunk for the stride-1 loops. {@code aligned} is as long as the longer of the
     * two: an axpy {@code a[i + p] += s * b[i + q]} between two arrays at different offsets is not
     * vectorized by C2 (the arrays might be one; JDK 25 has no runtime aliasing check), so the
     * loops first copy b's run into {@code aligned} at a's offset ({@link Aligned#axpy}): 4x faster.
     */
    record Stride1Scratch(float[] padded, float[] wide, float[] aligned) {
        static Stride1Scratch of(int cin, int h, int wd, int cout, int k, int pad, int oh) {
            int wp = wd + 2 * pad;
            int padded = cin * (h + 2 * pad) * wp + k, wide = cout * oh * wp;
            return new Stride1Scratch(new float[padded], new float[wide], new float[Math.max(padded, wide)]);
        }
    }

    private static void pad(float[] x, int xOff, int cin, int h, int wd, int pad, float[] xp) {
        int wp = wd + 2 * pad, hp = h + 2 * pad;
        java.util.Arrays.fill(xp, 0f);
        for (int c = 0; c < cin; c++)
            for (int r = 0; r < h; r++) System.arraycopy(x, xOff + (c * h + r) * wd, xp, (c * hp + r + pad) * wp + pad, wd);
    }

    /** Stride-1 {@link #forward}: y[yOff..] += conv of x[xOff..]. */
    static void forwardStride1(float[] x, int xOff, float[] w, float[] y, int yOff, int cin, int h, int wd, int cout, int k,
                               int pad, int oh, int ow, Stride1Scratch s) {
        int wp = wd + 2 * pad, hp = h + 2 * pad, len = oh * wp;
        float[] xp = s.padded(), yw = s.wide();
        pad(x, xOff, cin, h, wd, pad, xp);
        java.util.Arrays.fill(yw, 0, cout * len, 0f);
        for (int co = 0; co < cout; co++) {
            int yc = co * len;
            for (int c = 0; c < cin; c++)
                for (int ki = 0; ki < k; ki++)
                    for (int kj = 0; kj < k; kj++) {
                        float wv = w[((co * cin + c) * k + ki) * k + kj];
                        Aligned.axpy(yw, yc, wv, xp, (c * hp + ki) * wp + kj, len, s.aligned());
                    }
            for (int o = 0; o < oh; o++) {
                int dst = yOff + (co * oh + o) * ow, src = yc + o * wp;
                for (int q = 0; q < ow; q++) y[dst + q] += yw[src + q];
            }
        }
    }

    /** Copies dy[dyOff..] (cout, oh, ow) into s.wide() as (cout, oh, wp) with zero garbage columns. */
    private static void widen(float[] dy, int dyOff, int cout, int oh, int ow, int wp, float[] dyw) {
        java.util.Arrays.fill(dyw, 0, cout * oh * wp, 0f);
        for (int r = 0; r < cout * oh; r++) System.arraycopy(dy, dyOff + r * ow, dyw, r * wp, ow);
    }

    /** Stride-1 {@link #backwardData}: dx[dxOff..] += adjoint of dy[dyOff..]. */
    static void backwardDataStride1(float[] dy, int dyOff, float[] w, float[] dx, int dxOff, int cin, int h, int wd, int cout, int k,
                                    int pad, int oh, int ow, Stride1Scratch s) {
        int wp = wd + 2 * pad, hp = h + 2 * pad, len = oh * wp;
        float[] dxp = s.padded(), dyw = s.wide();
        widen(dy, dyOff, cout, oh, ow, wp, dyw);
        java.util.Arrays.fill(dxp, 0f);
        for (int co = 0; co < cout; co++) {
            int dc = co * len;
            for (int c = 0; c < cin; c++)
                for (int ki = 0; ki < k; ki++)
                    for (int kj = 0; kj < k; kj++) {
                        float wv = w[((co * cin + c) * k + ki) * k + kj];
                        Aligned.axpy(dxp, (c * hp + ki) * wp + kj, wv, dyw, dc, len, s.aligned());
                    }
        }
        for (int c = 0; c < cin; c++)
            for (int r = 0; r < h; r++) {
                int src = (c * hp + r + pad) * wp + pad, dst = dxOff + (c * h + r) * wd;
                for (int q = 0; q < wd; q++) dx[dst + q] += dxp[src + q];
            }
    }

    /** Stride-1 {@link #backwardFilter}: dw += filter gradient of one image. */
    static void backwardFilterStride1(float[] dy, int dyOff, float[] x, int xOff, float[] dw, int cin, int h, int wd, int cout, int k,
                                      int pad, int oh, int ow, Stride1Scratch s) {
        int wp = wd + 2 * pad, hp = h + 2 * pad, len = oh * wp;
        float[] xp = s.padded(), dyw = s.wide();
        pad(x, xOff, cin, h, wd, pad, xp);
        widen(dy, dyOff, cout, oh, ow, wp, dyw);
        for (int co = 0; co < cout; co++) {
            int dc = co * len;
            for (int c = 0; c < cin; c++)
                for (int ki = 0; ki < k; ki++)
                    for (int kj = 0; kj < k; kj++) {
                        int base = (c * hp + ki) * wp + kj;
                        // four independent sums: a single float accumulator is latency-bound (no reassociation in Java)
                        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                        int t = 0;
                        for (; t + 3 < len; t += 4) {
                            s0 += dyw[dc + t] * xp[base + t];
                            s1 += dyw[dc + t + 1] * xp[base + t + 1];
                            s2 += dyw[dc + t + 2] * xp[base + t + 2];
                            s3 += dyw[dc + t + 3] * xp[base + t + 3];
                        }
                        for (; t < len; t++) s0 += dyw[dc + t] * xp[base + t];
                        dw[((co * cin + c) * k + ki) * k + kj] += (s0 + s1) + (s2 + s3);
                    }
        }
    }

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
