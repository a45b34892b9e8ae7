// The SIMT emulator's device side, forced into every translation unit of the emulator build
// (g++ -include simt.h): CUDA's keywords, built-in variables, intrinsics, warp operations,
// atomics and the kernel launch, all as plain C++ over the runtime in scheduler.cpp.
//
// Model: a launch runs its blocks on host threads (several blocks at once); a block's threads are
// cooperative fibers on one host thread, switched only at barriers and warp-synchronous operations,
// so `__shared__` (a `static thread_local`) is private to the block being run and shared by its
// threads. Everything else is ordinary C++: a debugger steps through a kernel like any function.
#pragma once

#define GENTEN_EMU 1

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda_runtime.h"
#include "fiber.h"

// ---- keywords ----------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __grid_constant__
#define __shared__ static thread_local
#define __constant__
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

namespace simt {

struct Block;

// What one emulated GPU thread sees; the scheduler points `current` at the running fiber's.
// cp.async (PTX ISA: asynchronous copies, global -> shared), per thread: a copy's source is read when
// it is issued and its destination holds a NaN pattern until a cp.async.wait_group completes the
// copy's committed group (the ISA leaves it undefined until then), so a kernel that reads a slice
// before its wait (or before the barrier after everyone's wait) reads NaN on the emulator too.
struct AsyncCopy {
    uint32_t* dst;
    uint32_t value;
    unsigned group;  // kUncommitted until cp.async.commit_group
};
constexpr unsigned kAsyncCopies = 64;  // pending per thread; more is reported as a fault
constexpr unsigned kUncommitted = ~0u;

struct Thread {
    uint3 thread_idx;
    uint3 block_idx;
    dim3 block_dim;
    dim3 grid_dim;
    Block* block;
    unsigned linear;  // x + y * bx + z * bx * by
    unsigned async_count;   // pending copies in async[0 .. async_count)
    unsigned async_groups;  // groups committed so far
    AsyncCopy async[kAsyncCopies];
};

// The running fiber's Thread: stored at the base of its stack, which is aligned to
// kFiberStackAlign (fiber.h), so the frame address finds it without thread-local storage.
inline Thread* current() {
    return *reinterpret_cast<Thread**>((uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)(kFiberStackAlign - 1));
}

// ---- block- and warp-level primitives (scheduler.cpp) ------------------------------------------
void syncthreads();
// Every lane of `mask` deposits `bytes` of its data; when all have, each gets all 32 deposits
// (lane-major, `bytes` apart; lanes outside the mask read as zero). The primitive behind
// shuffles, votes, reductions and mma.
void warp_collect(unsigned mask, const void* mine, size_t bytes, void* all);
// The same meeting, but the last lane to arrive runs `combine` once over all 32 deposits (in, lanes
// of the mask valid) and writes each lane's result to out[lane]; every lane then receives its own.
constexpr size_t kWarpBytes = 64;
using WarpCombine = void (*)(const unsigned char (*in)[kWarpBytes], unsigned lanes, unsigned char (*out)[kWarpBytes]);
void warp_exchange(unsigned mask, const void* mine, size_t bytes, WarpCombine combine, void* result, size_t result_bytes);
void syncwarp(unsigned mask);
unsigned active_mask();
[[noreturn]] void trap(const char* why);
void* dynamic_shared_memory();
// Emulator controls behind genten_emulator_configure (schedule: 0 forward, 1 reverse, 2 shuffled by seed).
int configure(int schedule, uint64_t seed);
// The emulated device's memory size behind genten_emulator_set_memory_limit (0: the default,
// GENTEN_SIMT_MEMORY_MB or half the host's RAM).
void set_memory_limit(size_t bytes);
unsigned host_threads();

inline unsigned lane_id() { return current()->linear & 31u; }

// Each lane deposits its value and the lane it reads from; one combine hands every lane its source's value.
struct ShuffleSlot {
    uint64_t value;
    uint32_t src;
};
inline void shuffle_combine(const unsigned char (*in)[kWarpBytes], unsigned, unsigned char (*out)[kWarpBytes]) {
    for (int l = 0; l < 32; ++l) {
        ShuffleSlot mine;
        memcpy(&mine, in[l], sizeof mine);
        memcpy(out[l], in[mine.src & 31u], sizeof(uint64_t));
    }
}

template <class T>
inline T shuffle_from(unsigned mask, T v, int width, int (*pick)(int lane, int arg, int width), int arg) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a type wider than 8 bytes");
    ShuffleSlot mine{0, (uint32_t)pick((int)lane_id(), arg, width)};
    memcpy(&mine.value, &v, sizeof(T));
    uint64_t got;
    warp_exchange(mask, &mine, sizeof mine, shuffle_combine, &got, sizeof got);
    T out;
    memcpy(&out, &got, sizeof(T));
    return out;
}

inline int pick_idx(int lane, int src, int width) { return (lane & ~(width - 1)) + (src & (width - 1)); }
inline int pick_down(int lane, int d, int width) { return (lane & (width - 1)) + d < width ? lane + d : lane; }
inline int pick_up(int lane, int d, int width) { return (lane & (width - 1)) >= d ? lane - d : lane; }
inline int pick_xor(int lane, int m, int width) {
    const int src = lane ^ m;
    return (src & ~(width - 1)) == (lane & ~(width - 1)) ? src : lane;
}

template <class T, class Op>
inline T warp_reduce(unsigned mask, T v, Op op) {
    T all[32];
    warp_collect(mask, &v, sizeof(T), all);
    bool first = true;
    T acc{};
    for (int l = 0; l < 32; ++l)
        if (mask & (1u << l)) {
            acc = first ? all[l] : op(acc, all[l]);
            first = false;
        }
    return acc;
}

// ---- tensor cores: the PTX ISA's warp-level MMA, fragment by fragment ----------------------------
// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32: d = a * b + c over the warp, each lane holding
// the fragments of PTX ISA 9.7.14.5.7 (groupID = lane >> 2, threadID_in_group = lane % 4):
//   A 16x8: a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4)   B 8x8: b0 (t, g), b1 (t+4, g)
//   C/D 16x8: c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1)
void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const float (&c)[4]);

// cvt.rna.tf32.f32: round to 10 explicit mantissa bits, ties away from zero; NaN and Inf pass.
inline uint32_t cvt_rna_tf32(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) == 0x7f800000u) return u;
    return (u + 0x1000u) & 0xffffe000u;
}

// ---- cp.async ---------------------------------------------------------------------------------
// cp.async.ca.shared.global [dst], [src], 4 {, ignore-src}: the 4 bytes (zeros when ignore_src) are
// read now and land at the copy's wait.
inline void cp_async4(uint32_t* dst, const void* src, bool ignore_src) {
    Thread* t = current();
    if (t->async_count == kAsyncCopies) trap("cp.async: more than 64 copies pending in one thread");
    uint32_t v = 0;
    if (!ignore_src) memcpy(&v, src, 4);
    t->async[t->async_count++] = AsyncCopy{dst, v, kUncommitted};
    *dst = 0xffffffffu;  // undefined until the wait: a NaN
}
// cp.async.commit_group: the thread's uncommitted copies become its newest group.
inline void cp_async_commit() {
    Thread* t = current();
    for (unsigned i = 0; i < t->async_count; ++i)
        if (t->async[i].group == kUncommitted) t->async[i].group = t->async_groups;
    t->async_groups++;
}
// cp.async.wait_group n: completes every committed group but the n newest.
inline void cp_async_wait_group(unsigned n) {
    Thread* t = current();
    const unsigned limit = t->async_groups >= n ? t->async_groups - n : 0;
    unsigned kept = 0;
    for (unsigned i = 0; i < t->async_count; ++i) {
        const AsyncCopy& c = t->async[i];
        if (c.group != kUncommitted && c.group < limit) *c.dst = c.value;
        else t->async[kept++] = c;
    }
    t->async_count = kept;
}

// ---- launches ----------------------------------------------------------------------------------
struct KernelTask {
    const char* name = "";
    const char* site = "";
    const void* func = nullptr;  // the kernel function: its cudaFuncSetAttribute limits
    dim3 grid, block;
    size_t shared_bytes = 0;
    virtual ~KernelTask() = default;
    virtual void run_thread() const = 0;  // the kernel body, as the current thread
};

template <class F, class Args>
struct KernelTaskOf final : KernelTask {
    F fn;
    Args args;
    KernelTaskOf(F f, Args a) : fn(f), args(std::move(a)) {}
    void run_thread() const override { std::apply(fn, args); }
};

// Runs the launch (or records it while `stream` is captured); a bad configuration or a fault
// inside the kernel becomes the calling thread's cudaGetLastError().
void submit(std::shared_ptr<KernelTask> task, cudaStream_t stream);

template <class F>
struct Launcher {
    const char* name;
    const char* site;
    const void* func;
    dim3 grid, block;
    size_t shared_bytes;
    cudaStream_t stream;
    F fn;
    template <class... A>
    void operator()(A&&... args) const {
        using Args = std::tuple<std::decay_t<A>...>;
        auto task = std::make_shared<KernelTaskOf<F, Args>>(fn, Args(std::forward<A>(args)...));
        task->name = name;
        task->site = site;
        task->func = func;
        task->grid = grid;
        task->block = block;
        task->shared_bytes = shared_bytes;
        submit(std::move(task), stream);
    }
};

template <class F>
Launcher<F> launch(const char* name, const char* site, const void* func, dim3 grid, dim3 block,
                   size_t shared_bytes, cudaStream_t stream, F fn) {
    return Launcher<F>{name, site, func, grid, block, shared_bytes, stream, fn};
}

// The most dynamic shared memory a kernel may be launched with: 48 KiB, or what
// cudaFuncSetAttribute(func, cudaFuncAttributeMaxDynamicSharedMemorySize, ...) allowed it.
void set_max_dynamic_shared(const void* func, size_t bytes);
size_t max_dynamic_shared(const void* func);
constexpr size_t kDefaultDynamicShared = 48 * 1024;
constexpr size_t kOptInDynamicShared = 163 * 1024;  // sm_80's per-block limit

}  // namespace simt

#define SIMT_STR2(x) #x
#define SIMT_STR(x) SIMT_STR2(x)
// kernel<<<grid, block, smem, stream>>>(args) of the CUDA build (see GT_LAUNCH in common.cuh).
#define SIMT_LAUNCH(kernel, grid, block, smem, stream)                                               \
    ::simt::launch(#kernel, __FILE__ ":" SIMT_STR(__LINE__), reinterpret_cast<const void*>(&kernel), grid,  \
                   block, smem, stream,                                                                \
                   [](const auto&... simt_args_) { kernel(simt_args_...); })
#define SIMT_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(::simt::dynamic_shared_memory())

// ---- built-in variables ------------------------------------------------------------------------
#define threadIdx (::simt::current()->thread_idx)
#define blockIdx (::simt::current()->block_idx)
#define blockDim (::simt::current()->block_dim)
#define gridDim (::simt::current()->grid_dim)
static constexpr int warpSize = 32;

// ---- synchronization and warp operations ---------------------------------------------------------
inline void __syncthreads() { ::simt::syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::simt::syncwarp(mask); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
[[noreturn]] inline void __trap() { ::simt::trap("__trap()"); }
inline unsigned __activemask() { return ::simt::active_mask(); }
inline void __nanosleep(unsigned) {}

template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    return ::simt::shuffle_from(mask, v, width, ::simt::pick_idx, src);
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned d, int width = 32) {
    return ::simt::shuffle_from(mask, v, width, ::simt::pick_down, (int)d);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned d, int width = 32) {
    return ::simt::shuffle_from(mask, v, width, ::simt::pick_up, (int)d);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int m, int width = 32) {
    return ::simt::shuffle_from(mask, v, width, ::simt::pick_xor, m);
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
    return ::simt::warp_reduce(mask, pred ? 1u << ::simt::lane_id() : 0u, [](unsigned a, unsigned b) { return a | b; });
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return (__ballot_sync(mask, pred) & mask) == mask; }
inline unsigned __reduce_add_sync(unsigned mask, unsigned v) {
    return ::simt::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a + b; });
}
inline int __reduce_add_sync(unsigned mask, int v) {
    return (int)__reduce_add_sync(mask, (unsigned)v);
}
inline unsigned __reduce_min_sync(unsigned mask, unsigned v) {
    return ::simt::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a < b ? a : b; });
}
inline int __reduce_min_sync(unsigned mask, int v) {
    return ::simt::warp_reduce(mask, v, [](int a, int b) { return a < b ? a : b; });
}
inline unsigned __reduce_max_sync(unsigned mask, unsigned v) {
    return ::simt::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a > b ? a : b; });
}
inline int __reduce_max_sync(unsigned mask, int v) {
    return ::simt::warp_reduce(mask, v, [](int a, int b) { return a > b ? a : b; });
}
inline unsigned __reduce_and_sync(unsigned mask, unsigned v) {
    return ::simt::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a & b; });
}
inline unsigned __reduce_or_sync(unsigned mask, unsigned v) {
    return ::simt::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a | b; });
}
inline unsigned __reduce_xor_sync(unsigned mask, unsigned v) {
    return ::simt::warp_reduce(mask, v, [](unsigned a, unsigned b) { return a ^ b; });
}

// ---- atomics: blocks run in parallel on host threads, so these are real atomics ------------------
#define SIMT_ATOMIC_INT(T)                                                                              \
    inline T atomicAdd(T* p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }                \
    inline T atomicSub(T* p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }                \
    inline T atomicExch(T* p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }              \
    inline T atomicAnd(T* p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }                \
    inline T atomicOr(T* p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }                  \
    inline T atomicXor(T* p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }                \
    inline T atomicCAS(T* p, T cmp, T v) {                                                              \
        __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);             \
        return cmp;                                                                                     \
    }                                                                                                   \
    inline T atomicMax(T* p, T v) {                                                                     \
        T old = __atomic_load_n(p, __ATOMIC_SEQ_CST);                                                   \
        while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {} \
        return old;                                                                                     \
    }                                                                                                   \
    inline T atomicMin(T* p, T v) {                                                                     \
        T old = __atomic_load_n(p, __ATOMIC_SEQ_CST);                                                   \
        while (old > v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {} \
        return old;                                                                                     \
    }
SIMT_ATOMIC_INT(int)
SIMT_ATOMIC_INT(unsigned)
SIMT_ATOMIC_INT(unsigned long long)
#undef SIMT_ATOMIC_INT

namespace simt {
template <class F, class U>
inline F atomic_float_add(F* p, F v) {
    U old = __atomic_load_n(reinterpret_cast<U*>(p), __ATOMIC_SEQ_CST);
    for (;;) {
        F f;
        memcpy(&f, &old, sizeof(F));
        f += v;
        U want;
        memcpy(&want, &f, sizeof(F));
        if (__atomic_compare_exchange_n(reinterpret_cast<U*>(p), &old, want, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            memcpy(&f, &old, sizeof(F));
            return f;
        }
    }
}
}  // namespace simt
inline float atomicAdd(float* p, float v) { return ::simt::atomic_float_add<float, uint32_t>(p, v); }
inline double atomicAdd(double* p, double v) { return ::simt::atomic_float_add<double, uint64_t>(p, v); }
inline float atomicExch(float* p, float v) {
    uint32_t u, old;
    memcpy(&u, &v, 4);
    old = __atomic_exchange_n(reinterpret_cast<uint32_t*>(p), u, __ATOMIC_SEQ_CST);
    float f;
    memcpy(&f, &old, 4);
    return f;
}

// ---- intrinsics (IEEE results: the same bits as the GPU where tests compare bitwise) -------------
template <class T>
inline T __ldg(const T* p) { return *p; }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
inline int __mulhi(int a, int b) { return (int)(((int64_t)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline int __float_as_int(float f) { int u; memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int u) { float f; memcpy(&f, &u, 4); return f; }
inline long long __double_as_longlong(double d) { long long u; memcpy(&u, &d, 8); return u; }
inline double __longlong_as_double(long long u) { double d; memcpy(&d, &u, 8); return d; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline unsigned __brev(unsigned x) {
    unsigned r = 0;
    for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float a, float b) { return powf(a, b); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }

// CUDA's overloaded min/max for device code.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long min(unsigned long a, unsigned long b) { return a < b ? a : b; }
inline unsigned long max(unsigned long a, unsigned long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

long long clock64();
