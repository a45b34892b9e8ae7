package io.genten.backend.cuda;

import static io.genten.backend.cuda.CudaBackend.p;

import io.genten.backend.Checks;
import io.genten.backend.GaussianGradients;
import io.genten.backend.ReparamOutput;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The VAE's ops on CUDA ({@code native/reparam.cu}): the fused reparameterization z = mu +
 * exp(logvar / 2) eps (drawing eps with Philox, or given eps), its backward with the KL term, and
 * the KL divergence itself.
 */
final class CudaReparam {
    private CudaReparam() {}

    static ReparamOutput forward(CudaBackend b, Tensor mu, Tensor logvar, long seed, long offset) {
        String op = "reparamForward";
        Checks.on(op, b.device(), mu, logvar);
        Checks.sameShape(op, mu, logvar);
        var z = b.alloc(op, mu.shape());
        var eps = b.alloc(op, mu.shape());
        if (z.numel() > 0) {
            b.check(Native.reparamForward(p(mu), p(logvar), p(z), p(eps), MemorySegment.NULL, mu.numel(), seed, offset, b.counter(), b.stream()),
                    op, mu, logvar);
        }
        return new ReparamOutput(z, eps);
    }

    static Tensor forward(CudaBackend b, Tensor mu, Tensor logvar, Tensor eps) {
        String op = "reparamForward";
        Checks.on(op, b.device(), mu, logvar, eps);
        Checks.sameShape(op, mu, logvar);
        Checks.sameShape(op, mu, eps);
        var z = b.alloc(op, mu.shape());
        if (z.numel() > 0) b.check(Native.reparamForwardEps(p(mu), p(logvar), p(eps), p(z), mu.numel(), b.stream()), op, mu, logvar, eps);
        return z;
    }

    static GaussianGradients backward(CudaBackend b, Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale) {
        String op = "reparamBackward";
        Checks.on(op, b.device(), dz, mu, logvar, eps);
        for (var t : new Tensor[] {dz, logvar, eps}) Checks.sameShape(op, mu, t);
        var dmu = b.alloc(op, mu.shape());
        var dlogvar = b.alloc(op, mu.shape());
        if (dmu.numel() > 0) {
            b.check(Native.reparamBackward(p(dz), p(mu), p(logvar), p(eps), p(dmu), p(dlogvar), mu.numel(), klScale, b.stream()),
                    op, dz, mu, logvar, eps);
        }
        return new GaussianGradients(dmu, dlogvar);
    }

    static Tensor klDivergence(CudaBackend b, Tensor mu, Tensor logvar) {
        String op = "klDivergence";
        Checks.on(op, b.device(), mu, logvar);
        Checks.sameShape(op, mu, logvar);
        var out = b.alloc(op, Shape.scalar());
        if (mu.numel() == 0) b.fill(out, 0f);
        else b.check(Native.klDivergence(p(mu), p(logvar), p(out), mu.numel(), b.stream()), op, mu, logvar);
        return out;
    }

    /** The KL part of the fused reparameterization backward, with dz = 0 (so eps does not matter: zeros). */
    static GaussianGradients klBackward(CudaBackend b, Tensor mu, Tensor logvar, float scale) {
        String op = "klBackward";
        Checks.on(op, b.device(), mu, logvar);
        Checks.sameShape(op, mu, logvar);
        var dmu = b.alloc(op, mu.shape());
        var dlogvar = b.alloc(op, mu.shape());
        if (dmu.numel() == 0) return new GaussianGradients(dmu, dlogvar);
        try (var zeros = b.full(op + " (dz = 0)", mu.shape(), 0f)) {
            b.check(Native.reparamBackward(p(zeros), p(mu), p(logvar), p(zeros), p(dmu), p(dlogvar), mu.numel(), scale, b.stream()),
                    op, mu, logvar);
        }
        return new GaussianGradients(dmu, dlogvar);
    }
}
