package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Reparameterization and KL. STUB: to be written. */
final class CpuVae {
    private CpuVae() {}

    static ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset) {
        throw new UnsupportedOperationException("CpuVae not implemented yet");
    }

    static Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps) {
        throw new UnsupportedOperationException("CpuVae not implemented yet");
    }

    static GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale) {
        throw new UnsupportedOperationException("CpuVae not implemented yet");
    }

    static Tensor kl(Tensor mu, Tensor logvar) {
        throw new UnsupportedOperationException("CpuVae not implemented yet");
    }

    static GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale) {
        throw new UnsupportedOperationException("CpuVae not implemented yet");
    }
}
