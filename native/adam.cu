// Adam over every parameter tensor in one launch: blockIdx.y walks the slots (grid-stride over
// y when there are more than 65535), blockIdx.x / threadIdx.x grid-stride over one slot's
// elements. The step count is read from device memory, so a captured CUDA graph replays
// correctly after genten_counter_add advances it. The math is the CPU backend's (CpuAdam, the
// oracle; torch.optim.Adam / AdamW, non-amsgrad): each element updated in double, stored as float,
// with the hyperparameters taken as the decimals they were written as (0.999f -> 0.999, as Python
// doubles; from the float, 1 - beta2 was off by 1.3e-5 relative and v with it):
//   g = grad + wd p (coupled)        p *= 1 - lr wd (decoupled)
//   m = b1 m + (1 - b1) g            v = b2 v + (1 - b2) g^2
//   p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Floor: 16 B read + 12 B written per parameter; the models' ~2-3M parameters move ~80 MB,
// ~27 us at 3 TB/s; in practice a few us of launch plus the tail of the smallest slots (the
// double math, a few FP64 ops and one sqrt/division per element, hides under the memory time).
#include <math.h>

#include "common.cuh"
#include "decimal.h"

using namespace genten;

namespace {

struct AdamScalars {
    double lr, beta1, beta2, eps, shrink, coupled_wd;
};

__global__ void __launch_bounds__(kThreads) adam_kernel(const genten_adam_slot* slots, int count, AdamScalars a,
                                                        const uint64_t* step_dev) {
    const double t = (double)*step_dev;
    const double bc1 = 1.0 - pow(a.beta1, t), bc2 = 1.0 - pow(a.beta2, t);
    const double one_minus_b1 = 1.0 - a.beta1, one_minus_b2 = 1.0 - a.beta2;
    for (int slot = blockIdx.y; slot < count; slot += gridDim.y) {
        const genten_adam_slot sl = slots[slot];
        const int64_t stride = (int64_t)gridDim.x * blockDim.x;
        for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < sl.n; i += stride) {
            const double p = (double)sl.param[i];
            const double g = (double)sl.grad[i] + a.coupled_wd * p;
            const double m = a.beta1 * (double)sl.m[i] + one_minus_b1 * g;
            const double v = a.beta2 * (double)sl.v[i] + one_minus_b2 * g * g;
            sl.m[i] = (float)m;
            sl.v[i] = (float)v;
            sl.param[i] = (float)(p * a.shrink - a.lr * (m / bc1) / (sqrt(v / bc2) + a.eps));
        }
    }
}

}  // namespace

extern "C" {

int genten_adam_step(const genten_adam_slot* slots_dev, int count, int64_t max_n, float lr, float beta1, float beta2,
                     float eps, float weight_decay, int decoupled, const uint64_t* step_dev, void* stream) {
    GT_REQUIRE(slots_dev != nullptr && step_dev != nullptr && count > 0 && max_n > 0);
    GT_REQUIRE(beta1 >= 0.0f && beta1 < 1.0f && beta2 >= 0.0f && beta2 < 1.0f && eps >= 0.0f && lr >= 0.0f &&
               weight_decay >= 0.0f);
    // x covers the largest slot (grid-stride beyond 2048 blocks), y one block row per slot;
    // blocks of a small slot with nothing to do exit at once.
    unsigned gx = grid_for(max_n, 4);
    if (gx > 2048) gx = 2048;
    const unsigned gy = count > 65535 ? 65535u : (unsigned)count;
    AdamScalars a;
    a.lr = float_decimal(lr);
    a.beta1 = float_decimal(beta1);
    a.beta2 = float_decimal(beta2);
    a.eps = float_decimal(eps);
    const double wd = float_decimal(weight_decay);
    a.shrink = decoupled ? 1.0 - a.lr * wd : 1.0;
    a.coupled_wd = decoupled ? 0.0 : wd;
    GT_LAUNCH(adam_kernel, dim3(gx, gy), kThreads, 0, as_stream(stream))(slots_dev, count, a, step_dev);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
