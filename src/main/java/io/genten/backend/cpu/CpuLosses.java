package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Losses and their gradients. STUB: to be written. */
final class CpuLosses {
    private CpuLosses() {}

    static Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction) {
        throw new UnsupportedOperationException("CpuLosses not implemented yet");
    }

    static Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        throw new UnsupportedOperationException("CpuLosses not implemented yet");
    }

    static Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
        throw new UnsupportedOperationException("CpuLosses not implemented yet");
    }

    static Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale) {
        throw new UnsupportedOperationException("CpuLosses not implemented yet");
    }
}
