// Philox4x32-10, bit for bit the generator of io.genten.tensor.Philox (Java):
// element i of stream (seed, offset) is lane i % 4 of block b = i / 4, with
// counter = (lo(b), hi(b), lo(offset), hi(offset)) and key = (lo(seed), hi(seed)).
#pragma once

#include <stdint.h>
#include <cuda_runtime.h>

namespace genten {

struct PhiloxWords {
    uint32_t x[4];
};

__host__ __device__ __forceinline__ void philox_mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
#ifdef __CUDA_ARCH__
    hi = __umulhi(a, b);
    lo = a * b;
#else
    const uint64_t p = (uint64_t)a * (uint64_t)b;
    hi = (uint32_t)(p >> 32);
    lo = (uint32_t)p;
#endif
}

__host__ __device__ __forceinline__ PhiloxWords philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                                            uint32_t k0, uint32_t k1) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    const uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k0 += W0;
            k1 += W1;
        }
        uint32_t hi0, lo0, hi1, lo1;
        philox_mulhilo(M0, c0, hi0, lo0);
        philox_mulhilo(M1, c2, hi1, lo1);
        const uint32_t n0 = hi1 ^ c1 ^ k0;
        const uint32_t n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    PhiloxWords w;
    w.x[0] = c0;
    w.x[1] = c1;
    w.x[2] = c2;
    w.x[3] = c3;
    return w;
}

// The four words of block b of stream (seed, offset).
__host__ __device__ __forceinline__ PhiloxWords philox_block(uint64_t seed, uint64_t offset, uint64_t b) {
    return philox4x32_10((uint32_t)b, (uint32_t)(b >> 32), (uint32_t)offset, (uint32_t)(offset >> 32),
                         (uint32_t)seed, (uint32_t)(seed >> 32));
}

// (x >> 8) * 2^-24 in [0, 1): the integer converts exactly, the product is exact.
__host__ __device__ __forceinline__ float philox_uniform(uint32_t word) {
    return (float)(word >> 8) * 5.9604644775390625e-08f;
}

// Box-Muller in double on one pair, as Java: u1 in (0, 1], u2 in [0, 1); the two results rounded
// to float. Only multiplications, no additions, so no FMA contraction can change the bits;
// log/sqrt/sin/cos are CUDA's double functions (sqrt correctly rounded, the others within 1-2
// ulp of Java's Math), so a float result differs only when the double lands within an ulp of a
// float rounding boundary.
__host__ __device__ __forceinline__ void philox_box_muller(uint32_t a, uint32_t b, float& n0, float& n1) {
    const double two_m24 = 5.9604644775390625e-08;
    const double u1 = (double)((a >> 8) + 1u) * two_m24;
    const double u2 = (double)(b >> 8) * two_m24;
    const double r = sqrt(-2.0 * log(u1));
    const double theta = 2.0 * 3.141592653589793 * u2;
    n0 = (float)(r * cos(theta));
    n1 = (float)(r * sin(theta));
}

// Four normals of block b: (x0, x1) -> lanes 0, 1 and (x2, x3) -> lanes 2, 3.
__host__ __device__ __forceinline__ void philox_normal4(uint64_t seed, uint64_t offset, uint64_t b, float out[4]) {
    const PhiloxWords w = philox_block(seed, offset, b);
    philox_box_muller(w.x[0], w.x[1], out[0], out[1]);
    philox_box_muller(w.x[2], w.x[3], out[2], out[3]);
}

#if defined(__CUDACC__) || defined(GENTEN_EMU)
// The effective offset of a random kernel: offset, plus *offset_dev when given (graphs).
__device__ __forceinline__ uint64_t philox_offset(uint64_t offset, const uint64_t* offset_dev) {
    return offset_dev ? offset + *offset_dev : offset;
}
#endif

}  // namespace genten
