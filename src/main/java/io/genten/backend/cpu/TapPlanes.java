package io.genten.backend.cpu;

/**
 * Convolutions with very few output channels (the VAE's last conv, 32 -> 1), one image at a time,
 * as GEMMs against the k*k tap planes of the narrow side.
 *
 * <p>Unfolding the wide side (im2col of the 32 input channels) writes k*k copies of the image for a
 * product with one output row; unfolding the narrow side costs k*k planes per output channel. With
 * {@code pos(o, t)} the input pixel that output pixel o reads through tap t = (ki, kj):
 * <ul>
 * <li>forward: {@code Z[co, t, p] = sum_c w[co, c, t] x[c, p]} (a GEMM on x as it lies), then
 *     {@code y[co, o] = sum_t Z[co, t, pos(o, t)]};</li>
 * <li>backward-data: {@code D[co, t, p] = dy[co, o]} where {@code p = pos(o, t)} (0 elsewhere), then
 *     {@code dx[c, p] = sum_co sum_t w[co, c, t] D[co, t, p]} (a GEMM written straight into dx);</li>
 * <li>backward-filter: {@code dw[co, c, t] += sum_p x[c, p] D[co, t, p]} (a GEMM on x as it lies).</li>
 * </ul>
 * The multiply-adds are those of the direct convolution at stride 1 (at stride s the forward's Z
 * covers every input pixel, s*s times the outputs). They replaced direct loops (and, for the
 * filter gradient, a GEMV on the by-pixel unfolding of the 32 channels): at the VAE's 32 -> 1 conv,
 * batch 64, two threads, inside the training step (2026-12-02, alternating runs), forward 1.5-2.2 ->
 * 0.65-0.70 ms, backward-data 2.0-2.9 -> 0.8-0.9 ms, backward-filter 2.5-3.0 -> 0.7-0.8 ms.
 */
final class TapPlanes {
    private TapPlanes() {}

    /**
     * Output channels up to which convs take these GEMMs rather than im2col + GEMM (whose product
     * would have that few rows): the direct loops' threshold, kept; measured only at one channel.
     */
    static final int MAX_COUT = 4;

    /** The sizes of one conv: image (cin, h, w), weight (cout, cin, k, k), output (cout, oh, ow). */
    record Shape(int cin, int h, int w, int cout, int k, int stride, int pad, int oh, int ow) {
        int taps() { return k * k; }
        int plane() { return h * w; }
        /** Floats of the tap planes of every output channel: Z or D. */
        int planesLength() { return cout * taps() * plane(); }
        /** Stride 1 with "same" padding (k = 2 pad + 1): each tap is one shift of the whole plane. */
        boolean samePlane() { return stride == 1 && oh == h && ow == w; }
        /** Zeros around a tap plane that a whole-plane shift may read: pad rows and pad floats. */
        int border() { return pad * w + pad; }
    }

    /** y[yOff..] (cout, oh, ow) = bias (or 0) + the conv of x[xOff..] (cin, h, w); every element is written. */
    static void forward(Gemm gemm, Shape s, float[] x, int xOff, float[] w, float[] bias, float[] y, int yOff) {
        if (s.samePlane()) {
            forwardSamePlane(gemm, s, x, xOff, w, bias, y, yOff);
            return;
        }
        int taps = s.taps(), plane = s.plane(), cin = s.cin();
        float[] z = Workspace.floats(Workspace.Slot.COLUMNS, s.planesLength());
        for (int co = 0; co < s.cout(); co++) {
            // Z_co (taps x plane) = w[co]^T (taps x cin) . x (cin x plane)
            gemm.sgemm(true, false, taps, plane, cin, 1f, w, co * cin * taps, taps, x, xOff, plane, 0f, z, co * taps * plane, plane);
        }
        int opl = s.oh() * s.ow(), st = s.stride();
        for (int co = 0; co < s.cout(); co++) {
            java.util.Arrays.fill(y, yOff + co * opl, yOff + (co + 1) * opl, bias == null ? 0f : bias[co]);
        }
        validRuns(s, (planeAt, inputAt, outputAt, lo, hi) -> {
            int src = planeAt + inputAt, dst = yOff + outputAt;
            for (int q = lo; q < hi; q++) y[dst + q] += z[src + q * st];
        });
    }

    /** One output row's valid run through one tap: see {@link #validRuns}. */
    @FunctionalInterface
    private interface Run {
        void at(int planeAt, int inputAt, int outputAt, int lo, int hi);
    }

    /**
     * Every (output channel, tap, output row) whose input row lies in the image, with the output
     * columns [lo, hi) whose input columns do: output element {@code outputAt + q} reads tap plane
     * element {@code planeAt + inputAt + q * stride} (planes of {@link Shape#plane()} floats, channel
     * by channel, tap by tap).
     */
    private static void validRuns(Shape s, Run run) {
        int k = s.k(), plane = s.plane(), opl = s.oh() * s.ow();
        for (int co = 0; co < s.cout(); co++) {
            for (int ki = 0; ki < k; ki++) {
                for (int kj = 0; kj < k; kj++) {
                    int planeAt = (co * s.taps() + ki * k + kj) * plane;
                    int lo = Im2col.validLo(kj, s.stride(), s.pad(), s.ow()), hi = Math.max(lo, Im2col.validHi(kj, s.stride(), s.pad(), s.w(), s.ow()));
                    for (int o = 0; o < s.oh(); o++) {
                        int ih = o * s.stride() - s.pad() + ki;
                        if (ih >= 0 && ih < s.h()) run.at(planeAt, ih * s.w() - s.pad() + kj, co * opl + o * s.ow(), lo, hi);
                    }
                }
            }
        }
    }

    /**
     * {@link #forward} where every tap shifts the whole plane: Z's tap planes lie in zero borders
     * with the columns a shift would wrap into zeroed, so that y is nine whole-plane adds. Adding row
     * by row instead (runs of 28 at the VAE's conv, each starting where its tap's valid columns do)
     * took 40 us per image where the GEMM took 5: each run's AVX-512 loads straddle the previous
     * run's stores to the same row, a store-forwarding stall per vector (3.6 us with AVX2 only).
     */
    private static void forwardSamePlane(Gemm gemm, Shape s, float[] x, int xOff, float[] w, float[] bias, float[] y, int yOff) {
        int taps = s.taps(), plane = s.plane(), cin = s.cin(), k = s.k(), wd = s.w(), border = s.border();
        int region = plane + 2 * border; // one tap: border, plane, border
        float[] z = Workspace.floats(Workspace.Slot.COLUMNS, taps * region);
        float[] acc = Workspace.floats(Workspace.Slot.GATHERED, plane), aligned = Workspace.floats(Workspace.Slot.ALIGNED, plane);
        for (int co = 0; co < s.cout(); co++) {
            // tap t's plane at t * region + border: Z_co = w[co]^T (taps x cin) . x (cin x plane)
            gemm.sgemm(true, false, taps, plane, cin, 1f, w, co * cin * taps, taps, x, xOff, plane, 0f, z, border, region);
            java.util.Arrays.fill(acc, 0, plane, bias == null ? 0f : bias[co]);
            for (int ki = 0; ki < k; ki++) {
                for (int kj = 0; kj < k; kj++) {
                    int at = (ki * k + kj) * region;
                    java.util.Arrays.fill(z, at, at + border, 0f);
                    java.util.Arrays.fill(z, at + border + plane, at + region, 0f);
                    zeroWrappedColumns(z, at + border, s, kj - s.pad());
                    // output i reads input i + (ki - pad) w + (kj - pad), i.e. z[at + i + ki w + kj]
                    Aligned.add(acc, 0, z, at + ki * wd + kj, plane, aligned);
                }
            }
            System.arraycopy(acc, 0, y, yOff + co * plane, plane);
        }
    }

    /**
     * Zeroes the columns of one (h, w) plane at {@code at} that a shift by dj columns never reads
     * legitimately and a whole-plane shift reads across a row's end: the last -dj (dj < 0) or the
     * first dj (dj > 0) of every row.
     */
    private static void zeroWrappedColumns(float[] plane, int at, Shape s, int dj) {
        if (dj == 0) return;
        int from = dj < 0 ? s.w() + dj : 0, to = dj < 0 ? s.w() : dj;
        for (int r = 0; r < s.h(); r++) java.util.Arrays.fill(plane, at + r * s.w() + from, at + r * s.w() + to, 0f);
    }

    /** dx[dxOff..] (cin, h, w) = the input gradient of dy[dyOff..] (cout, oh, ow); every element is written. */
    static void backwardData(Gemm gemm, Shape s, float[] dy, int dyOff, float[] w, float[] dx, int dxOff) {
        int taps = s.taps(), plane = s.plane(), cin = s.cin();
        float[] d = scatter(s, dy, dyOff);
        for (int co = 0; co < s.cout(); co++) {
            // dx (cin x plane) (+)= w[co] (cin x taps) . D_co (taps x plane)
            gemm.sgemm(false, false, cin, plane, taps, 1f, w, co * cin * taps, taps, d, co * taps * plane, plane,
                    co == 0 ? 0f : 1f, dx, dxOff, plane);
        }
    }

    /** dw (cout, cin, k, k) += the filter gradient of one image: dy[dyOff..] against x[xOff..]. */
    static void backwardFilter(Gemm gemm, Shape s, float[] dy, int dyOff, float[] x, int xOff, float[] dw) {
        int taps = s.taps(), plane = s.plane(), cin = s.cin();
        float[] d = scatter(s, dy, dyOff);
        for (int co = 0; co < s.cout(); co++) {
            // dw[co] (cin x taps) += x (cin x plane) . D_co^T (plane x taps)
            gemm.sgemm(false, true, cin, taps, plane, 1f, x, xOff, plane, d, co * taps * plane, plane, 1f, dw, co * cin * taps, taps);
        }
    }

    /** D: each output pixel's gradient at the input pixel each tap reads it from, zero elsewhere (the thread's scratch). */
    private static float[] scatter(Shape s, float[] dy, int dyOff) {
        if (s.samePlane()) return scatterSamePlane(s, dy, dyOff);
        float[] d = Workspace.floats(Workspace.Slot.COLUMNS, s.planesLength());
        java.util.Arrays.fill(d, 0, s.planesLength(), 0f);
        int st = s.stride();
        validRuns(s, (planeAt, inputAt, outputAt, lo, hi) -> {
            int dst = planeAt + inputAt, src = dyOff + outputAt;
            for (int q = lo; q < hi; q++) d[dst + q * st] = dy[src + q];
        });
        return d;
    }

    /**
     * {@link #scatter} where every tap shifts the whole plane: each tap plane is one copy out of dy
     * in zero borders, with the wrapped columns zeroed ({@link #forwardSamePlane}).
     */
    private static float[] scatterSamePlane(Shape s, float[] dy, int dyOff) {
        int taps = s.taps(), plane = s.plane(), k = s.k(), wd = s.w(), border = s.border();
        float[] d = Workspace.floats(Workspace.Slot.COLUMNS, s.planesLength());
        float[] padded = Workspace.floats(Workspace.Slot.GATHERED, plane + 2 * border);
        java.util.Arrays.fill(padded, 0, border, 0f);
        java.util.Arrays.fill(padded, border + plane, plane + 2 * border, 0f);
        for (int co = 0; co < s.cout(); co++) {
            System.arraycopy(dy, dyOff + co * plane, padded, border, plane);
            for (int ki = 0; ki < k; ki++) {
                for (int kj = 0; kj < k; kj++) {
                    int at = (co * taps + ki * k + kj) * plane;
                    // input p receives output p - (ki - pad) w - (kj - pad), i.e. padded[p + 2 border - ki w - kj]
                    System.arraycopy(padded, 2 * border - ki * wd - kj, d, at, plane);
                    zeroWrappedColumns(d, at, s, kj - s.pad());
                }
            }
        }
        return d;
    }
}
