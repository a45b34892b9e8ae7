package io.genten.backend.cpu;

import static io.genten.backend.cpu.CpuPointwise.chunked;
import static io.genten.backend.cpu.CpuPointwise.chunkedSum;
import static io.genten.backend.cpu.CpuPointwise.notNull;
import static io.genten.backend.cpu.CpuPointwise.sameShape;

import io.genten.backend.GaussianGradients;
import io.genten.backend.ReparamOutput;
import io.genten.tensor.Philox;
import io.genten.tensor.Tensor;

/**
 * The VAE's diagonal Gaussian: reparameterization z = mu + exp(0.5 logvar) eps and
 * KL(N(mu, exp(logvar)) || N(0, 1)) = -0.5 sum(1 + logvar - mu^2 - exp(logvar)), with gradients.
 */
final class CpuVae {
    private CpuVae() {}

    /** eps is the Philox normal stream (seed, offset), so it equals {@code randn(shape, seed, offset)}. */
    static ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset) {
        notNull("reparamForward", "mu", mu);
        notNull("reparamForward", "logvar", logvar);
        sameShape("reparamForward", mu, logvar);
        var eps = CpuBackend.alloc(mu.shape());
        Philox.fillNormal(seed, offset, eps.hostArray());
        return new ReparamOutput(reparam(mu, logvar, eps), eps);
    }

    static Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps) {
        notNull("reparamForward", "mu", mu);
        notNull("reparamForward", "logvar", logvar);
        notNull("reparamForward", "eps", eps);
        sameShape("reparamForward", mu, logvar, eps);
        return reparam(mu, logvar, eps);
    }

    private static Tensor reparam(Tensor mu, Tensor logvar, Tensor eps) {
        float[] m = mu.hostArray(), lv = logvar.hostArray(), e = eps.hostArray();
        var z = CpuBackend.alloc(mu.shape());
        float[] out = z.hostArray();
        chunked(mu.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = (float) (m[i] + Math.exp(0.5 * lv[i]) * e[i]);
        });
        return z;
    }

    /**
     * dmu = dz + klScale mu; dlogvar = 0.5 dz eps exp(0.5 logvar) + klScale 0.5 (exp(logvar) - 1).
     */
    static GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale) {
        String op = "reparamBackward";
        notNull(op, "dz", dz);
        notNull(op, "mu", mu);
        notNull(op, "logvar", logvar);
        notNull(op, "eps", eps);
        sameShape(op, mu, logvar, eps, dz);
        float[] g = dz.hostArray(), m = mu.hostArray(), lv = logvar.hostArray(), e = eps.hostArray();
        var dmu = CpuBackend.alloc(mu.shape());
        var dlogvar = CpuBackend.alloc(mu.shape());
        float[] dm = dmu.hostArray(), dl = dlogvar.hostArray();
        chunked(mu.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                double sigma = Math.exp(0.5 * lv[i]);
                dm[i] = (float) (g[i] + (double) klScale * m[i]);
                dl[i] = (float) (0.5 * g[i] * e[i] * sigma + klScale * 0.5 * (sigma * sigma - 1.0));
            }
        });
        return new GaussianGradients(dmu, dlogvar);
    }

    static Tensor kl(Tensor mu, Tensor logvar) {
        notNull("klDivergence", "mu", mu);
        notNull("klDivergence", "logvar", logvar);
        sameShape("klDivergence", mu, logvar);
        float[] m = mu.hostArray(), lv = logvar.hostArray();
        double s = chunkedSum(mu.shape().size(), (lo, hi) -> {
            double acc = 0;
            for (int i = lo; i < hi; i++) acc += 1.0 + lv[i] - (double) m[i] * m[i] - Math.exp(lv[i]);
            return acc;
        });
        return CpuPointwise.scalar(-0.5 * s);
    }

    /** dmu = scale mu; dlogvar = scale 0.5 (exp(logvar) - 1). */
    static GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale) {
        notNull("klBackward", "mu", mu);
        notNull("klBackward", "logvar", logvar);
        sameShape("klBackward", mu, logvar);
        float[] m = mu.hostArray(), lv = logvar.hostArray();
        var dmu = CpuBackend.alloc(mu.shape());
        var dlogvar = CpuBackend.alloc(mu.shape());
        float[] dm = dmu.hostArray(), dl = dlogvar.hostArray();
        chunked(mu.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                dm[i] = (float) ((double) scale * m[i]);
                dl[i] = (float) (scale * 0.5 * (Math.exp(lv[i]) - 1.0));
            }
        });
        return new GaussianGradients(dmu, dlogvar);
    }
}
