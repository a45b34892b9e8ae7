package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Convolution as im2col + GEMM, with a direct-loop reference. STUB: to be written. */
final class CpuConv {
    private CpuConv() {}

    static Tensor forward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        throw new UnsupportedOperationException("CpuConv not implemented yet");
    }

    static Tensor backwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        throw new UnsupportedOperationException("CpuConv not implemented yet");
    }

    static Tensor backwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        throw new UnsupportedOperationException("CpuConv not implemented yet");
    }

    static Tensor biasGradient(Tensor dy) {
        throw new UnsupportedOperationException("CpuConv not implemented yet");
    }
}
