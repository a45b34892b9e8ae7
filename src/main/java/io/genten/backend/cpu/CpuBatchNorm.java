package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Batch normalization. STUB: to be written. */
final class CpuBatchNorm {
    private CpuBatchNorm() {}

    static BatchNormOutput trainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float momentum, float eps) {
        throw new UnsupportedOperationException("CpuBatchNorm not implemented yet");
    }

    static BatchNormGradients backward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        throw new UnsupportedOperationException("CpuBatchNorm not implemented yet");
    }

    static Tensor inference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps) {
        throw new UnsupportedOperationException("CpuBatchNorm not implemented yet");
    }
}
