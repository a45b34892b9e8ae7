// Implicit-GEMM convolution, NCHW, w (K, C, R, R); no im2col buffer. One block computes a
// 128 x 128 (large), 128 x 64 / 64 x 128 (wide) or 64 x 64 (small) tile of C = A * B with a
// 16-deep k-slice per step (tile_gemm.cuh; the host's choice: "tile choice" below), operands
// gathered straight from x / dy / w into shared memory (double buffered: the next slice's global
// loads are in flight while the current slice is multiplied; the large 3xTF32 tile: 3 stages in
// dynamic shared memory, opted into past 48 KB before its launch). Three GEMMs:
//
//   forward          M = N*OH*OW  (output positions)   N = K   Kd = C*R*R
//   backward-data    M = N*H*W    (dx positions)       N = C   Kd = K*R*R, split by stride phase
//   backward-filter  M = K                             N = C*R*R   Kd = N*OH*OW, split-K
//
// Forward and backward-data split-K too where the model says it pays (grids under a wave, long
// reductions: "split-K of forward and backward-data" below); every split-K is summed in a fixed order
// by split_reduce_kernel, which applies forward's bias and activation once, after the sum.
//
// Math modes: FP32 = SIMT FMAs, each thread an 8x8 (large), 8x4 / 4x8 (wide) or 4x4 register
// micro-tile; TF32 = tensor cores, mma.sync m16n8k8 (each warp a 64x32, 64x16 / 32x32 or 32x16
// sub-tile), operands rounded with cvt.rna.tf32; 3xTF32 =
// the same MMAs on big = tf32(x) and small = tf32(x - big), acc += small*big + big*small +
// big*big (the small*small term is below FP32 rounding).
//
// Every gather is bounds checked (partial tiles, padding, stride phases), so any shape with
// tensors under 2^31 elements and filters up to 15 x 15 (tiled kernels; the narrow ones take any)
// is handled; others return GENTEN_ERR_UNSUPPORTED.
//
// Expected bottlenecks (offline issue model, native/check/issue_model.py and benchmarks/NOTES.md;
// never measured on a GPU): the large tile's FP32 loop is ~85% FFMA; its TF32 loop issues ~3-4
// other instructions per MMA (the gather: add, AND, compare, load, round, store per element), so
// the tensor cores could be busy most of the time if the memory pipeline keeps up (register
// staging, no cp.async). Narrow GEMMs (K = 1 output channel, or C = 1 input channel in
// backward-data) waste most of a 64-wide tile; they are small in FLOPs but not in time.
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "common.cuh"
#include "tile_gemm.cuh"

using namespace genten::tile;

using namespace genten;

namespace {

struct ConvShape {
    int n, c, h, w, k, r, stride, pad, oh, ow;
};

// No division in the main loops: the gathers' k index is decomposed once per 16-deep slice into
// a shared table (see tile_gemm.cuh: 16 entries per slice, computed by 16 threads with the FastDivs
// the host put in the kernel parameters), and each thread's rows (or columns) are decomposed once
// per block. The window test is one AND and one compare: a mask with bit r set when filter row r
// lands inside the image (bits 0..14) and bit 16 + s when filter column s does (bits 16..30) against
// the tap's two bits (ldg_if_all), one side per thread and the other from the table. Taps past 15 a
// side are not tiled (the host checks), bit 31 (kNever) is in no mask: the entries past kend.
// A gathered element then costs one 64-bit add, the AND, the compare and its predicated load.
constexpr int kMaxTaps = 15;
constexpr uint32_t kNever = 1u << 31;

// Bits lo .. hi-1 of a tap mask, clamped to the taps there are.
__device__ __forceinline__ uint32_t bit_range(int lo, int hi) {
    lo = lo < 0 ? 0 : lo;
    hi = hi > kMaxTaps ? kMaxTaps : hi;
    return hi > lo ? (1u << hi) - (1u << lo) : 0u;
}
__device__ __forceinline__ uint32_t window_mask(int y0, int h, int x0, int w) {
    return bit_range(-y0, h - y0) | bit_range(-x0, w - x0) << 16;
}
// A table entry: a 64-bit byte offset (x, y), a tap mask or tap bits (z), a 32-bit element offset (w).
__device__ __forceinline__ int4 entry4(int64_t elements, uint32_t bits, int w) {
    const int64_t b = elements * 4;
    return make_int4((int)(uint32_t)b, (int)(b >> 32), (int)bits, w);
}
__device__ __forceinline__ const float* at(const float* p, const int4& e) {
    return reinterpret_cast<const float*>(reinterpret_cast<const char*>(p) + pack64(e.x, e.y));
}

// An M-fast operand gathered from an image-like tensor (forward: x; backward-data: dy): each of the
// thread's rows m fixes a window origin p (image base + y0 * W + x0; it may point outside the
// tensor, only loads that pass the mask dereference it) and its window mask; the table entry of k
// gives the tap's byte offset and bits.
template <int R>
struct WindowGather {
    using M = Map<R, true>;
    static constexpr bool kTailFree = true;  // the tail's entries carry kNever
    const float* p[M::NR];
    uint32_t mask[M::NR];  // 0 for rows m >= M
    int kl = opaque(M::k0(threadIdx.x));  // the thread's first k lane, once (not from tid per step)
    template <bool TAIL, class S>  // the tail needs no check of its own: its entries carry kNever
    __device__ __forceinline__ void load(const int4* tab, int, int, S& sink) const {
#pragma unroll
        for (int ki = 0; ki < M::NK; ++ki) {
            const int4 e = tab[kl + M::dk(ki)];  // warp-uniform: a broadcast
#pragma unroll
            for (int ri = 0; ri < M::NR; ++ri) sink.put_if_all(M::j_of(ri, ki), at(p[ri], e), mask[ri], (uint32_t)e.z);
        }
    }
};

// Per-thread row pointers of a K-fast operand: base + min(row, rows - 1) * ld for the thread's rows
// (rows past `rows` clamped to the last one: their products only reach accumulators that are never
// stored, so no predicate is needed in the steady state).
template <int R>
__device__ __forceinline__ void row_pointers(const float* (&q)[Map<R, false>::NR], const float* base, int row0, int rows,
                                             int64_t ld) {
    using M = Map<R, false>;
#pragma unroll
    for (int ri = 0; ri < M::NR; ++ri) q[ri] = opaque(base + min(row0 + M::row0(threadIdx.x) + M::drow(ri), rows - 1) * ld);
}

// ---- forward ---------------------------------------------------------------------------------

// Split-K (blockIdx.z = split, see "split-K of forward and backward-data" below): split z sums kd in
// [z * per_split, (z + 1) * per_split) and writes its partial output to y + z * total; the host then
// points y at the workspace and clears bias and act, which the reduce applies once, after the sum.
// Unsplit: one split, per_split = Kd, y the output.
struct FwdParams {
    const float* x;
    const float* w;
    const float* bias;
    float* y;
    ConvShape s;
    int M, Kd, act, per_split;
    int64_t total;  // N*K*OH*OW: one split's partial output
    float alpha;
    FastDiv ohw, ow, rr, r;
};

// Entry of kd = (c, r, s): x offset (c*H + r)*W + s and the tap bits of (r, s).
struct FwdTable {
    static constexpr bool kUsed = true;
    const FwdParams* p;
    __device__ int4 entry(int kd, int kend) const {
        if (kd >= kend) return entry4(0, kNever, 0);
        int c, rs, r, s;
        p->rr.divmod(kd, c, rs);
        p->r.divmod(rs, r, s);
        return entry4((int64_t)(c * p->s.h + r) * p->s.w + s, (1u << r) | (1u << (16 + s)), 0);
    }
};

// A[m][kd] = x[img, c, oh*stride - pad + r, ow*stride - pad + s] (M-fast: ow is contiguous).
template <int R>
__device__ __forceinline__ WindowGather<R> fwd_a(const FwdParams& p, int m0) {
    using M = Map<R, true>;
    const ConvShape& s = p.s;
    WindowGather<R> g;
#pragma unroll
    for (int ri = 0; ri < M::NR; ++ri) {
        const int m = m0 + M::row0(threadIdx.x) + M::drow(ri);
        int img, pos, oh, ow;
        p.ohw.divmod(m < p.M ? m : 0, img, pos);
        p.ow.divmod(pos, oh, ow);
        const int y0 = oh * s.stride - s.pad, x0 = ow * s.stride - s.pad;
        g.p[ri] = opaque(p.x + ((int64_t)img * s.c * s.h * s.w + (int64_t)y0 * s.w + x0));
        g.mask[ri] = m < p.M ? window_mask(y0, s.h, x0, s.w) : 0u;
    }
    return g;
}

// B[kd][kout] = w[kout * Kd + kd] (K-fast: kd is contiguous).
template <int R>
struct FwdB {
    using M = Map<R, false>;
    const float* w[M::NR];  // the thread's rows at its k lane
    __device__ FwdB(const FwdParams& p, int n0) {
        row_pointers<R>(w, p.w + M::k0(threadIdx.x), n0, p.s.k, p.Kd);
    }
    template <bool TAIL, class S>
    __device__ __forceinline__ void load(const int4*, int k0, int kend, S& sink) const {
#pragma unroll
        for (int ri = 0; ri < M::NR; ++ri) {
            const float* q = w[ri] + k0;  // one 64-bit add per row, the k lanes are immediates
#pragma unroll
            for (int ki = 0; ki < M::NK; ++ki) {
                const bool kvalid = k0 + M::k0(threadIdx.x) + M::dk(ki) < kend;  // the tail only
                if (TAIL) sink.put_if(M::j_of(ri, ki), q + M::dk(ki), kvalid);
                else sink.put(M::j_of(ri, ki), q + M::dk(ki));
            }
        }
    }
};

template <int MODE, int BM, int BN>
__global__ void __launch_bounds__(NT, (min_blocks<MODE, BM, BN>())) conv_fwd_kernel(const __grid_constant__ FwdParams p) {
    using C = Cfg<BM, BN>;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    if (m0 >= p.M) return;
    const int kbeg = blockIdx.z * p.per_split, kend = min(p.Kd, kbeg + p.per_split);
    float acc[C::ACC];
    mainloop<MODE, C, true, false>(FwdTable{&p}, fwd_a<BM>(p, m0), FwdB<BN>(p, n0), kbeg, kend, acc);
    float* y = p.y + (int64_t)blockIdx.z * p.total;
    const int ohw = p.s.oh * p.s.ow;
#pragma unroll
    for (int e = 0; e < C::ACC; ++e) {
        int ml, nl;
        acc_coord<MODE, C>(threadIdx.x, e, ml, nl);
        const int m = m0 + ml, kout = n0 + nl;
        if (m < p.M && kout < p.s.k) {
            float v = acc[e];
            if (p.bias) v += __ldg(p.bias + kout);
            int img, pos;
            p.ohw.divmod(m, img, pos);
            y[((int64_t)img * p.s.k + kout) * ohw + pos] = act_forward(p.act, v, p.alpha);
        }
    }
}

// ---- backward-data ---------------------------------------------------------------------------
// dx[img, c, h, w] = sum over (k, r, s) with h + pad - r = oh * stride (oh in range) of
// dy[img, k, oh, ow] * w[k, c, r, s]. Positions with the same phase ((h + pad) % stride,
// (w + pad) % stride) use the same taps r = phase + stride * j, so blockIdx.z = phase and each
// phase is a dense GEMM over its positions and its ceil((R - phase) / stride)^2 taps: no work is
// spent on the (stride^2 - 1) / stride^2 of taps that do not align. A phase with no taps (phase
// >= R) still runs its tiles, with zero k-steps, and writes zeros. The host computes each phase
// (and its divisors) into the parameters, up to kMaxPhases per launch (stride <= 4: one launch).

struct Phase {
    int ph, pw;     // phase of (h + pad), (w + pad) modulo stride
    int h0, w0;     // first dx row / column of the phase
    int hq, wq;     // rows / columns of the phase
    int bh, bw;     // (h0 + pad - ph) / stride: oh of tap 0 at the first row
    int M, Kd;
    int per_split;      // k-steps of one split (Kd when unsplit; splits past Kd sum nothing)
    FastDiv pos, wqd;   // m -> (img, hq * wq position), position -> (hq, wq)
    FastDiv taps, rw;   // kd -> (k, tap), tap -> (jh, jw)
};

constexpr int kMaxPhases = 16;

// Split-K as forward's: blockIdx.z = split * count + phase, split z writes its partial dx to
// dx + z * total (the host points dx at the workspace); every phase writes its positions in every
// split, zeros where its reduction is shorter than the split's start, so each split's partial dx is
// whole and the reduce adds all of them.
struct BwdDataParams {
    const float* dy;
    const float* w;
    float* dx;
    ConvShape s;
    int count;      // phases in this launch
    int64_t total;  // N*C*H*W: one split's partial dx
    Phase ph[kMaxPhases];  // blockIdx.z % count -> phase
};

// Entry of kd = (k, jh, jw): dy offset k*OH*OW - jh*OW - jw, the bits of (jh, jw), and the w
// offset k*C*R*R + (ph + stride*jh)*R + (pw + stride*jw).
struct BdTable {
    static constexpr bool kUsed = true;
    const BwdDataParams* p;
    const Phase* q;
    __device__ int4 entry(int kd, int kend) const {
        if (kd >= kend) return entry4(0, kNever, 0);
        const ConvShape& s = p->s;
        int k, t, jh, jw;
        q->taps.divmod(kd, k, t);
        q->rw.divmod(t, jh, jw);
        return entry4((int64_t)k * s.oh * s.ow - jh * s.ow - jw, (1u << jh) | (1u << (16 + jw)),
                      (k * s.c * s.r + q->ph + s.stride * jh) * s.r + q->pw + s.stride * jw);
    }
};

// A[m][kd] = dy[img, k, y0 - jh, x0 - jw] for m = (img, hq, wq), (y0, x0) = (bh + hq, bw + wq),
// kd = (k, jh, jw): tap jh is inside when 0 <= y0 - jh < OH.
template <int R>
__device__ __forceinline__ WindowGather<R> bd_a(const BwdDataParams& p, const Phase& q, int m0) {
    using M = Map<R, true>;
    const ConvShape& s = p.s;
    WindowGather<R> g;
#pragma unroll
    for (int ri = 0; ri < M::NR; ++ri) {
        const int m = m0 + M::row0(threadIdx.x) + M::drow(ri);
        int img, pos, hq, wq;
        q.pos.divmod(m < q.M ? m : 0, img, pos);
        q.wqd.divmod(pos, hq, wq);
        const int y0 = q.bh + hq, x0 = q.bw + wq;
        g.p[ri] = opaque(p.dy + ((int64_t)img * s.k * s.oh * s.ow + (int64_t)y0 * s.ow + x0));
        g.mask[ri] = m < q.M ? bit_range(y0 - s.oh + 1, y0 + 1) | bit_range(x0 - s.ow + 1, x0 + 1) << 16 : 0u;
    }
    return g;
}

// B[kd][c] = w[k, c, ph + stride*jh, pw + stride*jw] = w[entry.w + c*R*R].
template <int R>
struct BdB {
    using M = Map<R, false>;
    const float* w[M::NR];
    int kl = opaque(M::k0(threadIdx.x));
    __device__ BdB(const BwdDataParams& p, int n0) { row_pointers<R>(w, p.w, n0, p.s.c, p.s.r * p.s.r); }
    template <bool TAIL, class S>
    __device__ __forceinline__ void load(const int4* tab, int k0, int kend, S& sink) const {
#pragma unroll
        for (int ki = 0; ki < M::NK; ++ki) {
            const int kk = kl + M::dk(ki);
            const bool kvalid = k0 + kk < kend;
            const int off = tab[kk].w;  // 0 past kend: a valid address
#pragma unroll
            for (int ri = 0; ri < M::NR; ++ri)
                if (TAIL) sink.put_if(M::j_of(ri, ki), w[ri] + off, kvalid);
                else sink.put(M::j_of(ri, ki), w[ri] + off);
        }
    }
};

// Backward-data's large FP32 tile asks for 2 resident blocks where min_blocks allows 1: it held 122
// registers (2 blocks fit) until split-K's epilogue offset took it to 129 (1 block).
template <int MODE, int BM, int BN>
__host__ __device__ constexpr int bwdd_min_blocks() {
    return MODE == GENTEN_MATH_FP32 && BM * BN == 128 * 128 ? 2 : min_blocks<MODE, BM, BN>();
}

template <int MODE, int BM, int BN>
__global__ void __launch_bounds__(NT, (bwdd_min_blocks<MODE, BM, BN>())) conv_bwd_data_kernel(const __grid_constant__ BwdDataParams p) {
    using C = Cfg<BM, BN>;
    const int split = blockIdx.z / p.count;
    const Phase& q = p.ph[blockIdx.z - split * p.count];
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    if (m0 >= q.M) return;
    // a phase's reduction may end before this split's start (its depth: split_depth of its own Kd)
    const int64_t kb = (int64_t)split * q.per_split;
    const int kbeg = kb < q.Kd ? (int)kb : q.Kd, kend = min(q.Kd, kbeg + q.per_split);
    float acc[C::ACC];
    mainloop<MODE, C, true, false>(BdTable{&p, &q}, bd_a<BM>(p, q, m0), BdB<BN>(p, n0), kbeg, kend, acc);
    // the split again, from blockIdx.z: kept across the main loop it cost the large FP32 tile 10 registers
    float* dx = p.dx + (int64_t)(blockIdx.z / p.count) * p.total;
#pragma unroll
    for (int e = 0; e < C::ACC; ++e) {
        int ml, nl;
        acc_coord<MODE, C>(threadIdx.x, e, ml, nl);
        const int m = m0 + ml, c = n0 + nl;
        if (m < q.M && c < p.s.c) {
            int img, pos, hq, wq;
            q.pos.divmod(m, img, pos);
            q.wqd.divmod(pos, hq, wq);
            const int h = q.h0 + hq * p.s.stride, w = q.w0 + wq * p.s.stride;
            dx[(((int64_t)img * p.s.c + c) * p.s.h + h) * p.s.w + w] = acc[e];
        }
    }
}

// ---- backward-filter -------------------------------------------------------------------------
// dw[k][crs] = sum over kd = (img, oh, ow) of dy[img, k, oh, ow] * x[img, c, oh*st - pad + r, ...].
// The reduction (N*OH*OW, up to ~800k) dwarfs M and N, so it is split over blockIdx.z: each
// split writes its partial tile to a workspace and a second kernel adds the splits in a fixed
// order. Deterministic (no atomics); the split count depends only on the shape.

struct BwdFilterParams {
    const float* dy;
    const float* x;
    float* out;  // dw when splits == 1, else the workspace [splits][K][C*R*R]
    ConvShape s;
    int N, Kd, per_split;
    FastDiv ohw, ow, rr, r;
};

// Entry of kd = (img, oh, ow): x offset img*C*H*W + y0*W + x0 with the window origin (y0, x0) =
// (oh*stride - pad, ow*stride - pad), the window mask of (y0, x0), and the dy offset img*K*OH*OW + pos.
struct BfTable {
    static constexpr bool kUsed = true;
    const BwdFilterParams* p;
    __device__ int4 entry(int kd, int kend) const {
        if (kd >= kend) return entry4(0, 0, 0);  // mask 0: no tap; offsets 0: valid addresses
        const ConvShape& s = p->s;
        int img, pos, oh, ow;
        p->ohw.divmod(kd, img, pos);
        p->ow.divmod(pos, oh, ow);
        const int y0 = oh * s.stride - s.pad, x0 = ow * s.stride - s.pad;
        return entry4((int64_t)img * s.c * s.h * s.w + (int64_t)y0 * s.w + x0, window_mask(y0, s.h, x0, s.w),
                      img * s.k * s.oh * s.ow + pos);
    }
};

// A[kout][kd] = dy[img, kout, pos] = dy[entry.w + kout*OH*OW] (K-fast: pos is contiguous).
template <int R>
struct BfA {
    using M = Map<R, false>;
    const float* dy[M::NR];
    int kl = opaque(M::k0(threadIdx.x));
    __device__ BfA(const BwdFilterParams& p, int m0) { row_pointers<R>(dy, p.dy, m0, p.s.k, p.s.oh * p.s.ow); }
    template <bool TAIL, class S>
    __device__ __forceinline__ void load(const int4* tab, int k0, int kend, S& sink) const {
#pragma unroll
        for (int ki = 0; ki < M::NK; ++ki) {
            const int kk = kl + M::dk(ki);
            const bool kvalid = k0 + kk < kend;
            const int off = tab[kk].w;  // 0 past kend: a valid address
#pragma unroll
            for (int ri = 0; ri < M::NR; ++ri)
                if (TAIL) sink.put_if(M::j_of(ri, ki), dy[ri] + off, kvalid);
                else sink.put(M::j_of(ri, ki), dy[ri] + off);
        }
    }
};

// B[kd][crs] = x[img, c, y0 + r, x0 + s] = x[entry.xy + (c*H + r)*W + s] (K-fast: ow walks x's
// rows); the thread's columns crs are decomposed once (clamped to the last column) into a pointer
// and the bits of their tap (r, s), tested against the entry's window mask.
template <int R>
struct BfB {
    using M = Map<R, false>;
    static constexpr bool kTailFree = true;  // the tail's entries have mask 0
    const float* x[M::NR];
    uint32_t bits[M::NR];
    int kl;  // BfA's when both K-fast maps have the same size (same k lanes: one register less)
    __device__ BfB(const BwdFilterParams& p, int n0, int kl_) : kl(kl_) {
#pragma unroll
        for (int ri = 0; ri < M::NR; ++ri) {
            const int crs = min(n0 + M::row0(threadIdx.x) + M::drow(ri), p.N - 1);
            int c, rs, r, s;
            p.rr.divmod(crs, c, rs);
            p.r.divmod(rs, r, s);
            x[ri] = opaque(p.x + ((int64_t)c * p.s.h + r) * p.s.w + s);
            bits[ri] = (1u << r) | (1u << (16 + s));
        }
    }
    template <bool TAIL, class S>  // the tail needs no check of its own: its entries' masks are 0
    __device__ __forceinline__ void load(const int4* tab, int, int, S& sink) const {
#pragma unroll
        for (int ki = 0; ki < M::NK; ++ki) {
            const int4 e = tab[kl + M::dk(ki)];
#pragma unroll
            for (int ri = 0; ri < M::NR; ++ri) sink.put_if_all(M::j_of(ri, ki), at(x[ri], e), (uint32_t)e.z, bits[ri]);
        }
    }
};

// Resident blocks: tile_gemm.cuh's min_blocks, except the small TF32 tile, whose two K-fast gathers'
// row pointers and tap bits need a few registers over 64 (3 blocks, no spills), and on sm_80 the
// large TF32 tile, which sm_80's ptxas fits in 128 registers only with 64 bytes of spills (1 block).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
constexpr bool kBelowSm90 = true;
#else
constexpr bool kBelowSm90 = false;
#endif
template <int MODE, int BM, int BN>
constexpr int bwdf_min_blocks() {
    return MODE != GENTEN_MATH_TF32 ? min_blocks<MODE, BM, BN>()
           : BM * BN == 64 * 64   ? 3
           : BM * BN == 64 * 128  ? 2
           : kBelowSm90           ? 1
                                  : 2;
}

template <int MODE, int BM, int BN>
__global__ void __launch_bounds__(NT, (bwdf_min_blocks<MODE, BM, BN>())) conv_bwd_filter_kernel(const __grid_constant__ BwdFilterParams p) {
    using C = Cfg<BM, BN>;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    const int kbeg = blockIdx.z * p.per_split;
    const int kend = min(p.Kd, kbeg + p.per_split);
    float acc[C::ACC];
    const BfA<BM> la(p, m0);
    // the wide tile (64 x 128) maps its 64 and 128 rows to different k lanes (Map): B has its own
    const int kl_b = BM == BN ? la.kl : opaque(Map<BN, false>::k0(threadIdx.x));
    mainloop<MODE, C, false, false>(BfTable{&p}, la, BfB<BN>(p, n0, kl_b), kbeg, kend, acc);
    float* out = p.out + (int64_t)blockIdx.z * p.s.k * p.N;
#pragma unroll
    for (int e = 0; e < C::ACC; ++e) {
        int ml, nl;
        acc_coord<MODE, C>(threadIdx.x, e, ml, nl);
        const int kout = m0 + ml, crs = n0 + nl;
        if (kout < p.s.k && crs < p.N) out[(int64_t)kout * p.N + crs] = acc[e];
    }
}

// ---- narrow GEMMs: direct kernels ------------------------------------------------------------
// With 8 or fewer output channels (forward K, backward-data C) or filter rows (backward-filter
// K), a 64-wide tile would spend >= 7/8 of its work on padding (the VAE's last conv 32->1, the
// DCGAN generator's last transposed conv 64->1 and the discriminator's input gradient through
// conv 1->64). These kernels compute the exact sums directly in FP32 FMAs in every math mode (TF32
// permits, it does not require, reduced precision): one thread per output position holding all
// <= 8 channels, each gathered input read once, weights read warp-uniformly from L1. Bound by the
// load instructions (~1 gather + up to 8 broadcast loads per input element), far below the
// tiled kernels' wasted FLOPs at these shapes.
constexpr int NARROW = 8;

__global__ void __launch_bounds__(kThreads) conv_fwd_narrow_kernel(const __grid_constant__ FwdParams p) {
    const ConvShape& s = p.s;
    const int ohw = s.oh * s.ow;
    // 64-bit loop counter: m + stride may pass INT_MAX when p.M is near it
    for (int64_t m64 = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; m64 < p.M; m64 += (int64_t)gridDim.x * blockDim.x) {
        const int m = (int)m64;
        int img, pos, oh, ow;
        p.ohw.divmod(m, img, pos);
        p.ow.divmod(pos, oh, ow);
        const int ih0 = oh * s.stride - s.pad, iw0 = ow * s.stride - s.pad;
        const float* xb = p.x + (int64_t)img * s.c * s.h * s.w;
        float acc[NARROW];
#pragma unroll
        for (int n = 0; n < NARROW; ++n) acc[n] = 0.0f;
        for (int c = 0; c < s.c; ++c)
            for (int r = 0; r < s.r; ++r) {
                const int ih = ih0 + r;
                if ((unsigned)ih >= (unsigned)s.h) continue;
                for (int q = 0; q < s.r; ++q) {
                    const int iw = iw0 + q;
                    if ((unsigned)iw >= (unsigned)s.w) continue;
                    const float a = __ldg(xb + (c * s.h + ih) * s.w + iw);
                    const int kd = (c * s.r + r) * s.r + q;
#pragma unroll
                    for (int n = 0; n < NARROW; ++n)
                        if (n < s.k) acc[n] = fmaf(a, __ldg(p.w + n * p.Kd + kd), acc[n]);
                }
            }
#pragma unroll
        for (int n = 0; n < NARROW; ++n)
            if (n < s.k) {
                float v = acc[n];
                if (p.bias) v += __ldg(p.bias + n);
                p.y[((int64_t)img * s.k + n) * ohw + pos] = act_forward(p.act, v, p.alpha);
            }
    }
}

// dx[img, c, h, w] gathers dy[img, k, oh, ow] over taps r = (h + pad) % stride + j * stride with
// oh = (h + pad - r) / stride in range (likewise s / ow).
__global__ void __launch_bounds__(kThreads) conv_bwd_data_narrow_kernel(const __grid_constant__ BwdDataParams p,
                                                                        FastDiv hw_div, FastDiv w_div) {
    const ConvShape& s = p.s;
    const int total = s.n * s.h * s.w;
    // 64-bit loop counter: m + stride may pass INT_MAX when total is near it
    for (int64_t m64 = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; m64 < total; m64 += (int64_t)gridDim.x * blockDim.x) {
        const int m = (int)m64;
        int img, pos, h, w;
        hw_div.divmod(m, img, pos);
        w_div.divmod(pos, h, w);
        const int r0 = (h + s.pad) % s.stride, q0 = (w + s.pad) % s.stride;
        float acc[NARROW];
#pragma unroll
        for (int c = 0; c < NARROW; ++c) acc[c] = 0.0f;
        const float* dyb = p.dy + (int64_t)img * s.k * s.oh * s.ow;
        for (int k = 0; k < s.k; ++k)
            for (int r = r0; r < s.r; r += s.stride) {
                const int oh = (h + s.pad - r) / s.stride;  // exact: h + pad - r = 0 (mod stride)
                if (h + s.pad - r < 0) break;               // larger r only goes further out
                if (oh >= s.oh) continue;
                for (int q = q0; q < s.r; q += s.stride) {
                    if (w + s.pad - q < 0) break;
                    const int ow = (w + s.pad - q) / s.stride;
                    if (ow >= s.ow) continue;
                    const float a = __ldg(dyb + (k * s.oh + oh) * s.ow + ow);
#pragma unroll
                    for (int c = 0; c < NARROW; ++c)
                        if (c < s.c) acc[c] = fmaf(a, __ldg(p.w + ((k * s.c + c) * s.r + r) * s.r + q), acc[c]);
                }
            }
#pragma unroll
        for (int c = 0; c < NARROW; ++c)
            if (c < s.c) p.dx[(((int64_t)img * s.c + c) * s.h + h) * s.w + w] = acc[c];
    }
}

// Block (crs, split) reduces its slice of N*OH*OW for every filter row k < K; partials go to the
// split workspace (or dw) exactly as the tiled kernel's, and are summed in a fixed order.
__global__ void __launch_bounds__(kThreads) conv_bwd_filter_narrow_kernel(const __grid_constant__ BwdFilterParams p) {
    const ConvShape& s = p.s;
    const int crs = blockIdx.x;
    int c, rs, r, q;
    p.rr.divmod(crs, c, rs);
    p.r.divmod(rs, r, q);
    const int kbeg = blockIdx.y * p.per_split, kend = min(p.Kd, kbeg + p.per_split);
    const int ohw = s.oh * s.ow;
    float acc[NARROW];
#pragma unroll
    for (int k = 0; k < NARROW; ++k) acc[k] = 0.0f;
    for (int kd = kbeg + threadIdx.x; kd < kend; kd += blockDim.x) {
        int img, pos, oh, ow;
        p.ohw.divmod(kd, img, pos);
        p.ow.divmod(pos, oh, ow);
        const int ih = oh * s.stride - s.pad + r, iw = ow * s.stride - s.pad + q;
        if ((unsigned)ih >= (unsigned)s.h || (unsigned)iw >= (unsigned)s.w) continue;
        const float xv = __ldg(p.x + (((int64_t)img * s.c + c) * s.h + ih) * s.w + iw);
        const float* dyb = p.dy + (int64_t)img * s.k * ohw + pos;
#pragma unroll
        for (int k = 0; k < NARROW; ++k)
            if (k < s.k) acc[k] = fmaf(__ldg(dyb + k * ohw), xv, acc[k]);
    }
    float* out = p.out + (int64_t)blockIdx.y * s.k * p.N;
#pragma unroll
    for (int k = 0; k < NARROW; ++k)
        if (k < s.k) {  // uniform over the block
            const double v = block_sum((double)acc[k]);
            if (threadIdx.x == 0) out[(int64_t)k * p.N + crs] = (float)v;
        }
}

// out[i] = epilogue(sum over z of ws[z * total + i]), the splits added in order z = 0, 1, ... in
// double (deterministic). The epilogue is the unsplit forward kernel's, applied once to the sum:
// + bias[channel] (bias != nullptr; channel = i / ohw % channels, NCHW) and the fused activation;
// backward-data and backward-filter pass no bias and the identity.
__global__ void split_reduce_kernel(const float* ws, float* out, int64_t total, int splits, const float* bias,
                                    int64_t ohw, int channels, int act, float alpha) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        double s = 0.0;
        for (int z = 0; z < splits; ++z) s += ws[z * total + i];
        float v = (float)s;
        if (bias) v += __ldg(bias + i / ohw % channels);
        out[i] = act_forward(act, v, alpha);
    }
}

// ---- host side -------------------------------------------------------------------------------

int check_shape(const ConvShape& s, int math_mode) {
    GT_REQUIRE(s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0 && s.k > 0 && s.r > 0 && s.stride > 0 && s.pad >= 0 &&
               s.oh > 0 && s.ow > 0);
    GT_REQUIRE(valid_math(math_mode));
    GT_REQUIRE((int64_t)s.h + 2 * (int64_t)s.pad >= s.r && (int64_t)s.w + 2 * (int64_t)s.pad >= s.r);
    // the forward relation; it also holds for a transposed conv's output padding (< stride)
    GT_REQUIRE(s.stride <= 255 && s.pad <= (1 << 20));  // stride^2 phases on gridDim.z
    GT_REQUIRE(s.oh == (s.h + 2 * s.pad - s.r) / s.stride + 1 && s.ow == (s.w + 2 * s.pad - s.r) / s.stride + 1);
    GT_SUPPORTED((int64_t)s.n * s.c * s.h * s.w <= INT_MAX);
    GT_SUPPORTED((int64_t)s.n * s.k * s.oh * s.ow <= INT_MAX);
    GT_SUPPORTED((int64_t)s.k * s.c * s.r * s.r <= INT_MAX);
    GT_SUPPORTED(s.h < (1 << 29) && s.w < (1 << 29));  // window bounds (h - y0 and the like) stay in int
    return 0;
}

unsigned cdiv(int64_t a, int64_t b) { return (unsigned)((a + b - 1) / b); }

// ---- tile choice ---------------------------------------------------------------------------
// Three tiles per GEMM: small 64 x 64, wide (128 on the GEMM's long side, 64 on the other) and
// large 128 x 128. The long side: forward's and backward-data's M (output / dx positions, thousands
// even at batch 64) against N = channels (32-256); backward-filter's N = C*R*R (288-3200) against
// M = K filters (32-256). So the wide tile is 128 x 64 (BM x BN) in forward and backward-data and
// 64 x 128 in backward-filter: both the same machinery (tile_gemm.cuh, Cfg<BM, BN>), each with the
// 128 where the data is.
enum Tile { kSmall = 0, kWide = 1, kLarge = 2 };

// SM-clocks of one block's 16-deep k-slice by the offline issue model (native/check/issue_model.py,
// benchmarks/NOTES.md "Round 3"): max(8 warps x instructions per warp / 4 issues per clock, 8 warps
// x MMAs at one m16n8k8 per clock), the forward kernels' counts on sm_90a (backward-data's and
// backward-filter's are within ~8%); issue_model.py prints these beside the clocks it counts.
// [mode][tile]: per output, the wide tile costs ~2/3 of the small one's issue and the large ~1/2.
constexpr int kSliceClocks[3][3] = {
    {698, 1274, 2346},  // FP32: FFMA-bound, 64 x 64 at 73% FFMA, 128 x 64 at 80%, 128 x 128 at 87%
    {180, 248, 312},    // TF32: issue-bound
    {320, 498, 768},    // 3xTF32: the large tile is MMA-bound (96 MMAs per warp and slice)
};

// The SMs the model spreads a grid over: an H100 / H200 (132). A constant, not the device's count,
// so the tile (and with it backward-filter's split-K, hence the rounding) is a function of the shape
// only and results are the same everywhere. The emulator's build counts 1 SM: its tests run small
// shapes, whose grids on 132 SMs would all pick the small tile; over one SM the rule picks the tile
// with the least total issue, which exercises all three tiles (see below).
#ifdef GENTEN_EMU
constexpr int64_t kModelSms = 1;
#else
constexpr int64_t kModelSms = 132;
#endif

// A grid of one tile: its blocks, the k-slices of them all and the most one block runs; extra: the
// SM-clocks of what a split-K plan adds after the grid (the reduce, see split_extra_clocks).
struct TileWork {
    int64_t blocks = 0, slices = 0, max_slices = 0;
    double extra = 0;
};

// The model's time of a grid (SM-clocks): the larger of the whole grid's issue spread evenly over the
// SMs and the busiest SM's, which holds ceil(blocks / SMs) blocks whose issue adds up (an issue-bound
// model: resident blocks share an SM's 4 issues per clock). The second term is what a big tile loses
// on a small grid: at the VAE's and the DCGAN's batch-64 shapes the grids are under one block per SM,
// and the tile with the shortest block (the small one) finishes first although it issues more in all.
// Latency, memory and occupancy are not modelled (the floors of NOTES.md are floors).
double model_clocks(int mode, Tile t, const TileWork& g, int64_t sms) {
    const double c = kSliceClocks[mode][t];
    const double spread = (double)g.slices * c / (double)sms;
    const double busiest = (double)((g.blocks + sms - 1) / sms) * (double)g.max_slices * c;
    return (spread > busiest ? spread : busiest) + g.extra;
}

// Tile rule: the eligible tile of least model time (ties: the larger tile). Eligible: the small tile
// always; the wide tile when the long side exceeds 64 (else its 128 would be half padding at best);
// the large tile when both sides exceed 64. Padding is in the work (partial tiles count whole), so
// a 128-wide tile over 65-channel GEMMs or a wide tile over 32 channels pays for its empty half.
// GENTEN_CONV_TILE=64x64 | wide | 128x128 in the environment forces a tile (benchmarks measure each
// one; the native self-test runs every tile at every shape): any tile is correct at any shape.
template <class Work>
Tile choose_tile(int mode, int64_t long_side, int64_t short_side, int64_t sms, Work work) {
    if (const char* f = getenv("GENTEN_CONV_TILE")) {
        if (!strcmp(f, "64x64")) return kSmall;
        if (!strcmp(f, "wide")) return kWide;
        if (!strcmp(f, "128x128")) return kLarge;
    }
    Tile best = kSmall;
    double best_t = model_clocks(mode, kSmall, work(kSmall), sms);
    for (Tile t : {kWide, kLarge}) {
        if (long_side <= 64 || (t == kLarge && short_side <= 64)) continue;
        const double v = model_clocks(mode, t, work(t), sms);
        if (v <= best_t) best = t, best_t = v;
    }
    return best;
}

// ---- split-K of forward and backward-data --------------------------------------------------
// At batch 64 the forward and backward-data grids are under one block per SM whatever the tile
// (vae.enc2@64 forward: 49 small or 25 wide blocks on 132 SMs; gan.g1@64 backward-data: 98 small
// blocks of 400 k-slices each): the busiest SM runs its blocks' whole reductions while others idle.
// Splitting the reduction over blockIdx.z shortens the blocks; each split writes its partial output
// to a workspace and split_reduce_kernel adds the splits in a fixed order and then applies the
// epilogue (forward: bias and activation) once. What the model charges a split plan
// (TileWork::extra, SM-clocks at 1.755 GHz as model_clocks counts): the reduce's launch and tail,
// ~2.5 us, and the workspace traffic, splits x outputs x 4 bytes written by the GEMM and read back
// by the reduce, at the H200's ~4.8 TB/s. Not charged: the reduce's own write of the output (the
// unsplit kernel writes it too) and the L2 (the partials of a small grid would mostly stay in it).
constexpr double kModelGhz = 1.755;
constexpr double kReduceClocks = 2.5e3 * kModelGhz;  // 2.5 us
constexpr double kBytesPerClock = 4.8e3 / kModelGhz;  // 4.8 TB/s = 4,800 bytes per ns
// Each split at least 8 k-slices (128 deep) of the longest reduction: shorter splits move more
// workspace bytes per output than their GEMM loads; at most 64 (the workspace: 64 outputs' worth).
constexpr int64_t kMinSplitSlices = 8;
constexpr int64_t kMaxSplits = 64;
// The SMs the split search spreads a grid over: 132 in every build, the emulator's too (as backward-
// filter's split plan): the split count is a function of the shape only, and the emulator's tests
// reach split plans with shapes whose grids are under one wave of an H200 (few output positions,
// long reductions), while its tile rule (kModelSms) compares the tiles, each with its own plan.
constexpr int64_t kSplitSms = 132;

double split_extra_clocks(int64_t splits, int64_t outputs) {
    return splits > 1 ? kReduceClocks + 2.0 * (double)splits * (double)outputs * 4.0 / kBytesPerClock : 0.0;
}

// Depth (a multiple of BK) of each of `splits` splits of a reduction of depth kd; the plan has
// ceil(kd / depth) splits, which may be fewer than asked (split_count).
int64_t split_depth(int64_t kd, int64_t splits) { return ((kd + splits - 1) / splits + BK - 1) / BK * BK; }
int64_t split_count(int64_t kd, int64_t splits) {
    const int64_t d = split_depth(kd, splits);
    return d > 0 ? (kd + d - 1) / d : 1;
}

// GENTEN_CONV_SPLITS=n in the environment forces n splits on forward and backward-data (the native
// self-test runs 1, 2, 3 and more on every tile; benchmarks measure each): any count is correct. It is
// capped at the longest reduction's k-slices and, as any plan, rounded to whole k-slices per split.
int64_t forced_splits() {
    const char* f = getenv("GENTEN_CONV_SPLITS");
    if (!f) return 0;
    const long v = strtol(f, nullptr, 10);
    return v < 1 ? 0 : v > 1024 ? 1024 : v;
}

// The split count for tile t of least model time over kSplitSms SMs (ties: fewer splits), from 1 to
// the most that keep kMinSplitSlices per split of the longest reduction (kslices_max k-slices).
// work(t, splits): the grid, its extra included; a count that rounds to the plan of a smaller one has
// that one's time, so the tie rule skips it.
template <class Work>
int64_t choose_splits(int mode, Tile t, int64_t kslices_max, Work work) {
    if (int64_t f = forced_splits()) return std::min<int64_t>(f, std::max<int64_t>(kslices_max, 1));
    const int64_t hi = std::min<int64_t>(kMaxSplits, kslices_max / kMinSplitSlices);
    int64_t best = 1;
    double best_t = model_clocks(mode, t, work(t, 1), kSplitSms);
    for (int64_t s = 2; s <= hi; ++s) {
        const double v = model_clocks(mode, t, work(t, s), kSplitSms);
        if (v < best_t) best = s, best_t = v;
    }
    return best;
}

// Tile t's sides (BM, BN): the wide one 128 x 64 for forward and backward-data, 64 x 128 for
// backward-filter (WIDE_BM = 64).
constexpr int tile_bm(Tile t, int wide_bm) { return t == kSmall ? 64 : t == kLarge ? 128 : wide_bm; }
constexpr int tile_bn(Tile t, int wide_bm) { return t == kSmall ? 64 : t == kLarge ? 128 : 192 - wide_bm; }

template <template <int, int, int> class Launch, int WIDE_BM, class... Args>
int dispatch(int mode, Tile t, Args&&... args) {
    constexpr int WBM = WIDE_BM, WBN = 192 - WIDE_BM;
    switch (mode * 3 + (int)t) {
        case GENTEN_MATH_FP32 * 3 + kSmall: return Launch<GENTEN_MATH_FP32, 64, 64>::run(args...);
        case GENTEN_MATH_FP32 * 3 + kWide: return Launch<GENTEN_MATH_FP32, WBM, WBN>::run(args...);
        case GENTEN_MATH_FP32 * 3 + kLarge: return Launch<GENTEN_MATH_FP32, 128, 128>::run(args...);
        case GENTEN_MATH_TF32 * 3 + kSmall: return Launch<GENTEN_MATH_TF32, 64, 64>::run(args...);
        case GENTEN_MATH_TF32 * 3 + kWide: return Launch<GENTEN_MATH_TF32, WBM, WBN>::run(args...);
        case GENTEN_MATH_TF32 * 3 + kLarge: return Launch<GENTEN_MATH_TF32, 128, 128>::run(args...);
        case GENTEN_MATH_3XTF32 * 3 + kSmall: return Launch<GENTEN_MATH_3XTF32, 64, 64>::run(args...);
        case GENTEN_MATH_3XTF32 * 3 + kWide: return Launch<GENTEN_MATH_3XTF32, WBM, WBN>::run(args...);
        default: return Launch<GENTEN_MATH_3XTF32, 128, 128>::run(args...);
    }
}

#define CONV_KERNEL(name, mode, bm, bn) name<mode, bm, bn>

// A 3-stage kernel (tile_gemm.cuh stages: the large tile in FP32 and 3xTF32) holds its slices in
// 50-51 KB of dynamic shared memory, past the 48 KB a launch gets by default: opted in before each
// launch (a function attribute of the current device, so set where the launch is; a host call,
// legal while a stream is captured).
template <class K>
cudaError_t allow_dynamic_smem(K* kernel, int bytes) {
    return bytes > 48 * 1024 ? cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes) : cudaSuccess;
}

template <int MODE, int BM, int BN>
struct LaunchFwd {
    static int run(const FwdParams& p, int splits, cudaStream_t st) {
        const dim3 grid(cdiv(p.M, BM), cdiv(p.s.k, BN), (unsigned)splits);
        GT_SUPPORTED(grid.y <= 65535);
        constexpr int smem = dynamic_smem_bytes<MODE, BM, BN>();
        GT_CHECK(allow_dynamic_smem(CONV_KERNEL(conv_fwd_kernel, MODE, BM, BN), smem));
        GT_LAUNCH(CONV_KERNEL(conv_fwd_kernel, MODE, BM, BN), grid, NT, smem, st)(p);
        GT_CHECK_LAUNCH();
        return 0;
    }
};

template <int MODE, int BM, int BN>
struct LaunchBwdData {
    static int run(const BwdDataParams& p, int max_m, int splits, cudaStream_t st) {
        const dim3 grid(cdiv(max_m > 0 ? max_m : 1, BM), cdiv(p.s.c, BN), (unsigned)(p.count * splits));
        GT_SUPPORTED(grid.y <= 65535 && grid.z <= 65535);
        constexpr int smem = dynamic_smem_bytes<MODE, BM, BN>();
        GT_CHECK(allow_dynamic_smem(CONV_KERNEL(conv_bwd_data_kernel, MODE, BM, BN), smem));
        GT_LAUNCH(CONV_KERNEL(conv_bwd_data_kernel, MODE, BM, BN), grid, NT, smem, st)(p);
        GT_CHECK_LAUNCH();
        return 0;
    }
};

template <int MODE, int BM, int BN>
struct LaunchBwdFilter {
    static int run(const BwdFilterParams& p, dim3 grid, cudaStream_t st) {
        constexpr int smem = dynamic_smem_bytes<MODE, BM, BN>();
        GT_CHECK(allow_dynamic_smem(CONV_KERNEL(conv_bwd_filter_kernel, MODE, BM, BN), smem));
        GT_LAUNCH(CONV_KERNEL(conv_bwd_filter_kernel, MODE, BM, BN), grid, NT, smem, st)(p);
        GT_CHECK_LAUNCH();
        return 0;
    }
};

// Phase z = ph * stride + pw of the backward-data GEMM (see conv_bwd_data_kernel).
Phase make_phase(const ConvShape& s, int z) {
    Phase q;
    const int st = s.stride;
    q.ph = z / st;
    q.pw = z - q.ph * st;
    q.h0 = ((q.ph - s.pad) % st + st) % st;
    q.w0 = ((q.pw - s.pad) % st + st) % st;
    q.hq = q.h0 < s.h ? (s.h - q.h0 + st - 1) / st : 0;
    q.wq = q.w0 < s.w ? (s.w - q.w0 + st - 1) / st : 0;
    const int rh = q.ph < s.r ? (s.r - q.ph + st - 1) / st : 0;
    const int rw = q.pw < s.r ? (s.r - q.pw + st - 1) / st : 0;
    q.bh = (q.h0 + s.pad - q.ph) / st;  // exact and >= 0: h0 + pad = ph (mod stride)
    q.bw = (q.w0 + s.pad - q.pw) / st;
    q.M = s.n * q.hq * q.wq;
    q.Kd = s.k * rh * rw;
    q.pos = FastDiv(q.hq * q.wq > 0 ? q.hq * q.wq : 1);
    q.wqd = FastDiv(q.wq > 0 ? q.wq : 1);
    q.taps = FastDiv(rh * rw > 0 ? rh * rw : 1);
    q.rw = FastDiv(rw > 0 ? rw : 1);
    return q;
}

}  // namespace

extern "C" {

int genten_conv2d_forward(const float* x, const float* w, const float* bias, float* y, int n, int c, int h, int w_,
                          int k, int r, int stride, int pad, int oh, int ow, int math_mode, int act, float alpha,
                          void* stream) {
    GT_REQUIRE(x != nullptr && w != nullptr && y != nullptr && valid_act(act));
    const ConvShape s{n, c, h, w_, k, r, stride, pad, oh, ow};
    if (int e = check_shape(s, math_mode)) return e;
    FwdParams p;
    p.x = x;
    p.w = w;
    p.bias = bias;
    p.y = y;
    p.s = s;
    p.M = n * oh * ow;
    p.Kd = c * r * r;
    p.act = act;
    p.alpha = alpha;
    p.ohw = FastDiv(oh * ow);
    p.ow = FastDiv(ow);
    p.rr = FastDiv(r * r);
    p.r = FastDiv(r);
    p.per_split = p.Kd;
    p.total = (int64_t)p.M * k;
    if (k <= NARROW) {
        GT_LAUNCH(conv_fwd_narrow_kernel, grid_for(p.M), kThreads, 0, as_stream(stream))(p);
        GT_CHECK_LAUNCH();
        return 0;
    }
    GT_SUPPORTED(r <= kMaxTaps);  // the tiled gathers' tap masks
    const int64_t kslices = cdiv(p.Kd, BK);
    auto work = [&](Tile u, int64_t splits) {
        splits = split_count(p.Kd, splits);
        TileWork g;
        const int64_t tiles = (int64_t)cdiv(p.M, tile_bm(u, 128)) * cdiv(k, tile_bn(u, 128));
        g.blocks = tiles * splits;
        g.slices = tiles * kslices;  // the splits' slices add up to the whole reduction's
        g.max_slices = split_depth(p.Kd, splits) / BK;
        g.extra = split_extra_clocks(splits, p.total);
        return g;
    };
    int64_t planned[3] = {0, 0, 0};  // each tile's split plan, searched once (host time per call)
    auto plan = [&](Tile u) {
        if (!planned[u]) planned[u] = split_count(p.Kd, choose_splits(math_mode, u, kslices, work));
        return planned[u];
    };
    // the tile rule over each tile's own split plan
    const Tile t = choose_tile(math_mode, p.M, k, kModelSms, [&](Tile u) { return work(u, plan(u)); });
    const int64_t splits = plan(t);
    cudaStream_t st = as_stream(stream);
    if (splits == 1) return dispatch<LaunchFwd, 128>(math_mode, t, p, 1, st);
    // the splits' partial sums without the epilogue, which the reduce applies once to their sum
    p.per_split = (int)split_depth(p.Kd, splits);
    p.bias = nullptr;
    p.act = GENTEN_ACT_IDENTITY;
    Scratch ws(st);
    GT_CHECK(ws.alloc((size_t)splits * (size_t)p.total * sizeof(float)));
    p.y = static_cast<float*>(ws.ptr);
    if (int e = dispatch<LaunchFwd, 128>(math_mode, t, p, (int)splits, st)) return e;
    GT_LAUNCH(split_reduce_kernel, grid_for(p.total), kThreads, 0, st)(p.y, y, p.total, (int)splits, bias,
                                                                       (int64_t)oh * ow, k, act, alpha);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_conv2d_backward_data(const float* dy, const float* w, float* dx, int n, int c, int h, int w_, int k, int r,
                                int stride, int pad, int oh, int ow, int math_mode, void* stream) {
    GT_REQUIRE(dy != nullptr && w != nullptr && dx != nullptr);
    const ConvShape s{n, c, h, w_, k, r, stride, pad, oh, ow};
    if (int e = check_shape(s, math_mode)) return e;
    BwdDataParams p;
    p.dy = dy;
    p.w = w;
    p.dx = dx;
    p.s = s;
    p.count = 1;
    p.total = (int64_t)n * c * h * w_;
    if (c <= NARROW) {
        const int64_t total = (int64_t)n * h * w_;
        GT_LAUNCH(conv_bwd_data_narrow_kernel, grid_for(total), kThreads, 0, as_stream(stream))(p, FastDiv(h * w_),
                                                                                         FastDiv(w_));
        GT_CHECK_LAUNCH();
        return 0;
    }
    GT_SUPPORTED(r <= kMaxTaps);  // the tiled gathers' tap masks
    const int phases = stride * stride;
    std::vector<Phase> all((size_t)phases);
    int max_m = 0;
    int64_t kslices_max = 0;
    for (int z = 0; z < phases; ++z) {
        all[z] = make_phase(s, z);
        max_m = std::max(max_m, all[z].M);
        if (all[z].M > 0) kslices_max = std::max<int64_t>(kslices_max, cdiv(all[z].Kd, BK));
    }
    // One plan (tile, splits) for the whole op: the splits' partial dx are whole only after every
    // launch of phases (stride > 4: several), and the reduce adds them once. The phases share the
    // split count, each its own depth; a phase with no positions launches blocks that return at once
    // (not counted), one whose reduction ends before a split's start writes that split's zeros. The
    // model counts several launches (stride > 4) as one grid.
    auto splits_of = [&](int64_t splits) {
        int64_t e = 1;
        for (const Phase& q : all)
            if (q.M > 0) e = std::max(e, split_count(q.Kd, splits));
        return e;
    };
    auto work = [&](Tile u, int64_t splits) {
        splits = splits_of(splits);
        TileWork g;
        for (const Phase& q : all) {
            const int64_t blocks = (int64_t)cdiv(q.M, tile_bm(u, 128)) * cdiv(c, tile_bn(u, 128));
            const int64_t kslices = cdiv(q.Kd, BK);
            g.blocks += blocks * splits;
            g.slices += blocks * kslices;
            const int64_t longest = std::min<int64_t>(kslices, split_depth(q.Kd, splits) / BK);
            if (blocks > 0 && longest > g.max_slices) g.max_slices = longest;
        }
        g.extra = split_extra_clocks(splits, p.total);
        return g;
    };
    int64_t planned[3] = {0, 0, 0};  // each tile's split plan, searched once (host time per call)
    auto plan = [&](Tile u) {
        if (!planned[u]) planned[u] = splits_of(choose_splits(math_mode, u, kslices_max, work));
        return planned[u];
    };
    const Tile t = choose_tile(math_mode, max_m, c, kModelSms, [&](Tile u) { return work(u, plan(u)); });
    const int64_t splits = plan(t);
    for (Phase& q : all) q.per_split = splits == 1 ? q.Kd : (int)split_depth(q.Kd, splits);
    cudaStream_t st = as_stream(stream);
    Scratch ws(st);
    if (splits > 1) {
        GT_CHECK(ws.alloc((size_t)splits * (size_t)p.total * sizeof(float)));
        p.dx = static_cast<float*>(ws.ptr);
    }
    for (int z0 = 0; z0 < phases; z0 += kMaxPhases) {
        p.count = phases - z0 < kMaxPhases ? phases - z0 : kMaxPhases;
        int group_m = 0;
        for (int i = 0; i < p.count; ++i) {
            p.ph[i] = all[z0 + i];
            group_m = std::max(group_m, p.ph[i].M);
        }
        if (int e = dispatch<LaunchBwdData, 128>(math_mode, t, p, group_m, (int)splits, st)) return e;
    }
    if (splits == 1) return 0;
    GT_LAUNCH(split_reduce_kernel, grid_for(p.total), kThreads, 0, st)(p.dx, dx, p.total, (int)splits, nullptr, 1, 1,
                                                                       GENTEN_ACT_IDENTITY, 0.0f);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_conv2d_backward_filter(const float* dy, const float* x, float* dw, int n, int c, int h, int w_, int k,
                                  int r, int stride, int pad, int oh, int ow, int math_mode, void* stream) {
    GT_REQUIRE(dy != nullptr && x != nullptr && dw != nullptr);
    const ConvShape s{n, c, h, w_, k, r, stride, pad, oh, ow};
    if (int e = check_shape(s, math_mode)) return e;
    BwdFilterParams p;
    p.dy = dy;
    p.x = x;
    p.s = s;
    p.N = c * r * r;
    p.Kd = n * oh * ow;
    p.ohw = FastDiv(oh * ow);
    p.ow = FastDiv(ow);
    p.rr = FastDiv(r * r);
    p.r = FastDiv(r);
    // Split-K plans, a function of the shape only (not of the device), so results are identical
    // everywhere. Narrow: a block per filter column, ~4 waves, at least 2048 positions per split.
    // Tiled: up to about two waves of block slots of an H100/H200 (132 SMs x the tile's resident
    // blocks: target), each split a multiple of BK and at least 16 k-steps long, the split count of
    // least model time (model_clocks over 132 SMs, also in the emulator's build; ties: fewer splits):
    // rounding the splits up to one wave left some grids a few blocks over it (a third block on some
    // SMs for a third more time), the search sees that.
    const bool narrow = k <= NARROW;
    if (!narrow) GT_SUPPORTED(r <= kMaxTaps);  // the tiled gathers' tap masks
    const int64_t kslices = cdiv(p.Kd, BK);
    // returns the splits of `tiles` blocks of output and sets per_split
    auto split_plan = [&](int64_t tiles, int64_t target, int64_t& per_split) {
        auto per_of = [&](int64_t splits) { return ((p.Kd + splits - 1) / splits + BK - 1) / BK * BK; };
        const int64_t min_per_split = narrow ? 2048 : 16 * BK;
        const int64_t max_splits = std::min<int64_t>((p.Kd + min_per_split - 1) / min_per_split, 1024);
        int64_t splits = std::max<int64_t>(1, std::min<int64_t>((target + tiles - 1) / tiles, max_splits));
        if (!narrow) {
            const int64_t hi = std::min<int64_t>(2 * splits, max_splits);
            double best = -1;
            for (int64_t s = 1; s <= hi; ++s) {
                const int64_t per = per_of(s);
                if ((p.Kd + per - 1) / per != s) continue;  // the same plan as a smaller s
                TileWork g;
                g.blocks = tiles * s;
                g.slices = tiles * kslices;
                g.max_slices = per / BK;
                const double v = model_clocks(GENTEN_MATH_TF32, kSmall, g, 132);  // a constant factor of any tile's
                if (best < 0 || v < best) best = v, splits = s;
            }
        }
        per_split = per_of(splits);
        return (p.Kd + per_split - 1) / per_split;
    };
    // tiled: 132 SMs x the tile's resident blocks (the small tile 4, the others 2 or 1: 2)
    auto tile_target = [](Tile u) -> int64_t { return u == kSmall ? 528 : 264; };
    // The tile rule over each tile's own split plan: the splits' rounding (a third block on some SMs)
    // is part of the cost.
    const Tile t = narrow ? kSmall : choose_tile(math_mode, p.N, k, kModelSms, [&](Tile u) {
        const int64_t tiles = (int64_t)cdiv(k, tile_bm(u, 64)) * cdiv(p.N, tile_bn(u, 64));
        int64_t per = 0;
        const int64_t splits = split_plan(tiles, tile_target(u), per);
        TileWork g;
        g.blocks = tiles * splits;
        g.slices = tiles * kslices;  // the splits' slices add up to the whole reduction's
        g.max_slices = per / BK;
        return g;
    });
    const int bm = tile_bm(t, 64), bn = tile_bn(t, 64);
    const int64_t tiles = narrow ? ((int64_t)p.N + 1) / 2 : (int64_t)cdiv(k, bm) * cdiv(p.N, bn);
    int64_t per_split = 0;
    const int64_t splits = split_plan(tiles, narrow ? 264 : tile_target(t), per_split);
    p.per_split = (int)per_split;
    const dim3 grid = narrow ? dim3((unsigned)p.N, (unsigned)splits) : dim3(cdiv(k, bm), cdiv(p.N, bn), (unsigned)splits);
    GT_SUPPORTED(grid.y <= 65535);
    cudaStream_t st = as_stream(stream);
    const int64_t total = (int64_t)k * p.N;
    auto run = [&]() -> int {
        if (!narrow) return dispatch<LaunchBwdFilter, 64>(math_mode, t, p, grid, st);
        GT_LAUNCH(conv_bwd_filter_narrow_kernel, grid, kThreads, 0, st)(p);
        GT_CHECK_LAUNCH();
        return 0;
    };
    if (splits == 1) {
        p.out = dw;
        return run();
    }
    Scratch ws(st);
    GT_CHECK(ws.alloc((size_t)splits * total * sizeof(float)));
    p.out = static_cast<float*>(ws.ptr);
    if (int e = run()) return e;
    GT_LAUNCH(split_reduce_kernel, grid_for(total), kThreads, 0, st)(p.out, dw, total, (int)splits, nullptr, 1, 1,
                                                                     GENTEN_ACT_IDENTITY, 0.0f);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
