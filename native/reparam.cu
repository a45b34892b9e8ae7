// The VAE reparameterization trick, fused: one pass draws eps ~ N(0, 1) from Philox (the same
// element indexes as Philox.fillNormal in Java), writes eps and z = mu + exp(0.5 logvar) * eps,
// and, when asked, reduces the KL term of the same elements into per-block partials (summed by
// one more block in a fixed order: deterministic). Backward fuses the KL gradient.
// Floor (H100, n = 1M x 64 = 67M): forward reads mu, logvar and writes z, eps: 16 B/element,
// ~1.07 GB, ~360 us at 3 TB/s; Box-Muller in double costs ~100 FP64 operations per pair,
// which an H100 (67 TFLOP/s FP64) hides under the memory time. Backward moves 24 B/element.
#include "common.cuh"
#include "philox.cuh"

using namespace genten;

namespace {

// In double, as the CPU backend: near the prior (mu ~ 0, logvar ~ 0) 1 + lv - exp(lv) ~ -lv^2 / 2
// cancels almost completely, and in float it kept only a few correct bits (logvar = 1e-3: ~20% error).
__device__ __forceinline__ double kl_term(float mu, float lv) {
    const double m = (double)mu, l = (double)lv;
    return 1.0 + l - m * m - exp(l);
}

// One thread per Philox block (4 elements); a fixed grid (a function of n), so the KL partials
// are reproducible.
__global__ void __launch_bounds__(kThreads) reparam_forward_kernel(const float* mu, const float* logvar, float* z,
                                                                   float* eps, double* kl_partials, int64_t n,
                                                                   uint64_t seed, uint64_t offset,
                                                                   const uint64_t* offset_dev) {
    const uint64_t off = philox_offset(offset, offset_dev);
    const int64_t blocks = (n + 3) / 4;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    double kl = 0.0;
    for (int64_t b = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; b < blocks; b += stride) {
        float e[4];
        philox_normal4(seed, off, (uint64_t)b, e);
#pragma unroll
        for (int lane = 0; lane < 4; ++lane) {
            const int64_t i = b * 4 + lane;
            if (i < n) {
                const float m = mu[i], lv = logvar[i];
                eps[i] = e[lane];
                z[i] = m + expf(0.5f * lv) * e[lane];
                if (kl_partials) kl += kl_term(m, lv);
            }
        }
    }
    if (kl_partials) {  // uniform over the grid
        const double s = block_sum(kl);
        if (threadIdx.x == 0) kl_partials[blockIdx.x] = s;
    }
}

__global__ void reparam_forward_eps_kernel(const float* mu, const float* logvar, const float* eps, float* z,
                                           int64_t n) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        z[i] = mu[i] + expf(0.5f * logvar[i]) * eps[i];
}

__global__ void reparam_backward_kernel(const float* dz, const float* mu, const float* logvar, const float* eps,
                                        float* dmu, float* dlogvar, int64_t n, float kl_scale) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float g = dz[i], m = mu[i], lv = logvar[i];
        dmu[i] = g + kl_scale * m;
        // expm1f: expf(lv) - 1 cancels for small logvar (the CPU backend computes it in double)
        dlogvar[i] = 0.5f * g * eps[i] * expf(0.5f * lv) + kl_scale * 0.5f * expm1f(lv);
    }
}

struct KlTerm {
    const float* mu;
    const float* logvar;
    __device__ double operator()(int64_t i) const { return kl_term(mu[i], logvar[i]); }
};

}  // namespace

extern "C" {

int genten_reparam_forward(const float* mu, const float* logvar, float* z, float* eps, float* kl_out, int64_t n,
                           uint64_t seed, uint64_t offset, const uint64_t* offset_dev, void* stream) {
    GT_REQUIRE(mu != nullptr && logvar != nullptr && z != nullptr && eps != nullptr && n > 0);
    cudaStream_t s = as_stream(stream);
    const unsigned blocks = reduce_blocks((n + 3) / 4);
    if (!kl_out) {
        GT_LAUNCH(reparam_forward_kernel, blocks, kThreads, 0, s)(mu, logvar, z, eps, nullptr, n, seed, offset, offset_dev);
        GT_CHECK_LAUNCH();
        return 0;
    }
    Scratch partials(s);
    GT_CHECK(partials.alloc(blocks * sizeof(double)));
    double* part = static_cast<double*>(partials.ptr);
    GT_LAUNCH(reparam_forward_kernel, blocks, kThreads, 0, s)(mu, logvar, z, eps, part, n, seed, offset, offset_dev);
    GT_CHECK_LAUNCH();
    GT_LAUNCH(reduce_finalize_kernel<>, 1, kThreads, 0, s)(part, (int)blocks, -0.5, kl_out);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_reparam_forward_eps(const float* mu, const float* logvar, const float* eps, float* z, int64_t n,
                               void* stream) {
    GT_REQUIRE(mu != nullptr && logvar != nullptr && eps != nullptr && z != nullptr && n > 0);
    GT_LAUNCH(reparam_forward_eps_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(mu, logvar, eps, z, n);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_reparam_backward(const float* dz, const float* mu, const float* logvar, const float* eps, float* dmu,
                            float* dlogvar, int64_t n, float kl_scale, void* stream) {
    GT_REQUIRE(dz != nullptr && mu != nullptr && logvar != nullptr && eps != nullptr && dmu != nullptr &&
               dlogvar != nullptr && n > 0);
    GT_LAUNCH(reparam_backward_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(dz, mu, logvar, eps, dmu, dlogvar, n,
                                                                                kl_scale);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_kl_divergence(const float* mu, const float* logvar, float* out, int64_t n, void* stream) {
    GT_REQUIRE(mu != nullptr && logvar != nullptr && out != nullptr && n > 0);
    return deterministic_sum(KlTerm{mu, logvar}, n, -0.5f, out, as_stream(stream));
}

}  // extern "C"
