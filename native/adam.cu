// Adam over every parameter tensor in one launch: blockIdx.y walks the slots (grid-stride over
// y when there are more than 65535), blockIdx.x / threadIdx.x grid-stride over one slot's
// elements. The step count is read from device memory, so a captured CUDA graph replays
// correctly after genten_counter_add advances it. PyTorch's math (torch.optim.Adam / AdamW,
// non-amsgrad, non-foreach float32):
//   g = grad (+ wd * p when L2, i.e. not decoupled)      p *= 1 - lr * wd (when decoupled)
//   m = m + (1 - b1) (g - m)     v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Floor: 16 B read + 12 B written per parameter; the models' ~2-3M parameters move ~80 MB,
// ~27 us at 3 TB/s; in practice a few us of launch plus the tail of the smallest slots.
#include <math.h>

#include "common.cuh"

using namespace genten;

namespace {

__global__ void __launch_bounds__(kThreads) adam_kernel(const genten_adam_slot* slots, int count, float lr,
                                                        float beta1, float beta2, float eps, float weight_decay,
                                                        int decoupled, const uint64_t* step_dev) {
    const double t = (double)*step_dev;
    // the scalars in double, rounded once, as PyTorch computes them in Python floats
    const float step_size = (float)((double)lr / (1.0 - pow((double)beta1, t)));
    const float bc2_sqrt = (float)sqrt(1.0 - pow((double)beta2, t));
    const float decay = (float)(1.0 - (double)lr * (double)weight_decay);
    const float one_minus_b1 = (float)(1.0 - (double)beta1), one_minus_b2 = (float)(1.0 - (double)beta2);
    for (int slot = blockIdx.y; slot < count; slot += gridDim.y) {
        const genten_adam_slot sl = slots[slot];
        const int64_t stride = (int64_t)gridDim.x * blockDim.x;
        for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < sl.n; i += stride) {
            float p = sl.param[i];
            float g = sl.grad[i];
            if (weight_decay != 0.0f) {
                if (decoupled)
                    p *= decay;
                else
                    g += weight_decay * p;
            }
            float m = sl.m[i], v = sl.v[i];
            m += one_minus_b1 * (g - m);
            v = beta2 * v + one_minus_b2 * g * g;
            const float denom = sqrtf(v) / bc2_sqrt + eps;
            p -= step_size * (m / denom);
            sl.m[i] = m;
            sl.v[i] = v;
            sl.param[i] = p;
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
    adam_kernel<<<dim3(gx, gy), kThreads, 0, as_stream(stream)>>>(slots_dev, count, lr, beta1, beta2, eps,
                                                                   weight_decay, decoupled, step_dev);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
