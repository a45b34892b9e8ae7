// The tiled GEMM engine shared by conv.cu (implicit GEMMs) and gemm.cu (the linear layers): one
// block computes a 64 x 64 tile of C = A * B with 16-deep k-slices, operands gathered by the
// caller's loaders into shared memory (double buffered through registers), in three math modes:
// FP32 = SIMT FMAs, each thread a 4x4 register micro-tile; TF32 = mma.sync m16n8k8 (each warp a
// 32x16 sub-tile), operands rounded with cvt.rna.tf32; 3xTF32 = the same MMAs on big = tf32(x) and
// small = tf32(x - big), acc += small*big + big*small + big*big.
#pragma once

#include "common.cuh"
#include "ptx.cuh"

namespace genten {
namespace tile {

constexpr int BM = 64;        // tile rows (M)
constexpr int BN = 64;        // tile columns (N)
constexpr int BK = 16;        // k-slice per step
constexpr int LDS = BM + 4;   // FP32 slice row: 16-byte aligned, K-fast stores 2-way (not 4-way) conflicted
constexpr int NT = 256;       // threads per block: 8 warps
static_assert(BM == BN, "the loaders assume square tiles");

// ---- operand staging: registers -> shared memory, rounded per math mode ---------------------

// Thread -> element mapping of a 64 x 16 operand slice (4 elements per thread):
// M-fast: 64 consecutive threads walk m (coalesced when m is contiguous in memory);
// K-fast: 16 consecutive threads walk k (coalesced when k is contiguous in memory).
template <bool MFAST>
struct Map {
    __device__ static int k(int tid, int j) { return MFAST ? (tid >> 6) + 4 * j : (tid & 15); }
    __device__ static int m(int tid, int j) { return MFAST ? (tid & 63) : (tid >> 4) + 16 * j; }
};

// Shared-memory layouts of a 16 x 64 slice (SLICE words per buffer).
// FP32: k-major rows of LDS words, [k][m]: the 4x4 micro-tile reads a float4 of A and of B per k.
// Tensor cores: fragment order, so that a warp's MMA operands are one LDS.128 (A) or LDS.64 (B)
// per lane and fragment instead of 4 (2) LDS.32 (PTX ISA m16n8k8 tf32 fragments):
//   A (k, m): register q = (m >> 3 & 1) + 2 (k >> 2 & 1) of lane (m & 7) * 4 + (k & 3), in 16-byte
//   chunk (k >> 3) * 128 + (m >> 4) * 32 + lane, the chunk index XOR its bits 3-4 (within its
//   128-byte row): M-fast stores 2-way bank conflicted instead of 8-way, reads conflict-free.
//   B (k, n): register k >> 2 & 1 of lane (n & 7) * 4 + (k & 3) of n8 tile n >> 3, at word
//   528 (k >> 3) + 66 (n >> 3) + 2 lane + reg: the pads (16 words per k8 step, 2 per n8 tile) make
//   K-fast stores conflict-free and M-fast ones (gemm.cu) 2-way; a read is 256 contiguous bytes.
// Every thread's 4 stores are one base word plus compile-time offsets (stage_delta), and each
// warp's fragment reads one base plus immediates: nothing in the loop recomputes an address.
constexpr int SLICE = BK * LDS;
static_assert(SLICE >= 1024 && SLICE >= 528 + 7 * 66 + 64, "a fragment-ordered slice fits a buffer");
__device__ __forceinline__ int a_frag_word(int k, int m) {
    const int chunk = ((k >> 3) * 4 + (m >> 4)) * 32 + (m & 7) * 4 + (k & 3);
    return (chunk ^ (chunk >> 3 & 3)) * 4 + (m >> 3 & 1) + 2 * (k >> 2 & 1);
}
__device__ __forceinline__ int b_frag_word(int k, int n) {
    return (k >> 3) * 528 + (n >> 3) * 66 + ((n & 7) * 4 + (k & 3)) * 2 + (k >> 2 & 1);
}
template <int MODE, bool IS_A>
__device__ __forceinline__ int slice_word(int k, int m) {
    return MODE == GENTEN_MATH_FP32 ? k * LDS + m : IS_A ? a_frag_word(k, m) : b_frag_word(k, m);
}
// Offset of a thread's element j from its element 0 (Map: M-fast k += 4j, K-fast m += 16j).
template <int MODE, bool MFAST, bool IS_A>
__device__ __forceinline__ constexpr int stage_delta(int j) {
    return MODE == GENTEN_MATH_FP32 ? (MFAST ? 4 * j * LDS : 16 * j)
           : IS_A                   ? (MFAST ? (j >> 1) * 512 + (j & 1) * 2 : 128 * j)
                                    : (MFAST ? (j >> 1) * 528 + (j & 1) : 132 * j);
}
template <int MODE, bool MFAST, bool IS_A>
__device__ __forceinline__ int stage_base(int tid) {
    return opaque(slice_word<MODE, IS_A>(Map<MFAST>::k(tid, 0), Map<MFAST>::m(tid, 0)));
}

template <int MODE, bool MFAST, bool IS_A>
__device__ __forceinline__ void stage(uint32_t* hi, uint32_t* lo, const float (&v)[4], int base) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int at = base + stage_delta<MODE, MFAST, IS_A>(j);
        if (MODE == GENTEN_MATH_FP32) {
            hi[at] = __float_as_uint(v[j]);
        } else if (MODE == GENTEN_MATH_TF32) {
            hi[at] = to_tf32(v[j]);
        } else {
            const uint32_t big = to_tf32(v[j]);
            hi[at] = big;
            lo[at] = to_tf32(v[j] - __uint_as_float(big));
        }
    }
}

// ---- the inner products --------------------------------------------------------------------

// SIMT: thread (tm, tn) = (tid % 16, tid / 16) owns rows tm*4.. and columns tn*4..;
// acc[i*4 + j] is (m = tm*4 + i, n = tn*4 + j).
__device__ __forceinline__ void compute_fp32(const uint32_t* a, const uint32_t* b, float (&acc)[16], int tid) {
    const int tm = tid & 15, tn = tid >> 4;
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
        const float4 av = *reinterpret_cast<const float4*>(&a[kk * LDS + tm * 4]);
        const float4 bv = *reinterpret_cast<const float4*>(&b[kk * LDS + tn * 4]);
        const float ar[4] = {av.x, av.y, av.z, av.w};
        const float br[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j) acc[i * 4 + j] = fmaf(ar[i], br[j], acc[i * 4 + j]);
    }
}

// Tensor cores: warp (wm, wn) = (warp % 2, warp / 2) owns rows wm*32.. (two m16 tiles) and
// columns wn*16.. (two n8 tiles); acc[(mi*2 + ni)*4 + q] is the m16n8 accumulator fragment q.
// Operands in fragment order (a_frag_word / b_frag_word): one LDS.128 per A fragment, one LDS.64
// per B fragment, at a_rd / b_rd (mma_a_base / mma_b_base) plus immediates.
template <int MODE>
__device__ __forceinline__ void compute_mma(const uint32_t* a, const uint32_t* b, const uint32_t* al,
                                            const uint32_t* bl, float (&acc)[16], int a_rd, int b_rd) {
#pragma unroll
    for (int ks = 0; ks < 2; ++ks) {
        uint32_t fa[2][4], fb[2][2], fal[2][4], fbl[2][2];
#pragma unroll
        for (int mi = 0; mi < 2; ++mi) {
            const int at = a_rd + (ks * 4 + mi) * 128;
            const uint4 v = *reinterpret_cast<const uint4*>(&a[at]);
            fa[mi][0] = v.x, fa[mi][1] = v.y, fa[mi][2] = v.z, fa[mi][3] = v.w;
            if (MODE == GENTEN_MATH_3XTF32) {
                const uint4 u = *reinterpret_cast<const uint4*>(&al[at]);
                fal[mi][0] = u.x, fal[mi][1] = u.y, fal[mi][2] = u.z, fal[mi][3] = u.w;
            }
        }
#pragma unroll
        for (int ni = 0; ni < 2; ++ni) {
            const int at = b_rd + ks * 528 + ni * 66;
            const uint2 v = *reinterpret_cast<const uint2*>(&b[at]);
            fb[ni][0] = v.x, fb[ni][1] = v.y;
            if (MODE == GENTEN_MATH_3XTF32) {
                const uint2 u = *reinterpret_cast<const uint2*>(&bl[at]);
                fbl[ni][0] = u.x, fbl[ni][1] = u.y;
            }
        }
#pragma unroll
        for (int mi = 0; mi < 2; ++mi)
#pragma unroll
            for (int ni = 0; ni < 2; ++ni) {
                const int o = (mi * 2 + ni) * 4;
                float c[4] = {acc[o], acc[o + 1], acc[o + 2], acc[o + 3]};
                if (MODE == GENTEN_MATH_3XTF32) {
                    mma_tf32(c, fal[mi], fb[ni]);  // small terms first: less rounding of them
                    mma_tf32(c, fa[mi], fbl[ni]);
                }
                mma_tf32(c, fa[mi], fb[ni]);
#pragma unroll
                for (int q = 0; q < 4; ++q) acc[o + q] = c[q];
            }
    }
}

// Read bases of compute_mma: warp (wm, wn) = (warp % 2, warp / 2); A: m16 tile wm*2 + mi of k8
// step ks is chunk (ks*4 + wm*2 + mi)*32 + lane, swizzled; B: n8 tile wn*2 + ni.
__device__ __forceinline__ int mma_a_base(int tid) {
    const int lane = tid & 31, wm = (tid >> 5) & 1;
    return opaque((wm * 64 + (lane ^ (lane >> 3 & 3))) * 4);
}
__device__ __forceinline__ int mma_b_base(int tid) {
    return opaque((tid >> 6) * 2 * 66 + (tid & 31) * 2);
}

// Tile-local coordinates of accumulator element e (see compute_fp32 / compute_mma).
template <int MODE>
__device__ __forceinline__ void acc_coord(int tid, int e, int& ml, int& nl) {
    if (MODE == GENTEN_MATH_FP32) {
        ml = (tid & 15) * 4 + (e >> 2);
        nl = (tid >> 4) * 4 + (e & 3);
    } else {
        const int warp = tid >> 5, lane = tid & 31;
        const int frag = e >> 2, q = e & 3, mi = frag >> 1, ni = frag & 1;
        ml = (warp & 1) * 32 + mi * 16 + (lane >> 2) + ((q & 2) ? 8 : 0);
        nl = (warp >> 1) * 16 + ni * 8 + (lane & 3) * 2 + (q & 1);
    }
}

// ---- the main loop, shared by the three GEMMs ------------------------------------------------
// Gather tables: the implicit GEMMs' k index decomposes into tensor coordinates (conv: kd ->
// (c, r, s) and the like) that would cost two integer divisions per gathered element. Instead,
// for each 16-deep slice the first 16 threads compute one int4 entry per k (TAB::entry(kd, kend),
// with the host's FastDivs) into a double-buffered shared table, two slices ahead, published by the
// step's one barrier; the loaders read their k's entry (a broadcast for M-fast operands, where a
// warp shares its k) and only add offsets and compare bounds. TAB::kUsed = false (gemm.cu): no
// table, no work.
struct NoTable {
    static constexpr bool kUsed = false;
    __device__ int4 entry(int, int) const { return make_int4(0, 0, 0, 0); }
};

// LA / LB: load<TAIL>(tab, k0, kend, v) fills this thread's 4 elements of the A (resp. B) slice
// starting at k0 (zero where k >= kend or the gather falls outside the tensor); tab[i] is the entry
// of k0 + i. TAIL = false promises k0 + 16 <= kend (every slice but a partial last one), so the
// loaders need not check k. Rows past M (columns past N) may hold anything finite or not: they
// only reach accumulators that are never stored.
template <int MODE, bool A_MFAST, bool B_MFAST, class TAB, class LA, class LB>
__device__ __forceinline__ void mainloop(const TAB& table, const LA& la, const LB& lb, int kbeg, int kend,
                                         float (&acc)[16]) {
    constexpr int LO = MODE == GENTEN_MATH_3XTF32 ? 2 : 1;
    constexpr int TB = TAB::kUsed ? 2 : 1;
    __shared__ __align__(16) uint32_t sa[2][SLICE];
    __shared__ __align__(16) uint32_t sb[2][SLICE];
    __shared__ __align__(16) uint32_t sal[LO][SLICE];
    __shared__ __align__(16) uint32_t sbl[LO][SLICE];
    __shared__ __align__(16) int4 stab[TB][BK];
    const int tid = threadIdx.x;
#pragma unroll
    for (int i = 0; i < 16; ++i) acc[i] = 0.0f;
    const int tiles = kend > kbeg ? (kend - kbeg + BK - 1) / BK : 0;
    if (tiles == 0) return;  // uniform over the block
    const int a_st = stage_base<MODE, A_MFAST, true>(tid), b_st = stage_base<MODE, B_MFAST, false>(tid);
    const int a_rd = MODE == GENTEN_MATH_FP32 ? 0 : mma_a_base(tid), b_rd = MODE == GENTEN_MATH_FP32 ? 0 : mma_b_base(tid);
    if (TAB::kUsed) {
        if (tid < BK) stab[0][tid] = table.entry(kbeg + tid, kend);
        __syncthreads();
    }
    float ra[4], rb[4];
    la.template load<true>(stab[0], kbeg, kend, ra);
    lb.template load<true>(stab[0], kbeg, kend, rb);
    if (TAB::kUsed && tid < BK && tiles > 1) stab[TB - 1][tid] = table.entry(kbeg + BK + tid, kend);
    stage<MODE, A_MFAST, true>(sa[0], sal[0], ra, a_st);
    stage<MODE, B_MFAST, false>(sb[0], sbl[0], rb, b_st);
    __syncthreads();
    for (int t = 0; t < tiles; ++t) {
        const int cur = t & 1, nxt = cur ^ 1;
        const bool more = t + 1 < tiles;
        if (more) {
            const int k0 = kbeg + (t + 1) * BK;
            const int4* tab = stab[TB - 1 - (t & (TB - 1))];
            if (k0 + BK <= kend) {  // uniform: the steady state, no k bound to check
                la.template load<false>(tab, k0, kend, ra);
                lb.template load<false>(tab, k0, kend, rb);
            } else {
                la.template load<true>(tab, k0, kend, ra);
                lb.template load<true>(tab, k0, kend, rb);
            }
        }
        if (MODE == GENTEN_MATH_FP32)
            compute_fp32(sa[cur], sb[cur], acc, tid);
        else
            compute_mma<MODE>(sa[cur], sb[cur], sal[LO == 2 ? cur : 0], sbl[LO == 2 ? cur : 0], acc, a_rd, b_rd);
        if (more) {
            stage<MODE, A_MFAST, true>(sa[nxt], sal[LO == 2 ? nxt : 0], ra, a_st);
            stage<MODE, B_MFAST, false>(sb[nxt], sbl[LO == 2 ? nxt : 0], rb, b_st);
        }
        // the entries of slice t + 2 go to the table slice t + 1's loads (above) did not read:
        // table[t & 1] was last read in step t - 1, before the previous barrier
        if (TAB::kUsed && tid < BK && t + 2 < tiles) stab[t & 1][tid] = table.entry(kbeg + (t + 2) * BK + tid, kend);
        // one barrier per step: buffer nxt was last read in step t-1, before the previous barrier
        __syncthreads();
    }
}

}  // namespace tile
}  // namespace genten
