// The kernels' inline PTX, each instruction behind one small function. The CUDA build emits the
// instruction; the SIMT emulator build (GENTEN_EMU) calls its host version, which follows the PTX
// ISA (for mma: each lane's fragment registers exchanged across the warp as the ISA's fragment
// tables say), so a kernel that maps a fragment wrongly fails on the CPU as on the GPU.
#pragma once

#include <stdint.h>

#include "common.cuh"

namespace genten {

// cvt.rna.tf32.f32: x rounded to TF32 (10 mantissa bits, ties away from zero), as a .b32.
__device__ __forceinline__ uint32_t to_tf32(float x) {
#ifdef GENTEN_EMU
    return simt::cvt_rna_tf32(x);
#else
    uint32_t t;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(t) : "f"(x));
    return t;
#endif
}

// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32: c += a * b over the warp (fragments as in
// PTX ISA 9.7.14.5.7: a (16x8) 4 registers, b (8x8) 2, c (16x8) 4 per lane).
__device__ __forceinline__ void mma_tf32(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(GENTEN_EMU)
    const float in[4] = {c[0], c[1], c[2], c[3]};
    simt::mma_m16n8k8_tf32(c, a, b, in);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    __trap();  // the library is built for sm_80+ only
#endif
}

// mov.b32: x, opaque to the compiler, so a per-thread value computed once before a loop (a shared
// memory address from threadIdx) stays in its register instead of being recomputed in the loop.
__device__ __forceinline__ int opaque(int x) {
#ifdef GENTEN_EMU
    return x;
#else
    int y;
    asm("mov.b32 %0, %1;" : "=r"(y) : "r"(x));
    return y;
#endif
}

// The same for a pointer: a per-thread row pointer computed once before the loop stays in its
// register pair instead of being rematerialized (min, multiply, adds) in every k-step.
template <class T>
__device__ __forceinline__ T* opaque(T* p) {
#ifdef GENTEN_EMU
    return p;
#else
    uint64_t y;
    asm("mov.b64 %0, %1;" : "=l"(y) : "l"((uint64_t)p));
    return reinterpret_cast<T*>(y);
#endif
}

// ld.global.nc.f32 under a predicate, 0 where it is false (the load is not issued: p may then
// point anywhere). One predicated load instead of a branch around it.
__device__ __forceinline__ float ldg_if(const float* p, bool pred) {
#ifdef GENTEN_EMU
    return pred ? *p : 0.0f;
#else
    float v;
    asm("{\n\t.reg .pred q;\n\tsetp.ne.b32 q, %2, 0;\n\tmov.b32 %0, 0;\n\t@q ld.global.nc.f32 %0, [%1];\n\t}"
        : "=f"(v)
        : "l"(p), "r"((int)pred));
    return v;
#endif
}

// The same for a gather from a 2-D window: loads iff y < h and x < w as unsigned (negative
// coordinates fail), the compares inside the PTX (setp + setp.and, no predicate materialized).
__device__ __forceinline__ float ldg_in_window(const float* p, int y, int h, int x, int w) {
#ifdef GENTEN_EMU
    return ((unsigned)y < (unsigned)h && (unsigned)x < (unsigned)w) ? *p : 0.0f;
#else
    float v;
    asm("{\n\t.reg .pred q;\n\tsetp.lt.u32 q, %2, %3;\n\tsetp.lt.and.u32 q, %4, %5, q;\n\tmov.b32 %0, 0;\n\t"
        "@q ld.global.nc.f32 %0, [%1];\n\t}"
        : "=f"(v)
        : "l"(p), "r"(y), "r"(h), "r"(x), "r"(w));
    return v;
#endif
}

}  // namespace genten

namespace genten {

// 3xTF32's split of raw FP32 words, in place: x -> big = tf32(x), small = tf32(x - big)
// (cvt.rna.tf32.f32 twice and a subtraction per word).
template <int N>
__device__ __forceinline__ void split_tf32(uint32_t (&x)[N], uint32_t (&small)[N]) {
#pragma unroll
    for (int i = 0; i < N; ++i) {
        const float v = __uint_as_float(x[i]);
        x[i] = to_tf32(v);
        small[i] = to_tf32(v - __uint_as_float(x[i]));
    }
}

// ld.global.nc.f32 iff every bit of `bits` is set in `mask` (and + setp inside the PTX), else 0:
// the conv gathers' window test, one bit per filter row and one per filter column (conv.cu).
__device__ __forceinline__ float ldg_if_all(const float* p, uint32_t mask, uint32_t bits) {
#ifdef GENTEN_EMU
    return (mask & bits) == bits ? *p : 0.0f;
#else
    float v;
    asm("{\n\t.reg .pred q;\n\t.reg .b32 t;\n\tand.b32 t, %2, %3;\n\tsetp.eq.b32 q, t, %3;\n\tmov.b32 %0, 0;\n\t"
        "@q ld.global.nc.f32 %0, [%1];\n\t}"
        : "=f"(v)
        : "l"(p), "r"(mask), "r"(bits));
    return v;
#endif
}

}  // namespace genten

namespace genten {

// mov.b64 d, {lo, hi}: a 64-bit value from two 32-bit halves (a register pair: free in SASS), so a
// gather table can hold 64-bit byte offsets in an int4 without shifts and ors in the loop.
__device__ __forceinline__ int64_t pack64(int lo, int hi) {
#ifdef GENTEN_EMU
    return (int64_t)(((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo);
#else
    int64_t d;
    asm("mov.b64 %0, {%1, %2};" : "=l"(d) : "r"(lo), "r"(hi));
    return d;
#endif
}

}  // namespace genten

namespace genten {

// cp.async.ca.shared.global, 4 bytes, global -> shared without registers (sm_80+); the variants
// with an ignore-src predicate write zeros instead of reading (PTX ISA: cp.async's ignore-src
// operand), the predicate computed inside the PTX as in ldg_if / ldg_if_all. Completion:
// cp.async.commit_group closes the thread's group of copies, cp.async.wait_group 0 waits for all of
// them; the block then sees them after a barrier. The emulator (simt.h) reads the source at the
// copy and writes the destination at the wait, a NaN pattern in between, so a read of a slice
// before its wait shows on the CPU as on the GPU.
__device__ __forceinline__ void cp_async4(uint32_t* dst, const float* src) {
#ifdef GENTEN_EMU
    simt::cp_async4(dst, src, false);
#else
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"((uint32_t)__cvta_generic_to_shared(dst)), "l"(src)
                 : "memory");
#endif
}
// (ok is 0 or 1: ignore-src = ok != 1, the setp.ne that issue_model.py knows the tail by, as ldg_if's)
__device__ __forceinline__ void cp_async4_if(uint32_t* dst, const float* src, bool ok) {
#ifdef GENTEN_EMU
    simt::cp_async4(dst, src, !ok);
#else
    asm volatile("{\n\t.reg .pred q;\n\tsetp.ne.b32 q, %2, 1;\n\tcp.async.ca.shared.global [%0], [%1], 4, q;\n\t}\n" ::"r"(
                     (uint32_t)__cvta_generic_to_shared(dst)),
                 "l"(src), "r"((int)ok)
                 : "memory");
#endif
}
__device__ __forceinline__ void cp_async4_if_all(uint32_t* dst, const float* src, uint32_t mask, uint32_t bits) {
#ifdef GENTEN_EMU
    simt::cp_async4(dst, src, (mask & bits) != bits);
#else
    asm volatile("{\n\t.reg .pred q;\n\t.reg .b32 t;\n\tand.b32 t, %2, %3;\n\tsetp.ne.b32 q, t, %3;\n\t"
                 "cp.async.ca.shared.global [%0], [%1], 4, q;\n\t}\n" ::"r"((uint32_t)__cvta_generic_to_shared(dst)),
                 "l"(src), "r"(mask), "r"(bits)
                 : "memory");
#endif
}
__device__ __forceinline__ void cp_async_commit() {
#ifdef GENTEN_EMU
    simt::cp_async_commit();
#else
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
// cp.async.wait_group N: every committed group but the N newest has landed (this thread's copies).
template <int N>
__device__ __forceinline__ void cp_async_wait_group() {
#ifdef GENTEN_EMU
    simt::cp_async_wait_group(N);
#else
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}
__device__ __forceinline__ void cp_async_wait_all() {
#ifdef GENTEN_EMU
    simt::cp_async_wait_group(0);
#else
    asm volatile("cp.async.wait_group 0;\n" ::: "memory");
#endif
}

}  // namespace genten
