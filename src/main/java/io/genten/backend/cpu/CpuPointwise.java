package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Activations, dropout, elementwise arithmetic and reductions. STUB: to be written. */
final class CpuPointwise {
    private CpuPointwise() {}

    static Tensor activationForward(Activation act, Tensor x) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }

    static Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }

    static Tensor dropout(Tensor x, float p, long seed, long offset) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }

    static Tensor add(Tensor a, Tensor b) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }

    static void addInPlace(Tensor acc, Tensor x) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }

    static Tensor scale(Tensor a, float s) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }

    static Tensor sum(Tensor t) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }

    static Tensor mean(Tensor t) {
        throw new UnsupportedOperationException("CpuPointwise not implemented yet");
    }
}
