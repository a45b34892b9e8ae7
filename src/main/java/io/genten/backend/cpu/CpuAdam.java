package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Adam over all parameters. STUB: to be written. */
final class CpuAdam {
    private CpuAdam() {}

    static void step(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step) {
        throw new UnsupportedOperationException("CpuAdam not implemented yet");
    }
}
