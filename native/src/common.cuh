// Internal helpers shared by every kernel file: status macros, argument checks, launch sizing,
// fast integer division, deterministic block reductions and stream-ordered scratch memory.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>
#include <limits.h>

#include "genten.h"

namespace genten {

// Every CUDA call is checked; the first failure is returned as the function's status. A failed
// runtime call (a cudaMallocAsync out of memory, a bad copy) also becomes the thread's "last error";
// it is read off here, or the next, unrelated launch's cudaGetLastError check would report it again
// (sticky errors, a faulted context, persist regardless).
#define GT_CHECK(call)                                   \
    do {                                                 \
        cudaError_t gt_err_ = (call);                    \
        if (gt_err_ != cudaSuccess) {                    \
            (void)cudaGetLastError();                    \
            return (int)gt_err_;                         \
        }                                                \
    } while (0)

// After each launch: configuration errors (bad grid, too many resources) surface here.
#define GT_CHECK_LAUNCH() GT_CHECK(cudaGetLastError())

// Argument validation: never launch with a bad configuration.
#define GT_REQUIRE(cond)                                         \
    do {                                                         \
        if (!(cond)) return GENTEN_ERR_INVALID_ARGUMENT;         \
    } while (0)

#define GT_SUPPORTED(cond)                                       \
    do {                                                         \
        if (!(cond)) return GENTEN_ERR_UNSUPPORTED;              \
    } while (0)

// kernel<<<grid, block, shared_bytes, stream>>>(args...) as GT_LAUNCH(kernel, grid, block,
// shared_bytes, stream)(args...): the same source then also builds for the SIMT emulator
// (native/simt), where a launch is a call into its scheduler.
// A kernel name with commas (template arguments) goes through a helper macro, e.g.
// GT_LAUNCH(GEMM_KERNEL(MODE, true, false), ...), which is why the emulator's expansion is spelled
// out here rather than passed on to SIMT_LAUNCH. The kernel must name one function (template
// arguments spelled out, not deduced): the emulator keys its cudaFuncSetAttribute limits by its address.
#ifdef GENTEN_EMU
#define GT_LAUNCH(kernel, grid, block, shared_bytes, stream)                                        \
    ::simt::launch(#kernel, __FILE__ ":" SIMT_STR(__LINE__), reinterpret_cast<const void*>(&kernel), \
                   grid, block, shared_bytes, stream,                                               \
                   [](const auto&... gt_args_) { kernel(gt_args_...); })
#else
#define GT_LAUNCH(kernel, grid, block, shared_bytes, stream) kernel<<<grid, block, shared_bytes, stream>>>
#endif

// A kernel's dynamic shared memory (the launch's shared_bytes) as `T* name` / `T name[]`: extern
// __shared__ on the GPU, the block's buffer in the emulator. One name and type per translation unit
// (CUDA merges every extern __shared__ declaration into one array).
#ifdef GENTEN_EMU
#define GT_DYNAMIC_SHARED(T, name) SIMT_DYNAMIC_SHARED(T, name)
#else
#define GT_DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) T name[]
#endif

inline cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

inline bool valid_act(int act) { return act >= GENTEN_ACT_IDENTITY && act <= GENTEN_ACT_SIGMOID; }
inline bool valid_math(int m) { return m >= GENTEN_MATH_FP32 && m <= GENTEN_MATH_3XTF32; }

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n items with `per_thread` items per thread: enough to fill
// an H100 many times over, capped so the grid stays legal; the loops are 64-bit.
inline unsigned grid_for(int64_t n, int per_thread = 1, int threads = kThreads) {
    int64_t per_block = (int64_t)threads * per_thread;
    int64_t b = (n + per_block - 1) / per_block;
    if (b < 1) b = 1;
    if (b > 65536) b = 65536;
    return (unsigned)b;
}

// Division by a runtime constant through multiply-high and shift (exact for n < 2^31):
// m = ceil(2^(31+l) / d), l = ceil(log2 d). Used for the index decompositions of conv and
// the per-channel ops, where a hardware-less integer divide would dominate.
struct FastDiv {
    uint32_t d, mul, shift;
    __host__ __device__ FastDiv() : d(1), mul(0), shift(0) {}
    __host__ __device__ explicit FastDiv(int divisor) {
        d = (uint32_t)divisor;
        if (d <= 1) { mul = 0; shift = 0; return; }
        uint32_t l = 0;
        while ((1ull << l) < d) ++l;
        uint64_t p = 31 + l;
        mul = (uint32_t)(((1ull << p) + d - 1) / d);
        shift = (uint32_t)(p - 32);
    }
    __device__ __forceinline__ int div(int n) const {
        return d == 1 ? n : (int)(__umulhi((uint32_t)n, mul) >> shift);
    }
    __device__ __forceinline__ void divmod(int n, int& q, int& r) const {
        q = div(n);
        r = n - q * (int)d;
    }
};

// Deterministic block sum of a double: fixed shuffle tree then fixed order over warps.
// Every thread of the block must call it; the result is valid in thread 0.
__device__ __forceinline__ double block_sum(double v) {
    __shared__ double warp_sums[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int warps = (blockDim.x + 31) >> 5;
    __syncthreads();  // warp_sums may still be read by a previous call
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    double s = 0.0;
    if (threadIdx.x == 0)
        for (int i = 0; i < warps; ++i) s += warp_sums[i];
    return s;
}

// Stream-ordered scratch (cudaMallocAsync / cudaFreeAsync from the device's default pool):
// safe across streams, capturable into CUDA graphs (as memory nodes), and after the first
// step served from the pool without a device-wide synchronization.
struct Scratch {
    void* ptr = nullptr;
    cudaStream_t stream;
    explicit Scratch(cudaStream_t s) : stream(s) {}
    cudaError_t alloc(size_t bytes) { return cudaMallocAsync(&ptr, bytes, stream); }
    ~Scratch() {
        if (ptr) cudaFreeAsync(ptr, stream);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
};

// Activation math shared by the pointwise kernels and the fused epilogues.
__device__ __forceinline__ float act_forward(int act, float x, float alpha) {
    switch (act) {
        case GENTEN_ACT_RELU: return x > 0.0f ? x : 0.0f;
        case GENTEN_ACT_LEAKY_RELU: return x > 0.0f ? x : alpha * x;
        case GENTEN_ACT_TANH: return tanhf(x);
        case GENTEN_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
        default: return x;
    }
}

}  // namespace genten

namespace genten {

// Deterministic two-level sum: a fixed number of blocks (a function of n only) each reduce a
// fixed grid-stride subset in double into partials[block], then one block adds the partials in
// a fixed order. Same input, same bits, on every run and every stream.
template <class F>
__global__ void __launch_bounds__(kThreads) reduce_partials_kernel(F f, int64_t n, double* partials) {
    double acc = 0.0;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) acc += f(i);
    const double s = block_sum(acc);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// A template so each translation unit gets its own copy (no relocatable device code).
template <int kUnused = 0>
__global__ void __launch_bounds__(kThreads) reduce_finalize_kernel(const double* partials, int count, double scale,
                                                                   float* out) {
    double acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
    const double s = block_sum(acc);
    if (threadIdx.x == 0) out[0] = (float)(scale * s);
}

inline unsigned reduce_blocks(int64_t n) {
    int64_t b = (n + kThreads * 8 - 1) / (kThreads * 8);
    if (b < 1) b = 1;
    if (b > 1024) b = 1024;
    return (unsigned)b;
}

// out[0] = scale * sum_i f(i), i in [0, n).
template <class F>
int deterministic_sum(F f, int64_t n, float scale, float* out, cudaStream_t s) {
    const unsigned blocks = reduce_blocks(n);
    Scratch partials(s);
    GT_CHECK(partials.alloc(blocks * sizeof(double)));
    GT_LAUNCH(reduce_partials_kernel<F>, blocks, kThreads, 0, s)(f, n, static_cast<double*>(partials.ptr));
    GT_CHECK_LAUNCH();
    GT_LAUNCH(reduce_finalize_kernel<>, 1, kThreads, 0, s)(static_cast<const double*>(partials.ptr), (int)blocks,
                                                  (double)scale, out);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // namespace genten

namespace genten {

// How per-channel reductions split each channel's count elements over blocks: enough blocks to
// fill an H100 (~4 per SM) even for one channel, each at least 1024 elements. A function of the
// shape only, so the reduction order (and the result) never depends on the device.
struct SplitPlan {
    int splits, per_split;
};

inline SplitPlan channel_split_plan(int count, int c) {
    int splits = (count + 1023) / 1024;
    const int want = (528 + c - 1) / c;
    if (splits > want) splits = want;
    if (splits < 1) splits = 1;
    const int per_split = (count + splits - 1) / splits;
    return SplitPlan{(count + per_split - 1) / per_split, per_split};
}

}  // namespace genten
