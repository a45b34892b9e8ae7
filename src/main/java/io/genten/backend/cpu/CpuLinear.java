package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Linear layers through GEMM. STUB: to be written. */
final class CpuLinear {
    private CpuLinear() {}

    static Tensor forward(Tensor x, Tensor w, Tensor bias) {
        throw new UnsupportedOperationException("CpuLinear not implemented yet");
    }

    static Tensor backwardData(Tensor dy, Tensor w) {
        throw new UnsupportedOperationException("CpuLinear not implemented yet");
    }

    static Tensor backwardWeight(Tensor dy, Tensor x) {
        throw new UnsupportedOperationException("CpuLinear not implemented yet");
    }
}
