// The tiled GEMM engine shared by conv.cu (implicit GEMMs) and gemm.cu (the linear layers): one
// block of 256 threads computes a BM x BN tile of C = A * B with 16-deep k-slices, operands gathered
// by the caller's loaders into shared memory (double buffered: the next slice in flight while the
// current one is multiplied, through registers in TF32 (its A over the first half of the slice, its B
// over the second) or with cp.async; the large 3xTF32 tile has three stages, two slices in flight, in
// dynamic shared memory: see stages). Tile sizes
// (BM and BN each 64 or 128; every piece below is written for either side of either size):
//   128 x 128: the large tile, for grids that still fill the GPU (each gathered element feeds
//              twice the math of the small tile's);
//   128 x 64 and 64 x 128: the wide tiles, for GEMMs with one long side and one of at most 64
//              (the VAE's 32-64 channels, where a 128-wide side would be half padding) and for
//              grids too small for the large tile (each gathered element feeds 4/3 the math of the
//              small tile's);
//    64 x 64 : the small tile, for small M and N and small grids.
// Three math modes: FP32 = SIMT FMAs, each thread a (BM/16) x (BN/16) register micro-tile (8x8,
// 8x4, 4x8 or 4x4); TF32 = mma.sync m16n8k8 on the 2 x 4 warps' (BM/2) x (BN/4) sub-tiles (64x32:
// 4x4 MMAs per k8 step per warp, 64x16: 4x2, 32x32: 2x4, 32x16: 2x2), operands rounded with
// cvt.rna.tf32 as they are staged; 3xTF32 =
// the same MMAs on big = tf32(x) and small = tf32(x - big), split from the raw FP32 words as the
// fragments are read, acc += small*big + big*small + big*big.
#pragma once

#include <type_traits>

#include "common.cuh"
#include "ptx.cuh"

namespace genten {
namespace tile {

constexpr int BK = 16;   // k-slice per step
constexpr int NT = 256;  // threads per block: 8 warps

// ---- which elements of an R x 16 operand slice a thread gathers --------------------------------
// Element j of the thread is row row0(tid) + drow(ri(j)), k k0(tid) + dk(ki(j)): NR distinct rows
// and NK distinct k per thread, so a gather decomposes each row once per block and reads each k's
// table entry once per slice. M-fast = rows contiguous in memory (warps walk rows), K-fast = k
// contiguous (consecutive threads walk k).
//   R = 128, M-fast: rows r, r+8 (r = 16 (p/8) + p%8, p = tid%64), k = tid/64 + {0, 4, 8, 12};
//   R = 128, K-fast: rows r, r+8, r+64, r+72 (r = 16 (p/8) + p%8, p = tid/8), k = q%4 + 8 (q/4) + {0, 4}
//                    (q = tid%8);
//   R = 64,  M-fast: row tid%64, k = tid/64 + {0, 4, 8, 12};
//   R = 64,  K-fast: rows tid/16 + {0, 16, 32, 48}, k = tid%16.
// The 128-row maps give each thread (m, m+8) x (k, k+4) groups, which are 4 consecutive words of
// the A fragment layout (one STS.128) and 2 pairs of the B layout (STS.64) below.
template <int R, bool MFAST>
struct Map {
    static_assert(R == 64 || R == 128, "tiles of 64 or 128 rows");
    static constexpr int E = R * BK / NT;  // elements per thread: 8 or 4
    static constexpr int NR = R == 128 ? (MFAST ? 2 : 4) : (MFAST ? 1 : 4);
    static constexpr int NK = E / NR;
    __device__ static int row0(int tid) {
        if (R == 128) {
            const int p = MFAST ? (tid & 63) : (tid >> 3);
            return (p >> 3) * 16 + (p & 7);
        }
        return MFAST ? (tid & 63) : (tid >> 4);
    }
    __device__ static int k0(int tid) {
        if (R == 128) return MFAST ? (tid >> 6) : (tid & 3) + (tid & 4) * 2;
        return MFAST ? (tid >> 6) : (tid & 15);
    }
    __host__ __device__ static constexpr int ri(int j) {
        return R == 128 ? (MFAST ? (j & 1) : (j & 1) + 2 * (j >> 2)) : (MFAST ? 0 : j);
    }
    __host__ __device__ static constexpr int ki(int j) { return R == 128 ? (MFAST ? (j >> 1) : (j >> 1) & 1) : (MFAST ? j : 0); }
    __host__ __device__ static constexpr int j_of(int r, int k) {
        return R == 128 ? (MFAST ? r + 2 * k : (r & 1) + 2 * k + 4 * (r >> 1)) : (MFAST ? k : r);
    }
    __host__ __device__ static constexpr int drow(int r) {
        return R == 128 ? (MFAST ? 8 * r : 8 * (r & 1) + 64 * (r >> 1)) : (MFAST ? 0 : 16 * r);
    }
    __host__ __device__ static constexpr int dk(int k) { return 4 * k; }
};

// ---- shared-memory layouts of a 16 x R slice ----------------------------------------------------
// FP32: k-major rows of R + 4 words, [k][m]: the micro-tile reads float4s of A and of B per k.
// Tensor cores: fragment order, so that a warp's MMA operands are one LDS.128 (A) or LDS.64 (B)
// per lane and fragment (PTX ISA m16n8k8 tf32 fragments):
//   A (k, m): register q = (m >> 3 & 1) + 2 (k >> 2 & 1) of lane (m & 7) * 4 + (k & 3), in 16-byte
//   chunk ((k >> 3) * R/16 + (m >> 4)) * 32 + lane, the chunk index XOR its bits 3-4 (within its
//   128-byte row): M-fast stores 2-way bank conflicted instead of 8-way, reads conflict-free.
//   B (k, n): register k >> 2 & 1 of lane (n & 7) * 4 + (k & 3) of n8 tile n >> 3, at word
//   (R/8 * 66) (k >> 3) + 66 (n >> 3) + 2 lane + reg: the pads (2 words per n8 tile) make K-fast
//   stores conflict-free and M-fast ones (gemm.cu) 2-way; a read is 256 contiguous bytes.
// Every field is linear in the Map offsets (drow in {8, 16, 32, 64}, dk in {4, 8, 12} never carry
// into another field, and the swizzle's bits are (m >> 1) & 3 and k & 3, which they leave alone),
// so a thread's element j sits at one base word plus a compile-time delta.
template <int MODE, bool IS_A, int R>
__host__ __device__ constexpr int slice_word(int k, int m) {
    if (MODE == GENTEN_MATH_FP32) return k * (R + 4) + m;
    if (IS_A) {
        const int chunk = ((k >> 3) * (R / 16) + (m >> 4)) * 32 + (m & 7) * 4 + (k & 3);
        return (chunk ^ (chunk >> 3 & 3)) * 4 + (m >> 3 & 1) + 2 * (k >> 2 & 1);
    }
    return (k >> 3) * (R / 8 * 66) + (m >> 3) * 66 + ((m & 7) * 4 + (k & 3)) * 2 + (k >> 2 & 1);
}
template <int MODE, bool IS_A, int R>
__host__ __device__ constexpr int slice_words() {
    return MODE == GENTEN_MATH_FP32 ? BK * (R + 4) : IS_A ? BK * R : 2 * (R / 8 * 66);
}

template <int BM_, int BN_>
struct Cfg {
    static_assert((BM_ == 64 || BM_ == 128) && (BN_ == 64 || BN_ == 128), "tile sides of 64 or 128 (Map)");
    static constexpr int BM = BM_, BN = BN_;
    static constexpr int WM = BM / 2, WN = BN / 4;  // warp tile: warps (wm, wn) = (warp % 2, warp / 2)
    static constexpr int MI = WM / 16, NI = WN / 8;  // m16 / n8 tiles per warp
    static constexpr int TM = BM / 16, TN = BN / 16;  // FP32 micro-tile of thread (tid % 16, tid / 16)
    static constexpr int ACC = BM * BN / NT;          // accumulators per thread
};
// Resident blocks per SM the kernels promise (__launch_bounds__), as many as fit without spills
// (ptxas -v; native/check/issue_model.py prints registers, spills and blocks per SM): the large
// tile 2 in TF32 (128 registers) and 1 in FP32 and 3xTF32 (the 8x8 micro-tile with its operands,
// the split fragments: over 128); the wide tiles 2 (128: 32 accumulators, the 12 gathered
// elements' pointers and masks, 3xTF32's split fragments); the small tile 4 (64), 3 in 3xTF32 (85).
template <int MODE, int BM, int BN>
__host__ __device__ constexpr int min_blocks() {
    return BM * BN == 128 * 128 ? (MODE == GENTEN_MATH_TF32 ? 2 : 1)
           : BM * BN == 128 * 64 ? 2
           : MODE == GENTEN_MATH_3XTF32 ? 3 : 4;
}
using Small = Cfg<64, 64>;

// Offset of a thread's element j from its element 0 in the slice layout (see slice_word).
template <int MODE, bool MFAST, bool IS_A, int R>
__host__ __device__ constexpr int elem_delta(int j) {
    using M = Map<R, MFAST>;
    return slice_word<MODE, IS_A, R>(M::dk(M::ki(j)), M::drow(M::ri(j))) - slice_word<MODE, IS_A, R>(0, 0);
}

// Where a loader puts element j of its slice (the loaders call put / put_if / put_if_all with
// compile-time j and the element's address; a predicate that fails means zero and no read):
// RegSink: into registers, staged into shared memory later (TF32: rounded there);
// AsyncSink: straight into the shared slice with cp.async (FP32 and 3xTF32, which keep raw words).
template <int E>
struct RegSink {
    float (&v)[E];  // the caller's registers
    __device__ __forceinline__ void put(int j, const float* p) { v[j] = __ldg(p); }
    __device__ __forceinline__ void put_if(int j, const float* p, bool ok) { v[j] = ldg_if(p, ok); }
    __device__ __forceinline__ void put_if_all(int j, const float* p, uint32_t mask, uint32_t bits) {
        v[j] = ldg_if_all(p, mask, bits);
    }
};
template <int MODE, bool MFAST, bool IS_A, int R>
struct AsyncSink {
    uint32_t* s;  // the thread's element 0 in the buffer
    __device__ __forceinline__ void put(int j, const float* p) { cp_async4(s + elem_delta<MODE, MFAST, IS_A, R>(j), p); }
    __device__ __forceinline__ void put_if(int j, const float* p, bool ok) {
        cp_async4_if(s + elem_delta<MODE, MFAST, IS_A, R>(j), p, ok);
    }
    __device__ __forceinline__ void put_if_all(int j, const float* p, uint32_t mask, uint32_t bits) {
        cp_async4_if_all(s + elem_delta<MODE, MFAST, IS_A, R>(j), p, mask, bits);
    }
};

template <int MODE, bool MFAST, bool IS_A, int R>
__device__ __forceinline__ int stage_base(int tid) {
    return opaque(slice_word<MODE, IS_A, R>(Map<R, MFAST>::k0(tid), Map<R, MFAST>::row0(tid)));
}

// Stores the thread's gathered elements: TF32 rounded here (once per element), FP32 and 3xTF32
// raw (3xTF32 splits at the fragment read). 128-row tensor-core slices: STS.128 (A) / STS.64 (B).
template <int MODE, bool MFAST, bool IS_A, int R>
__device__ __forceinline__ void stage(uint32_t* s, const float (&v)[Map<R, MFAST>::E], int base) {
    using M = Map<R, MFAST>;
    constexpr int E = M::E;
    uint32_t u[E];
#pragma unroll
    for (int j = 0; j < E; ++j) u[j] = MODE == GENTEN_MATH_TF32 ? to_tf32(v[j]) : __float_as_uint(v[j]);
#define GT_DELTA(j) (elem_delta<MODE, MFAST, IS_A, R>(j))
    if constexpr (MODE != GENTEN_MATH_FP32 && R == 128 && IS_A) {
#pragma unroll
        for (int g = 0; g < E; g += 4) {
            static_assert(GT_DELTA(1) == GT_DELTA(0) + 1 && GT_DELTA(2) == GT_DELTA(0) + 2 &&
                              GT_DELTA(3) == GT_DELTA(0) + 3 && GT_DELTA(5) == GT_DELTA(4) + 1 &&
                              GT_DELTA(6) == GT_DELTA(4) + 2 && GT_DELTA(7) == GT_DELTA(4) + 3,
                          "A groups of 4 are consecutive words");
            *reinterpret_cast<uint4*>(&s[base + GT_DELTA(g)]) = make_uint4(u[g], u[g + 1], u[g + 2], u[g + 3]);
        }
    } else if constexpr (MODE != GENTEN_MATH_FP32 && R == 128) {
        static_assert(GT_DELTA(2) == GT_DELTA(0) + 1 && GT_DELTA(3) == GT_DELTA(1) + 1 &&
                          GT_DELTA(6) == GT_DELTA(4) + 1 && GT_DELTA(7) == GT_DELTA(5) + 1,
                      "B pairs (j, j + 2) are consecutive words");
#pragma unroll
        for (int j = 0; j < E; j += (j & 1) ? 3 : 1)  // j = 0, 1, 4, 5
            *reinterpret_cast<uint2*>(&s[base + GT_DELTA(j)]) = make_uint2(u[j], u[j + 2]);
    } else {
#pragma unroll
        for (int j = 0; j < E; ++j) s[base + GT_DELTA(j)] = u[j];
    }
#undef GT_DELTA
}

// ---- the inner products --------------------------------------------------------------------

// SIMT: thread (tm, tn) = (tid % 16, tid / 16) owns rows tm*4 + 64 i4 + (0..3) and columns
// tn*4 + 64 j4 + (0..3); acc[i * TN + j] is (m = 64 (i / 4) + tm*4 + i % 4, n likewise).
template <class C, int HALF>
__device__ __forceinline__ void compute_fp32(const uint32_t* a, const uint32_t* b, float (&acc)[C::ACC], int tid) {
    const int tm = tid & 15, tn = tid >> 4;
#pragma unroll
    for (int kk = HALF * BK / 2; kk < (HALF + 1) * BK / 2; ++kk) {
        float ar[C::TM], br[C::TN];
#pragma unroll
        for (int i4 = 0; i4 < C::TM / 4; ++i4) {
            const float4 v = *reinterpret_cast<const float4*>(&a[kk * (C::BM + 4) + i4 * 64 + tm * 4]);
            ar[i4 * 4] = v.x, ar[i4 * 4 + 1] = v.y, ar[i4 * 4 + 2] = v.z, ar[i4 * 4 + 3] = v.w;
        }
#pragma unroll
        for (int j4 = 0; j4 < C::TN / 4; ++j4) {
            const float4 v = *reinterpret_cast<const float4*>(&b[kk * (C::BN + 4) + j4 * 64 + tn * 4]);
            br[j4 * 4] = v.x, br[j4 * 4 + 1] = v.y, br[j4 * 4 + 2] = v.z, br[j4 * 4 + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < C::TM; ++i)
#pragma unroll
            for (int j = 0; j < C::TN; ++j) acc[i * C::TN + j] = fmaf(ar[i], br[j], acc[i * C::TN + j]);
    }
}

// Both compute one half of the 16-deep slice (HALF = 0: k 0..7, 1: k 8..15), so the main loop can
// stage a half of the next slice between them.

// Tensor cores: warp (wm, wn) owns rows wm*WM + 16 mi.. and columns wn*WN + 8 ni..;
// acc[(mi * NI + ni) * 4 + q] is the m16n8 accumulator fragment q. Operands in fragment order:
// one LDS.128 per A fragment, one LDS.64 per B fragment, at a_rd / b_rd plus immediates. 3xTF32:
// B's fragments are split once per k8 step, A's one m16 tile at a time (fewer live registers).
template <int MODE, class C, int HALF>
__device__ __forceinline__ void compute_mma(const uint32_t* a, const uint32_t* b, float (&acc)[C::ACC], int a_rd, int b_rd) {
    constexpr int BSTEP = C::BN / 8 * 66;
    {
        constexpr int ks = HALF;  // k8 step HALF of the slice
        uint32_t fb[C::NI][2], fbl[C::NI][2];
#pragma unroll
        for (int ni = 0; ni < C::NI; ++ni) {
            const uint2 v = *reinterpret_cast<const uint2*>(&b[b_rd + ks * BSTEP + ni * 66]);
            fb[ni][0] = v.x, fb[ni][1] = v.y;
            if (MODE == GENTEN_MATH_3XTF32) split_tf32(fb[ni], fbl[ni]);
        }
#pragma unroll
        for (int mi = 0; mi < C::MI; ++mi) {
            const uint4 v = *reinterpret_cast<const uint4*>(&a[a_rd + (ks * (C::BM / 16) + mi) * 128]);
            uint32_t fa[4] = {v.x, v.y, v.z, v.w}, fal[4];
            if (MODE == GENTEN_MATH_3XTF32) split_tf32(fa, fal);
#pragma unroll
            for (int ni = 0; ni < C::NI; ++ni) {
                const int o = (mi * C::NI + ni) * 4;
                float c[4] = {acc[o], acc[o + 1], acc[o + 2], acc[o + 3]};
                if (MODE == GENTEN_MATH_3XTF32) {
                    mma_tf32(c, fal, fb[ni]);  // small terms first: less rounding of them
                    mma_tf32(c, fa, fbl[ni]);
                }
                mma_tf32(c, fa, fb[ni]);
#pragma unroll
                for (int q = 0; q < 4; ++q) acc[o + q] = c[q];
            }
        }
    }
}

// Read bases of compute_mma: A: m16 tile wm*MI + mi of k8 step ks is chunk (ks*BM/16 + wm*MI + mi)*32
// + lane, swizzled; B: n8 tile wn*NI + ni.
template <class C>
__device__ __forceinline__ int mma_a_base(int tid) {
    const int lane = tid & 31, wm = (tid >> 5) & 1;
    return opaque((wm * C::MI * 32 + (lane ^ (lane >> 3 & 3))) * 4);
}
template <class C>
__device__ __forceinline__ int mma_b_base(int tid) {
    return opaque((tid >> 6) * C::NI * 66 + (tid & 31) * 2);
}

// Tile-local coordinates of accumulator element e (see compute_fp32 / compute_mma).
template <int MODE, class C>
__device__ __forceinline__ void acc_coord(int tid, int e, int& ml, int& nl) {
    if (MODE == GENTEN_MATH_FP32) {
        const int i = e / C::TN, j = e % C::TN;
        ml = (i >> 2) * 64 + (tid & 15) * 4 + (i & 3);
        nl = (j >> 2) * 64 + (tid >> 4) * 4 + (j & 3);
    } else {
        const int warp = tid >> 5, lane = tid & 31;
        const int frag = e >> 2, q = e & 3, mi = frag / C::NI, ni = frag % C::NI;
        ml = (warp & 1) * C::WM + mi * 16 + (lane >> 2) + ((q & 2) ? 8 : 0);
        nl = (warp >> 1) * C::WN + ni * 8 + (lane & 3) * 2 + (q & 1);
    }
}

// ---- the main loop, shared by the three GEMMs ------------------------------------------------
// Gather tables: the implicit GEMMs' k index decomposes into tensor coordinates (conv: kd ->
// (c, r, s) and the like) that would cost two integer divisions per gathered element. Instead,
// for each 16-deep slice the first 16 threads compute one int4 entry per k (TAB::entry(kd, kend),
// with the host's FastDivs) into a shared table of S slices (the loop's stages), S slices ahead,
// published by the step's one barrier; the loaders read their k's entry (a broadcast for M-fast
// operands, where a warp shares its k) and only add offsets and test bits. TAB::kUsed = false
// (gemm.cu): no table.
struct NoTable {
    static constexpr bool kUsed = false;
    __device__ int4 entry(int, int) const { return make_int4(0, 0, 0, 0); }
};

// LA / LB: load<TAIL>(tab, k0, kend, sink) puts this thread's elements (Map<BM or BN, MFAST>) of the
// A (resp. B) slice starting at k0 into the sink (zero where k >= kend or the gather falls outside
// the tensor);
// tab[i] is the entry of k0 + i. TAIL = false promises k0 + 16 <= kend (every slice but a partial
// last one), so the loaders need not check k. Rows past M (columns past N) may hold anything finite:
// they only reach accumulators that are never stored.
// A loader with `static constexpr bool kTailFree = true` loads the tail like the steady state
// (its gather tests reject k >= kend by themselves): one code path, no branch on the slice.
template <class L, class = void>
struct TailFree : std::false_type {};
template <class L>
struct TailFree<L, std::void_t<decltype(L::kTailFree)>> : std::integral_constant<bool, L::kTailFree> {};

template <class L, class S>
__device__ __forceinline__ void load_slice(const L& l, const int4* tab, int k0, int kend, bool full, S& sink) {
    if (TailFree<L>::value || full)
        l.template load<false>(tab, k0, kend, sink);
    else
        l.template load<true>(tab, k0, kend, sink);
}

// Pipeline stages: 3 for the large tile in 3xTF32, 2 elsewhere. A stage beyond the slice being
// multiplied is worth its shared memory where a slice's math is short next to a global load's
// latency (~600-800 clocks): the large 3xTF32 slice takes ~770 SM-clocks (96 MMAs per warp, the
// tensor cores' bound), so with one slice in flight a load issued at the step's start can arrive
// late; two in flight (the third stage) hide it. Its 3 stages take 50 KB of dynamic shared memory
// (past the 48 KB a kernel may declare statically; the host opts the kernel in with
// cudaFuncSetAttribute). Not FP32: the large FP32 slice takes ~2350 clocks, three times the latency,
// and the third stage only added issue (3% in the issue model; three compile-time copies of its step
// made ptxas 13.0 spill 3 KB at 255 registers). Not TF32: it stages through registers to round each
// element once, and its 128 registers hold one slice in flight, not two (TF32 cp.async: see mainloop).
template <int MODE, int BM, int BN>
__host__ __device__ constexpr int stages() {
    return MODE == GENTEN_MATH_3XTF32 && BM == 128 && BN == 128 ? 3 : 2;
}
// Dynamic shared memory of a 3-stage mainloop: the stages' A and B slices and 3 slices of the gather
// table (0: a 2-stage mainloop, static shared memory).
template <int MODE, int BM, int BN>
__host__ __device__ constexpr int dynamic_smem_bytes() {
    constexpr int S = stages<MODE, BM, BN>();
    return S == 2 ? 0 : (S * (slice_words<MODE, true, BM>() + slice_words<MODE, false, BN>()) + S * BK * 4) * 4;
}

template <int MODE, class C, bool A_MFAST, bool B_MFAST, class TAB, class LA, class LB>
__device__ __forceinline__ void mainloop(const TAB& table, const LA& la, const LB& lb, int kbeg, int kend,
                                         float (&acc)[C::ACC]) {
    using MA = Map<C::BM, A_MFAST>;
    using MB = Map<C::BN, B_MFAST>;
    constexpr int S = stages<MODE, C::BM, C::BN>();
    constexpr int TB = TAB::kUsed ? S : 1;  // table slices: S ahead
    constexpr int AW = slice_words<MODE, true, C::BM>(), BW = slice_words<MODE, false, C::BN>();
    // S = 2: static arrays (S = 3: 1-word stand-ins, unused); S = 3: the dynamic shared memory, laid
    // out as S slices of A, S of B, TB table slices. Buffer i of A is A(i) and so on, i known at
    // compile time wherever the loop reads or writes a buffer.
    constexpr bool DYN = S == 3;
    __shared__ __align__(16) uint32_t sa_s[DYN ? 1 : 2][DYN ? 1 : AW];
    __shared__ __align__(16) uint32_t sb_s[DYN ? 1 : 2][DYN ? 1 : BW];
    __shared__ __align__(16) int4 stab_s[DYN ? 1 : TB][DYN ? 1 : BK];
    GT_DYNAMIC_SHARED(uint32_t, gt_dynamic_smem);  // dynamic_smem_bytes<MODE, BM, BN>() (S = 3)
    auto A = [&](int i) -> uint32_t* {
        if constexpr (DYN) return gt_dynamic_smem + i * AW;
        else return sa_s[i];
    };
    auto B = [&](int i) -> uint32_t* {
        if constexpr (DYN) return gt_dynamic_smem + S * AW + i * BW;
        else return sb_s[i];
    };
    auto T = [&](int i) -> int4* {
        if constexpr (DYN) return reinterpret_cast<int4*>(gt_dynamic_smem + S * (AW + BW)) + i * BK;
        else return stab_s[i];
    };
    const int tid = threadIdx.x;
#pragma unroll
    for (int i = 0; i < C::ACC; ++i) acc[i] = 0.0f;
    const int tiles = kend > kbeg ? (kend - kbeg + BK - 1) / BK : 0;
    if (tiles == 0) return;  // uniform over the block
    const int a_st = stage_base<MODE, A_MFAST, true, C::BM>(tid), b_st = stage_base<MODE, B_MFAST, false, C::BN>(tid);
    const int a_rd = MODE == GENTEN_MATH_FP32 ? 0 : mma_a_base<C>(tid);
    const int b_rd = MODE == GENTEN_MATH_FP32 ? 0 : mma_b_base<C>(tid);
    if (TAB::kUsed) {
        if (tid < BK) {
            T(0)[tid] = table.entry(kbeg + tid, kend);
            if (S == 3) T(1 % TB)[tid] = table.entry(kbeg + BK + tid, kend);
        }
        __syncthreads();
    }
    // FP32 and 3xTF32 keep the raw words: cp.async straight into shared memory, no registers, no
    // stores (AsyncSink). TF32 rounds each word once as it is staged: through registers (RegSink).
    constexpr bool ASYNC = MODE != GENTEN_MATH_TF32;
    static_assert(ASYNC || S == 2, "register staging holds one slice in flight");
    using SA = AsyncSink<MODE, A_MFAST, true, C::BM>;
    using SB = AsyncSink<MODE, B_MFAST, false, C::BN>;
    if constexpr (ASYNC) {
        // slices 0 .. S-2 in flight, one commit group each
        SA as{A(0) + a_st};
        SB bs{B(0) + b_st};
        la.template load<true>(T(0), kbeg, kend, as);
        lb.template load<true>(T(0), kbeg, kend, bs);
        cp_async_commit();
        if constexpr (S == 3) {
            if (tiles > 1) {
                const int k0 = kbeg + BK;
                SA as1{A(1) + a_st};
                SB bs1{B(1) + b_st};
                load_slice(la, T(1 % TB), k0, kend, k0 + BK <= kend, as1);
                load_slice(lb, T(1 % TB), k0, kend, k0 + BK <= kend, bs1);
            }
            cp_async_commit();  // (maybe empty: every step commits one group, so wait_group counts slices)
        }
        if (TAB::kUsed && tid < BK && tiles > S - 1) T((S - 1) % TB)[tid] = table.entry(kbeg + (S - 1) * BK + tid, kend);
        cp_async_wait_group<S - 2>();  // slice 0 landed (this thread's copies; the barrier: everyone's)
    } else {
        float ra[MA::E], rb[MB::E];
        RegSink<MA::E> sra{ra};
        RegSink<MB::E> srb{rb};
        la.template load<true>(T(0), kbeg, kend, sra);
        lb.template load<true>(T(0), kbeg, kend, srb);
        if (TAB::kUsed && tid < BK && tiles > 1) T(TB - 1)[tid] = table.entry(kbeg + BK + tid, kend);
        stage<MODE, A_MFAST, true, C::BM>(A(0), ra, a_st);
        stage<MODE, B_MFAST, false, C::BN>(B(0), rb, b_st);
    }
    __syncthreads();
    // One step: slice t from buffer cur (compile-time: the loop runs S steps per iteration, so no
    // buffer index is computed at run time), slice t + S - 1 into buffer ld = (cur + S - 1) % S, which
    // was last read in step t - 1, before the previous barrier.
    //   ASYNC: slice t + S - 1's copies are issued, slice t is multiplied, the copies of slice t + 1
    //   are waited for (this thread's; the barrier then publishes everyone's). S = 3: slice t + 2 is
    //   still in flight at the barrier.
    //   TF32 (S = 2): slice t + 1's A is loaded into registers and stored while the first half of
    //   slice t is multiplied, its B likewise over the second half (half a slice of loads in registers).
    auto step = [&](auto cur_c, int t) {
        constexpr int cur = decltype(cur_c)::value, ld = (cur + S - 1) % S;
        const bool more = t + S - 1 < tiles;
        const int k0 = kbeg + (t + S - 1) * BK;
        const bool full = k0 + BK <= kend;  // uniform: the steady state, no k bound to check
        const int4* tab = T(ld % TB);  // the entries of slice t + S - 1
        const uint32_t* a_cur = A(cur);
        const uint32_t* b_cur = B(cur);
        if constexpr (ASYNC) {
            if (more) {
                SA as{A(ld) + a_st};
                SB bs{B(ld) + b_st};
                load_slice(la, tab, k0, kend, full, as);
                load_slice(lb, tab, k0, kend, full, bs);
                if (S == 2) cp_async_commit();
            }
            if (S == 3) cp_async_commit();  // (maybe empty: one group per step)
            if (MODE == GENTEN_MATH_FP32) {
                compute_fp32<C, 0>(a_cur, b_cur, acc, tid);
                compute_fp32<C, 1>(a_cur, b_cur, acc, tid);
            } else {
                compute_mma<MODE, C, 0>(a_cur, b_cur, acc, a_rd, b_rd);
                compute_mma<MODE, C, 1>(a_cur, b_cur, acc, a_rd, b_rd);
            }
        } else {
            float ra[MA::E], rb[MB::E];
            RegSink<MA::E> sra{ra};
            RegSink<MB::E> srb{rb};
            if (more) load_slice(la, tab, k0, kend, full, sra);
            compute_mma<MODE, C, 0>(a_cur, b_cur, acc, a_rd, b_rd);
            if (more) {
                stage<MODE, A_MFAST, true, C::BM>(A(ld), ra, a_st);
                load_slice(lb, tab, k0, kend, full, srb);
            }
            compute_mma<MODE, C, 1>(a_cur, b_cur, acc, a_rd, b_rd);
            if (more) stage<MODE, B_MFAST, false, C::BN>(B(ld), rb, b_st);
        }
        // the entries of slice t + S go to the table slice t + S - 1's loads (above) did not read:
        // table[cur] held slice t's, last read in step t - S + 1, before the previous barrier
        if (TAB::kUsed && tid < BK && t + S < tiles) T(cur % TB)[tid] = table.entry(kbeg + (t + S) * BK + tid, kend);
        if constexpr (ASYNC) cp_async_wait_group<S - 2>();  // slice t + 1 landed
        // one barrier per step: buffer ld was last read in step t - 1, before the previous barrier
        __syncthreads();
    };
    for (int t = 0; t < tiles; t += S) {
        step(std::integral_constant<int, 0>{}, t);
        if (t + 1 < tiles) step(std::integral_constant<int, 1>{}, t + 1);
        if constexpr (S == 3)
            if (t + 2 < tiles) step(std::integral_constant<int, 2>{}, t + 2);
    }
}

}  // namespace tile
}  // namespace genten
