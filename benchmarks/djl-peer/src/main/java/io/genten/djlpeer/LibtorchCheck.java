package io.genten.djlpeer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.SplittableRandom;

/**
 * Whether libtorch computes a convolution's input gradient correctly on this CPU. On the project's
 * AMD EPYC VM (Zen 5, 2026-12-01) DJL 0.36's libtorch 2.7.1 did not: the gradient of sum(conv2d(x, w))
 * with respect to x was off by 1-5 (values of about 5) and sometimes NaN, in some calls out of
 * three, with one thread or two, whatever the ISA limit (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY,
 * MKL_ENABLE_INSTRUCTIONS), while its forward was right; on the Intel Xeon VM before, the same
 * build passed every peer test. The peer's tests skip on such a machine, saying why, and the
 * benchmark report says it: the timings still measure the same work, but libtorch is not training
 * a correct model there.
 */
public final class LibtorchCheck {
    private LibtorchCheck() {}

    /**
     * Runs the check (a few small convolutions' backward passes against a hand-computed gradient).
     *
     * @return null when libtorch is right here, else what was wrong
     */
    public static String convInputGradientDefect() {
        var random = new SplittableRandom(3);
        try (var manager = NDManager.newBaseManager()) {
            for (int[] c : new int[][] {{3, 5, 5, 6, 2, 0}, {3, 5, 5, 6, 3, 1}, {64, 1, 14, 14, 5, 2}}) {
                for (int rep = 0; rep < 3; rep++) {
                    double err = maxError(manager, random, c[0], c[1], c[2], c[3], c[4], c[5]);
                    if (!(err < 1e-3)) {
                        return String.format("conv2d's input gradient (%d -> %d channels, %dx%d, %dx%d kernel, padding %d) is off by %s",
                                c[0], c[1], c[2], c[3], c[4], c[4], c[5], Double.isNaN(err) ? "NaN" : String.format("%.3g", err));
                    }
                }
            }
        }
        return null;
    }

    /** d sum(conv2d(x, w)) / dx from libtorch against its definition: the sum of the weights whose taps cover each input. */
    private static double maxError(NDManager manager, SplittableRandom random, int cin, int cout, int h, int w, int k, int p) {
        int n = 3;
        float[] xv = new float[n * cin * h * w], wv = new float[cout * cin * k * k];
        for (int i = 0; i < xv.length; i++) xv[i] = (float) random.nextDouble(-1, 1);
        for (int i = 0; i < wv.length; i++) wv[i] = (float) random.nextDouble(-1, 1);
        float[] dx;
        try (var sub = manager.newSubManager(); var collector = Engine.getInstance().newGradientCollector()) {
            var x = sub.create(xv, new Shape(n, cin, h, w));
            x.setRequiresGradient(true);
            var weight = sub.create(wv, new Shape(cout, cin, k, k));
            var y = Conv2d.conv2d(x, weight, null, new Shape(1, 1), new Shape(p, p)).singletonOrThrow();
            collector.backward(y.sum());
            dx = x.getGradient().toFloatArray();
        }
        int oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1;
        double worst = 0;
        for (int ci = 0; ci < cin; ci++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    double s = 0;
                    for (int co = 0; co < cout; co++)
                        for (int a = 0; a < k; a++)
                            for (int b = 0; b < k; b++) {
                                int oi = i + p - a, oj = j + p - b;
                                if (oi >= 0 && oi < oh && oj >= 0 && oj < ow) s += wv[((co * cin + ci) * k + a) * k + b];
                            }
                    for (int m = 0; m < n; m++) {
                        double e = Math.abs(s - dx[((m * cin + ci) * h + i) * w + j]);
                        if (Double.isNaN(e)) return Double.NaN;
                        worst = Math.max(worst, e);
                    }
                }
            }
        }
        return worst;
    }
}
