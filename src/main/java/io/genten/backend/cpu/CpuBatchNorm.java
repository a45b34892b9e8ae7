package io.genten.backend.cpu;

import io.genten.backend.Activation;
import io.genten.backend.BatchNormGradients;
import io.genten.backend.BatchNormOutput;
import io.genten.backend.Checks;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * Batch normalization per channel over (N, H, W) for rank 4 (BatchNorm2d) or over N for rank 2
 * (BatchNorm1d). Statistics are accumulated in double with two passes (mean, then centred
 * squares), which stays accurate for large batches and large means; {@link Sums} accumulates a
 * channel's planes position by position in double, which vectorizes.
 * Channels run in parallel.
 */
final class CpuBatchNorm {
    private CpuBatchNorm() {}

    /** The (N, C, HW) view of a rank 2 or 4 input. */
    private record Layout(int n, int c, int hw) {
        int m() { return n * hw; }

        /** Index of the first element of sample i in channel ch. */
        int base(int i, int ch) { return (i * c + ch) * hw; }

        long workPerChannel() { return 4L * m(); }
    }

    private static Layout layout(String op, Tensor x) {
        var s = x.shape();
        if (s.rank() != 2 && s.rank() != 4) {
            throw new IllegalArgumentException(op + ": x must have rank 2 (N,C) or 4 (N,C,H,W) but has shape " + s);
        }
        int hw = s.rank() == 4 ? s.dim(2) * s.dim(3) : 1;
        return new Layout(s.dim(0), s.dim(1), hw);
    }

    private static void perChannel(String op, String name, Tensor t, Tensor x, int c) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (t.numel() != c) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + t.shape() + " but x " + x.shape()
                    + " has " + c + " channels");
        }
    }

    /** Training forward, then act (one of {@link CpuPointwise#inPlace}'s) on each channel's planes as they are written. */
    static BatchNormOutput trainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                        float momentum, float eps, Activation act) {
        String op = "batchNormTrainForward";
        if (x == null) throw new IllegalArgumentException(op + ": x is null");
        var l = layout(op, x);
        perChannel(op, "gamma", gamma, x, l.c());
        perChannel(op, "beta", beta, x, l.c());
        perChannel(op, "runningMean", runningMean, x, l.c());
        perChannel(op, "runningVar", runningVar, x, l.c());
        checkEps(op, eps);
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException(op + ": momentum must be in [0, 1] but is " + momentum);
        }
        if (l.m() < 2) {
            throw new IllegalArgumentException(op + ": training needs more than one value per channel, x has shape " + x.shape());
        }
        float[] xs = x.hostArray(), g = gamma.hostArray(), b = beta.hostArray();
        float[] rm = runningMean.hostArray(), rv = runningVar.hostArray();
        var y = CpuBackend.allocToOverwrite(x.shape());
        var saveMean = CpuBackend.alloc(Shape.of(l.c()));
        var saveInvStd = CpuBackend.alloc(Shape.of(l.c()));
        float[] ys = y.hostArray(), sm = saveMean.hostArray(), si = saveInvStd.hostArray();
        int m = l.m(), hw = l.hw();
        if (hw == 1) {
            BatchNorm1dRows.trainForward(xs, ys, l.n(), l.c(), g, b, rm, rv, momentum, eps, sm, si, act);
            return new BatchNormOutput(y, saveMean, saveInvStd);
        }
        Parallel.forEach(l.c(), l.workPerChannel(), c -> {
            double[] acc = new double[hw];
            for (int i = 0; i < l.n(); i++) Sums.accumulate(acc, xs, l.base(i, c), hw);
            double mean = Sums.drain(acc, hw) / m;
            for (int i = 0; i < l.n(); i++) Sums.accumulateSquaredDeviations(acc, xs, l.base(i, c), hw, mean);
            double sq = Sums.drain(acc, hw);
            double var = sq / m;
            double invStd = 1.0 / Math.sqrt(var + eps);
            normalize(xs, ys, l, c, (float) mean, (float) (invStd * g[c]), b[c], act);
            sm[c] = (float) mean;
            si[c] = (float) invStd;
            double unbiased = sq / (m - 1);
            rm[c] = (float) ((1.0 - momentum) * rm[c] + momentum * mean);
            rv[c] = (float) ((1.0 - momentum) * rv[c] + momentum * unbiased);
        });
        return new BatchNormOutput(y, saveMean, saveInvStd);
    }

    /**
     * With xhat = (x - mean) invStd over the M = N*H*W values of a channel:
     * dbeta = sum dy, dgamma = sum dy xhat, dx = gamma invStd / M (M dy - dbeta - xhat dgamma).
     */
    static BatchNormGradients backward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        String op = "batchNormBackward";
        if (x == null || dy == null) throw new IllegalArgumentException(op + ": x and dy must not be null");
        var l = layout(op, x);
        Checks.sameShape(op, dy, x);
        perChannel(op, "gamma", gamma, x, l.c());
        perChannel(op, "saveMean", saveMean, x, l.c());
        perChannel(op, "saveInvStd", saveInvStd, x, l.c());
        float[] xs = x.hostArray(), g = dy.hostArray(), gm = gamma.hostArray();
        float[] sm = saveMean.hostArray(), si = saveInvStd.hostArray();
        var dx = CpuBackend.allocToOverwrite(x.shape());
        var dgamma = CpuBackend.alloc(Shape.of(l.c()));
        var dbeta = CpuBackend.alloc(Shape.of(l.c()));
        float[] dxs = dx.hostArray(), dgs = dgamma.hostArray(), dbs = dbeta.hostArray();
        int m = l.m(), hw = l.hw();
        if (hw == 1) {
            BatchNorm1dRows.backward(g, xs, dxs, l.n(), l.c(), gm, sm, si, dgs, dbs);
            return new BatchNormGradients(dx, dgamma, dbeta);
        }
        Parallel.forEach(l.c(), l.workPerChannel(), c -> {
            double mean = sm[c], invStd = si[c];
            double[] acc = new double[hw], accCentred = new double[hw];
            for (int i = 0; i < l.n(); i++) {
                int base = l.base(i, c);
                Sums.accumulate(acc, g, base, hw);
                Sums.accumulateDotCentred(accCentred, g, xs, base, hw, mean);
            }
            double sumDy = Sums.drain(acc, hw), sumDyCentred = Sums.drain(accCentred, hw);
            double sumDyXhat = sumDyCentred * invStd;
            dbs[c] = (float) sumDy;
            dgs[c] = (float) sumDyXhat;
            if (m == 0) return;
            double k0 = gm[c] * invStd / m;
            // dx = k0 (m dy - sumDy - xhat sumDyXhat), affine in dy and x - mean: float arithmetic,
            // 16 elements to a vector (in double, 8 to a vector, this pass had been most of the op)
            float perDy = (float) (k0 * m), perCentredX = (float) (-k0 * sumDyXhat * invStd), constant = (float) (-k0 * sumDy);
            float meanF = (float) mean;
            for (int i = 0; i < l.n(); i++) {
                int base = l.base(i, c);
                for (int k = base; k < base + hw; k++) {
                    dxs[k] = perDy * g[k] + (perCentredX * (xs[k] - meanF) + constant);
                }
            }
        });
        return new BatchNormGradients(dx, dgamma, dbeta);
    }

    /** Inference with the running statistics, then act (one of {@link CpuPointwise#inPlace}'s) per channel plane. */
    static Tensor inference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Activation act) {
        String op = "batchNormInference";
        if (x == null) throw new IllegalArgumentException(op + ": x is null");
        var l = layout(op, x);
        perChannel(op, "gamma", gamma, x, l.c());
        perChannel(op, "beta", beta, x, l.c());
        perChannel(op, "runningMean", runningMean, x, l.c());
        perChannel(op, "runningVar", runningVar, x, l.c());
        checkEps(op, eps);
        float[] xs = x.hostArray(), g = gamma.hostArray(), b = beta.hostArray();
        float[] rm = runningMean.hostArray(), rv = runningVar.hostArray();
        var y = CpuBackend.allocToOverwrite(x.shape());
        float[] ys = y.hostArray();
        int hw = l.hw();
        Parallel.forEach(l.c(), l.workPerChannel(),
                c -> normalize(xs, ys, l, c, rm[c], (float) (g[c] / Math.sqrt(rv[c] + (double) eps)), b[c], act));
        return y;
    }

    /**
     * y = act((x - mean) scale + shift) over channel c's planes, in float (x - mean is exact where x
     * is near the mean), 16 elements to a vector; in double, 8 to a vector, this pass had been most
     * of the op. Not Math.fma: where the CPU has no FMA instruction it is computed in software.
     */
    private static void normalize(float[] xs, float[] ys, Layout l, int c, float mean, float scale, float shift, Activation act) {
        int hw = l.hw();
        for (int i = 0; i < l.n(); i++) {
            int base = l.base(i, c);
            for (int k = base; k < base + hw; k++) ys[k] = (xs[k] - mean) * scale + shift;
            CpuPointwise.activateInPlace(act, ys, base, base + hw);
        }
    }

    private static void checkEps(String op, float eps) {
        if (!(eps >= 0f) || Float.isInfinite(eps)) throw new IllegalArgumentException(op + ": eps must be finite and >= 0 but is " + eps);
    }
}
