package io.genten.backend.cpu;

import io.genten.tensor.Tensor;

/** Per-channel bias added in place over (N, C, spatial...). */
final class CpuBias {
    private CpuBias() {}

    static void addInPlace(Tensor y, Tensor bias) {
        if (y.rank() < 2 || bias.rank() != 1 || bias.dim(0) != y.dim(1)) {
            throw new IllegalArgumentException("addBiasInPlace: bias " + bias.shape() + " does not match the channels of " + y.shape());
        }
        int n = y.dim(0), c = y.dim(1), inner = y.shape().sampleSize() / c;
        float[] out = y.hostArray(), b = bias.hostArray();
        Parallel.forEach(n, (long) c * inner, i -> {
            for (int ch = 0; ch < c; ch++) {
                float v = b[ch];
                int base = (i * c + ch) * inner;
                for (int j = 0; j < inner; j++) out[base + j] += v;
            }
        });
    }
}
