// Row-major SGEMM for the linear layers (LinearImpl.NATIVE): C (m x n) = op(A) op(B) (+ bias over
// rows), on the tile engine of conv (src/tile_gemm.cuh), in the three math modes. The three
// products of a linear layer with x (N, in), w (out, in), dy (N, out):
//   forward          y  = x w^T + b    m = N,   n = out, k = in   (B transposed)
//   backward-data    dx = dy w         m = N,   n = in,  k = out
//   backward-weight  dw = dy^T x       m = out, n = in,  k = N    (A transposed)
// Deterministic: each output is one block's fixed-order sum (no split-K, no atomics).
// Floor (H100, the DCGAN's largest, Linear(100, 12544) at N = 256): 0.64 GFLOP -> 13 us at the
// FP32 peak, while its 13 MB of weights and outputs take ~5 us; at MNIST sizes these GEMMs are
// launch-bound. A 64-wide tile wastes most of its work where n = 1 (the discriminator's
// Linear(6272, 1)), which is small in FLOPs.
#include "common.cuh"
#include "tile_gemm.cuh"

using namespace genten;
using namespace genten::tile;

namespace {

// The small tile of the engine (64 x 64): the linear layers' GEMMs are small or launch-bound.
using C = Small;

// An operand slice as the tile engine wants it: element (row, kk) of a rows x K matrix stored
// row-major (K-fast: p[row * ld + kk]) or transposed (M-fast: p[kk * ld + row]).
template <bool MFAST>
struct Operand {
    using M = Map<64, MFAST>;
    const float* p;
    int ld, rows, row0;
    template <bool TAIL, class S>
    __device__ __forceinline__ void load(const int4*, int k0, int kend, S& sink) const {
#pragma unroll
        for (int j = 0; j < M::E; ++j) {
            const int kk = k0 + M::k0(threadIdx.x) + M::dk(M::ki(j));
            const int row = row0 + M::row0(threadIdx.x) + M::drow(M::ri(j));
            // the address is formed for every element, read only where it is inside
            sink.put_if(j, MFAST ? p + ((int64_t)kk * ld + row) : p + ((int64_t)row * ld + kk), kk < kend && row < rows);
        }
    }
};

struct GemmParams {
    const float* a;
    const float* b;
    const float* bias;
    float* c;
    int m, n, k, lda, ldb, ldc;
};

// A_MFAST: A is stored transposed (k x m); B_MFAST: B is stored as given (k x n).
template <int MODE, bool A_MFAST, bool B_MFAST>
__global__ void __launch_bounds__(NT, (min_blocks<MODE, 64, 64>())) gemm_kernel(const __grid_constant__ GemmParams p) {
    const int m0 = blockIdx.x * C::BM, n0 = blockIdx.y * C::BN;
    float acc[C::ACC];
    mainloop<MODE, C, A_MFAST, B_MFAST>(NoTable{}, Operand<A_MFAST>{p.a, p.lda, p.m, m0}, Operand<B_MFAST>{p.b, p.ldb, p.n, n0}, 0,
                                     p.k, acc);
#pragma unroll
    for (int e = 0; e < C::ACC; ++e) {
        int ml, nl;
        acc_coord<MODE, C>(threadIdx.x, e, ml, nl);
        const int row = m0 + ml, col = n0 + nl;
        if (row < p.m && col < p.n) p.c[(int64_t)row * p.ldc + col] = acc[e] + (p.bias ? __ldg(p.bias + col) : 0.0f);
    }
}

#define GEMM_KERNEL(mode, a_mfast, b_mfast) gemm_kernel<mode, a_mfast, b_mfast>

template <int MODE>
int launch_gemm(const GemmParams& p, bool trans_a, bool trans_b, cudaStream_t s) {
    const dim3 grid((unsigned)((p.m + C::BM - 1) / C::BM), (unsigned)((p.n + C::BN - 1) / C::BN));
    if (trans_a && !trans_b) GT_LAUNCH(GEMM_KERNEL(MODE, true, true), grid, NT, 0, s)(p);
    else if (trans_a) GT_LAUNCH(GEMM_KERNEL(MODE, true, false), grid, NT, 0, s)(p);
    else if (!trans_b) GT_LAUNCH(GEMM_KERNEL(MODE, false, true), grid, NT, 0, s)(p);
    else GT_LAUNCH(GEMM_KERNEL(MODE, false, false), grid, NT, 0, s)(p);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // namespace

extern "C" {

int genten_gemm(int trans_a, int trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                const float* bias, float* c, int ldc, int math_mode, void* stream) {
    GT_REQUIRE(a != nullptr && b != nullptr && c != nullptr && m > 0 && n > 0 && k > 0 && valid_math(math_mode));
    GT_REQUIRE((trans_a == 0 || trans_a == 1) && (trans_b == 0 || trans_b == 1));
    GT_REQUIRE(lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n) && ldc >= n);
    GT_SUPPORTED((n + C::BN - 1) / C::BN <= 65535);
    const GemmParams p{a, b, bias, c, m, n, k, lda, ldb, ldc};
    cudaStream_t s = as_stream(stream);
    switch (math_mode) {
        case GENTEN_MATH_FP32: return launch_gemm<GENTEN_MATH_FP32>(p, trans_a, trans_b, s);
        case GENTEN_MATH_TF32: return launch_gemm<GENTEN_MATH_TF32>(p, trans_a, trans_b, s);
        default: return launch_gemm<GENTEN_MATH_3XTF32>(p, trans_a, trans_b, s);
    }
}

}  // extern "C"
