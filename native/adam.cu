// Adam over every parameter tensor in one launch that does only useful work: the slots' elements
// are cut into work items of kChunk elements ((slot, chunk) pairs), flattened in slot order, and at
// most one wave of blocks walks them grid-stride (a block's items only move forward, so it
// finds each item's slot by advancing through the slot table: O(slots + items) uniform loads per
// block, no 2048-block rows per slot of which most exit at once). The bias corrections
// 1 - beta^t are computed once per block (thread 0, shared memory), not once per thread. The step
// count is read from device memory, so a captured CUDA graph replays correctly after
// genten_counter_add advances it. The math is the CPU backend's (CpuAdam, the
// oracle; torch.optim.Adam / AdamW, non-amsgrad): each element updated in double, stored as float,
// with the hyperparameters taken as the decimals they were written as (0.999f -> 0.999, as Python
// doubles; from the float, 1 - beta2 was off by 1.3e-5 relative and v with it):
//   g = grad + wd p (coupled)        p *= 1 - lr wd (decoupled)
//   m = b1 m + (1 - b1) g            v = b2 v + (1 - b2) g^2
//   p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Each element's update depends only on that element, so the partition into items changes no bit.
// Floor: 16 B read + 12 B written per parameter; the models' ~2-3M parameters move ~80 MB,
// ~27 us at 3 TB/s; in practice a few us of launch on top (the
// double math, a few FP64 ops and one sqrt/division per element, hides under the memory time).
#include <math.h>

#include "common.cuh"
#include "decimal.h"

using namespace genten;

namespace {

struct AdamScalars {
    double lr, beta1, beta2, eps, shrink, coupled_wd;
};

constexpr int kChunk = kThreads * 4;  // elements per work item

__device__ __forceinline__ int64_t items_of(int64_t n) { return (n + kChunk - 1) / kChunk; }

__global__ void __launch_bounds__(kThreads) adam_kernel(const genten_adam_slot* slots, int count, AdamScalars a,
                                                        const uint64_t* step_dev) {
    __shared__ double bc[2];
    if (threadIdx.x == 0) {
        const double t = (double)*step_dev;
        bc[0] = 1.0 - pow(a.beta1, t);
        bc[1] = 1.0 - pow(a.beta2, t);
    }
    __syncthreads();
    const double bc1 = bc[0], bc2 = bc[1];
    const double one_minus_b1 = 1.0 - a.beta1, one_minus_b2 = 1.0 - a.beta2;
    int slot = 0;
    int64_t first = 0, n = slots[0].n;  // first item of `slot`, its element count
    for (int64_t item = blockIdx.x;; item += gridDim.x) {
        while (item >= first + items_of(n)) {  // uniform over the block
            first += items_of(n);
            if (++slot == count) return;
            n = slots[slot].n;
        }
        const genten_adam_slot sl = slots[slot];
        const int64_t base = (item - first) * kChunk;
#pragma unroll
        for (int e = 0; e < kChunk / kThreads; ++e) {
            const int64_t i = base + e * kThreads + threadIdx.x;
            if (i >= n) break;
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
    // At most one block per work item (count * items of the largest slot bounds their number; the
    // slot sizes themselves are on the device) and at most one wave of 256-thread blocks on 132
    // SMs (8 each); the blocks walk the items grid-stride.
    const int64_t items_bound = (int64_t)count * ((max_n + kChunk - 1) / kChunk);
    const unsigned gx = (unsigned)(items_bound < 1056 ? items_bound : 1056);
    AdamScalars a;
    a.lr = float_decimal(lr);
    a.beta1 = float_decimal(beta1);
    a.beta2 = float_decimal(beta2);
    a.eps = float_decimal(eps);
    const double wd = float_decimal(weight_decay);
    a.shrink = decoupled ? 1.0 - a.lr * wd : 1.0;
    a.coupled_wd = decoupled ? 0.0 : wd;
    GT_LAUNCH(adam_kernel, gx, kThreads, 0, as_stream(stream))(slots_dev, count, a, step_dev);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
