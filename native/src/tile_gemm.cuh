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
constexpr int LDS = BM + 8;   // padded row: conflict-free MMA fragment reads, 16-byte aligned rows
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

template <int MODE, bool MFAST>
__device__ __forceinline__ void stage(uint32_t (*hi)[LDS], uint32_t (*lo)[LDS], const float (&v)[4], int tid) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int kk = Map<MFAST>::k(tid, j), mm = Map<MFAST>::m(tid, j);
        if (MODE == GENTEN_MATH_FP32) {
            hi[kk][mm] = __float_as_uint(v[j]);
        } else if (MODE == GENTEN_MATH_TF32) {
            hi[kk][mm] = to_tf32(v[j]);
        } else {
            const uint32_t big = to_tf32(v[j]);
            hi[kk][mm] = big;
            lo[kk][mm] = to_tf32(v[j] - __uint_as_float(big));
        }
    }
}

// ---- the inner products --------------------------------------------------------------------

// SIMT: thread (tm, tn) = (tid % 16, tid / 16) owns rows tm*4.. and columns tn*4..;
// acc[i*4 + j] is (m = tm*4 + i, n = tn*4 + j).
__device__ __forceinline__ void compute_fp32(const uint32_t (*a)[LDS], const uint32_t (*b)[LDS], float (&acc)[16],
                                             int tid) {
    const int tm = tid & 15, tn = tid >> 4;
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
        const float4 av = *reinterpret_cast<const float4*>(&a[kk][tm * 4]);
        const float4 bv = *reinterpret_cast<const float4*>(&b[kk][tn * 4]);
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
template <int MODE>
__device__ __forceinline__ void compute_mma(const uint32_t (*a)[LDS], const uint32_t (*b)[LDS],
                                            const uint32_t (*al)[LDS], const uint32_t (*bl)[LDS],
                                            float (&acc)[16], int tid) {
    const int warp = tid >> 5, lane = tid & 31;
    const int wm = warp & 1, wn = warp >> 1, g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int ks = 0; ks < BK; ks += 8) {
        uint32_t fa[2][4], fb[2][2], fal[2][4], fbl[2][2];
#pragma unroll
        for (int mi = 0; mi < 2; ++mi) {
            const int row = wm * 32 + mi * 16 + g;
            fa[mi][0] = a[ks + t][row];
            fa[mi][1] = a[ks + t][row + 8];
            fa[mi][2] = a[ks + t + 4][row];
            fa[mi][3] = a[ks + t + 4][row + 8];
            if (MODE == GENTEN_MATH_3XTF32) {
                fal[mi][0] = al[ks + t][row];
                fal[mi][1] = al[ks + t][row + 8];
                fal[mi][2] = al[ks + t + 4][row];
                fal[mi][3] = al[ks + t + 4][row + 8];
            }
        }
#pragma unroll
        for (int ni = 0; ni < 2; ++ni) {
            const int col = wn * 16 + ni * 8 + g;
            fb[ni][0] = b[ks + t][col];
            fb[ni][1] = b[ks + t + 4][col];
            if (MODE == GENTEN_MATH_3XTF32) {
                fbl[ni][0] = bl[ks + t][col];
                fbl[ni][1] = bl[ks + t + 4][col];
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

// LA / LB: load(tab, k0, kend, v) fills this thread's 4 elements of the A (resp. B) slice starting
// at k0 (zero where k >= kend or the gather falls outside the tensor); tab[i] is the entry of
// k0 + i.
template <int MODE, bool A_MFAST, bool B_MFAST, class TAB, class LA, class LB>
__device__ __forceinline__ void mainloop(const TAB& table, const LA& la, const LB& lb, int kbeg, int kend,
                                         float (&acc)[16]) {
    constexpr int LO = MODE == GENTEN_MATH_3XTF32 ? 2 : 1;
    constexpr int TB = TAB::kUsed ? 2 : 1;
    __shared__ __align__(16) uint32_t sa[2][BK][LDS];
    __shared__ __align__(16) uint32_t sb[2][BK][LDS];
    __shared__ __align__(16) uint32_t sal[LO][BK][LDS];
    __shared__ __align__(16) uint32_t sbl[LO][BK][LDS];
    __shared__ __align__(16) int4 stab[TB][BK];
    const int tid = threadIdx.x;
#pragma unroll
    for (int i = 0; i < 16; ++i) acc[i] = 0.0f;
    const int tiles = kend > kbeg ? (kend - kbeg + BK - 1) / BK : 0;
    if (tiles == 0) return;  // uniform over the block
    if (TAB::kUsed) {
        if (tid < BK) stab[0][tid] = table.entry(kbeg + tid, kend);
        __syncthreads();
    }
    float ra[4], rb[4];
    la.load(stab[0], kbeg, kend, ra);
    lb.load(stab[0], kbeg, kend, rb);
    if (TAB::kUsed && tid < BK && tiles > 1) stab[TB - 1][tid] = table.entry(kbeg + BK + tid, kend);
    stage<MODE, A_MFAST>(sa[0], sal[0], ra, tid);
    stage<MODE, B_MFAST>(sb[0], sbl[0], rb, tid);
    __syncthreads();
    for (int t = 0; t < tiles; ++t) {
        const int cur = t & 1, nxt = cur ^ 1;
        const bool more = t + 1 < tiles;
        if (more) {
            la.load(stab[TB - 1 - (t & (TB - 1))], kbeg + (t + 1) * BK, kend, ra);
            lb.load(stab[TB - 1 - (t & (TB - 1))], kbeg + (t + 1) * BK, kend, rb);
        }
        if (MODE == GENTEN_MATH_FP32)
            compute_fp32(sa[cur], sb[cur], acc, tid);
        else
            compute_mma<MODE>(sa[cur], sb[cur], sal[LO == 2 ? cur : 0], sbl[LO == 2 ? cur : 0], acc, tid);
        if (more) {
            stage<MODE, A_MFAST>(sa[nxt], sal[LO == 2 ? nxt : 0], ra, tid);
            stage<MODE, B_MFAST>(sb[nxt], sbl[LO == 2 ? nxt : 0], rb, tid);
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
