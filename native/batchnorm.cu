// Batch normalization over (N, HW) per channel, NCHW (HW = 1 for BatchNorm1d).
// Train forward: pass 1 sums x and x^2 per (channel, split) in double (exact enough that the
// one-pass variance loses nothing at float inputs unless |mean|/std > ~1e7), pass 2 (one thread
// per channel) adds the splits in a fixed order and writes mean, invstd and the running stats
// (unbiased variance, PyTorch's momentum convention), pass 3 normalizes with the activation
// fused. Backward: pass 1 sums dy and dy*(x - mean) per (channel, split), pass 2 writes dgamma,
// dbeta and per-channel coefficients, pass 3 writes dx. No atomics: bitwise deterministic.
// Floor (H100, N256 256x28x28 = 51M floats): forward reads x twice and writes y (~0.6 GB,
// ~200 us at 3 TB/s; the second read may hit the 50 MB L2 only for small tensors); backward
// reads x and dy twice and writes dx (~1 GB, ~340 us).
#include <math.h>

#include "common.cuh"

using namespace genten;

namespace {

// Channel ch's element e (of n*hw) lives at ((e / hw) * c + ch) * hw + e % hw.
__device__ __forceinline__ int64_t chan_index(int e, int ch, int c, int hw, const FastDiv& hw_div) {
    int img, j;
    hw_div.divmod(e, img, j);
    return ((int64_t)img * c + ch) * hw + j;
}

// Deterministic block sum of two doubles (thread 0 gets both).
__device__ __forceinline__ void block_sum2(double& a, double& b) {
    a = block_sum(a);
    b = block_sum(b);
}

__global__ void __launch_bounds__(kThreads) bn_stats_partials(const float* x, double2* partials, int c, int hw,
                                                              int count, FastDiv hw_div, int per_split) {
    const int ch = blockIdx.y;
    const int begin = blockIdx.x * per_split, end = min(count, begin + per_split);
    double s = 0.0, ss = 0.0;
    for (int e = begin + threadIdx.x; e < end; e += blockDim.x) {
        const double v = (double)x[chan_index(e, ch, c, hw, hw_div)];
        s += v;
        ss += v * v;
    }
    block_sum2(s, ss);
    if (threadIdx.x == 0) partials[(int64_t)ch * gridDim.x + blockIdx.x] = make_double2(s, ss);
}

__global__ void bn_stats_finalize(const double2* partials, int splits, int c, int count, float eps, float momentum,
                                  float* mean_out, float* invstd_out, float* running_mean, float* running_var) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double s = 0.0, ss = 0.0;
    for (int i = 0; i < splits; ++i) {
        const double2 p = partials[(int64_t)ch * splits + i];
        s += p.x;
        ss += p.y;
    }
    const double mean = s / count;
    double var = ss / count - mean * mean;
    if (var < 0.0) var = 0.0;
    mean_out[ch] = (float)mean;
    invstd_out[ch] = (float)(1.0 / sqrt(var + (double)eps));
    if (running_mean) running_mean[ch] = (1.0f - momentum) * running_mean[ch] + momentum * (float)mean;
    if (running_var) {
        const double unbiased = var * count / (count - 1);
        running_var[ch] = (1.0f - momentum) * running_var[ch] + momentum * (float)unbiased;
    }
}

// y = act((x - mean) * invstd * gamma + beta); gamma / beta may be NULL (1 / 0).
__global__ void bn_normalize(const float* x, float* y, const float* mean, const float* invstd, const float* gamma,
                             const float* beta, int total, FastDiv hw_div, FastDiv c_div, int act, float alpha) {
    // 64-bit loop counter: i + stride may pass INT_MAX when total is near it
    for (int64_t i64 = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i64 < total; i64 += (int64_t)gridDim.x * blockDim.x) {
        const int i = (int)i64;
        int row, j, img, ch;
        hw_div.divmod(i, row, j);
        c_div.divmod(row, img, ch);
        float v = (x[i] - mean[ch]) * invstd[ch];
        if (gamma) v *= gamma[ch];
        if (beta) v += beta[ch];
        y[i] = act_forward(act, v, alpha);
    }
}

__global__ void __launch_bounds__(kThreads) bn_grad_partials(const float* dy, const float* x, const float* mean,
                                                             double2* partials, int c, int hw, int count,
                                                             FastDiv hw_div, int per_split) {
    const int ch = blockIdx.y;
    const float mu = mean[ch];
    const int begin = blockIdx.x * per_split, end = min(count, begin + per_split);
    double sdy = 0.0, sdyx = 0.0;
    for (int e = begin + threadIdx.x; e < end; e += blockDim.x) {
        const int64_t i = chan_index(e, ch, c, hw, hw_div);
        const double g = (double)dy[i];
        sdy += g;
        sdyx += g * ((double)x[i] - (double)mu);
    }
    block_sum2(sdy, sdyx);
    if (threadIdx.x == 0) partials[(int64_t)ch * gridDim.x + blockIdx.x] = make_double2(sdy, sdyx);
}

// coef[ch] = (gamma * invstd, mean(dy), mean(dy * xhat)); dgamma = sum(dy * xhat), dbeta = sum(dy).
__global__ void bn_grad_finalize(const double2* partials, int splits, int c, int count, const float* gamma,
                                 const float* invstd, float* dgamma, float* dbeta, float3* coef) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double sdy = 0.0, sdyx = 0.0;
    for (int i = 0; i < splits; ++i) {
        const double2 p = partials[(int64_t)ch * splits + i];
        sdy += p.x;
        sdyx += p.y;
    }
    const double is = (double)invstd[ch];
    const double sdyxhat = sdyx * is;
    if (dgamma) dgamma[ch] = (float)sdyxhat;
    if (dbeta) dbeta[ch] = (float)sdy;
    const double g = gamma ? (double)gamma[ch] : 1.0;
    coef[ch] = make_float3((float)(g * is), (float)(sdy / count), (float)(sdyxhat / count));
}

// dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
__global__ void bn_grad_input(const float* dy, const float* x, const float* mean, const float* invstd,
                              const float3* coef, float* dx, int total, FastDiv hw_div, FastDiv c_div) {
    // 64-bit loop counter: i + stride may pass INT_MAX when total is near it
    for (int64_t i64 = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i64 < total; i64 += (int64_t)gridDim.x * blockDim.x) {
        const int i = (int)i64;
        int row, j, img, ch;
        hw_div.divmod(i, row, j);
        c_div.divmod(row, img, ch);
        const float3 k = coef[ch];
        const float xhat = (x[i] - mean[ch]) * invstd[ch];
        dx[i] = k.x * (dy[i] - k.y - xhat * k.z);
    }
}

__global__ void bn_inference(const float* x, const float* gamma, const float* beta, const float* rmean,
                             const float* rvar, float* y, int total, FastDiv hw_div, FastDiv c_div, float eps, int act,
                             float alpha) {
    // 64-bit loop counter: i + stride may pass INT_MAX when total is near it
    for (int64_t i64 = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i64 < total; i64 += (int64_t)gridDim.x * blockDim.x) {
        const int i = (int)i64;
        int row, j, img, ch;
        hw_div.divmod(i, row, j);
        c_div.divmod(row, img, ch);
        float v = (x[i] - rmean[ch]) / sqrtf(rvar[ch] + eps);
        if (gamma) v *= gamma[ch];
        if (beta) v += beta[ch];
        y[i] = act_forward(act, v, alpha);
    }
}

// BatchNorm1d (hw = 1): channel ch of row i is x[i * c + ch], so the per-channel kernels above
// would read with stride c. Here a block covers 32 adjacent channels (one per lane, coalesced) and
// 8 row lanes; the 8 lanes are added in a fixed order. Same partials layout as above.
template <bool GRAD>
__global__ void __launch_bounds__(kThreads) bn_partials_rows(const float* x, const float* dy, const float* mean,
                                                             double2* partials, int n, int c, int per_split,
                                                             int splits) {
    const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
    const int ch = blockIdx.x * 32 + tx;
    const int begin = blockIdx.y * per_split, end = min(n, begin + per_split);
    double a = 0.0, b = 0.0;
    if (ch < c) {
        const double mu = GRAD ? (double)mean[ch] : 0.0;
        for (int i = begin + ty; i < end; i += kThreads / 32) {
            const int64_t q = (int64_t)i * c + ch;
            if (GRAD) {
                const double g = (double)dy[q];
                a += g;
                b += g * ((double)x[q] - mu);
            } else {
                const double v = (double)x[q];
                a += v;
                b += v * v;
            }
        }
    }
    __shared__ double2 lanes[kThreads / 32][32];
    lanes[ty][tx] = make_double2(a, b);
    __syncthreads();
    if (ty == 0 && ch < c) {
        double2 t = lanes[0][tx];
        for (int k = 1; k < kThreads / 32; ++k) {
            t.x += lanes[k][tx].x;
            t.y += lanes[k][tx].y;
        }
        partials[(int64_t)ch * splits + blockIdx.y] = t;
    }
}

SplitPlan rows_split_plan(int n, int c) {
    const int col_blocks = (c + 31) / 32;
    int splits = (n + 127) / 128;
    const int want = (528 + col_blocks - 1) / col_blocks;
    if (splits > want) splits = want;
    if (splits > 65535) splits = 65535;
    if (splits < 1) splits = 1;
    const int per_split = (n + splits - 1) / splits;
    return SplitPlan{(n + per_split - 1) / per_split, per_split};
}

int check_sizes(int n, int c, int hw) {
    GT_REQUIRE(n > 0 && c > 0 && hw > 0);
    GT_SUPPORTED((int64_t)n * c * hw <= INT_MAX);
    GT_SUPPORTED(c <= 65535);  // channels on gridDim.y
    return 0;
}

}  // namespace

extern "C" {

int genten_batchnorm_train_forward(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                                   float* save_invstd, float* running_mean, float* running_var, int n, int c, int hw,
                                   float momentum, float eps, int act, float alpha, void* stream) {
    GT_REQUIRE(x != nullptr && y != nullptr && save_mean != nullptr && save_invstd != nullptr && valid_act(act));
    if (int e = check_sizes(n, c, hw)) return e;
    const int count = n * hw, total = n * c * hw;
    GT_REQUIRE(count > 1);  // the unbiased variance needs two values per channel (as PyTorch)
    GT_REQUIRE(eps >= 0.0f && momentum >= 0.0f && momentum <= 1.0f);
    cudaStream_t s = as_stream(stream);
    const SplitPlan plan = hw == 1 ? rows_split_plan(n, c) : channel_split_plan(count, c);
    Scratch partials(s);
    GT_CHECK(partials.alloc((size_t)c * plan.splits * sizeof(double2)));
    double2* part = static_cast<double2*>(partials.ptr);
    const FastDiv hw_div(hw);
    if (hw == 1)
        GT_LAUNCH(bn_partials_rows<false>, dim3((c + 31) / 32, plan.splits), kThreads, 0, s)(x, nullptr, nullptr, part, n, c,
                                                                                        plan.per_split, plan.splits);
    else
        GT_LAUNCH(bn_stats_partials, dim3(plan.splits, c), kThreads, 0, s)(x, part, c, hw, count, hw_div, plan.per_split);
    GT_CHECK_LAUNCH();
    GT_LAUNCH(bn_stats_finalize, (c + kThreads - 1) / kThreads, kThreads, 0, s)(part, plan.splits, c, count, eps, momentum,
                                                                          save_mean, save_invstd, running_mean,
                                                                          running_var);
    GT_CHECK_LAUNCH();
    GT_LAUNCH(bn_normalize, grid_for(total, 4), kThreads, 0, s)(x, y, save_mean, save_invstd, gamma, beta, total, hw_div,
                                                         FastDiv(c), act, alpha);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_batchnorm_backward(const float* dy, const float* x, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta, int n, int c, int hw,
                              void* stream) {
    GT_REQUIRE(dy != nullptr && x != nullptr && save_mean != nullptr && save_invstd != nullptr && dx != nullptr);
    if (int e = check_sizes(n, c, hw)) return e;
    const int count = n * hw, total = n * c * hw;
    cudaStream_t s = as_stream(stream);
    const SplitPlan plan = hw == 1 ? rows_split_plan(n, c) : channel_split_plan(count, c);
    const size_t part_bytes = (size_t)c * plan.splits * sizeof(double2);
    Scratch scratch(s);
    GT_CHECK(scratch.alloc(part_bytes + (size_t)c * sizeof(float3)));
    double2* part = static_cast<double2*>(scratch.ptr);
    float3* coef = reinterpret_cast<float3*>(static_cast<char*>(scratch.ptr) + part_bytes);
    const FastDiv hw_div(hw);
    if (hw == 1)
        GT_LAUNCH(bn_partials_rows<true>, dim3((c + 31) / 32, plan.splits), kThreads, 0, s)(x, dy, save_mean, part, n, c,
                                                                                      plan.per_split, plan.splits);
    else
        GT_LAUNCH(bn_grad_partials, dim3(plan.splits, c), kThreads, 0, s)(dy, x, save_mean, part, c, hw, count, hw_div,
                                                                    plan.per_split);
    GT_CHECK_LAUNCH();
    GT_LAUNCH(bn_grad_finalize, (c + kThreads - 1) / kThreads, kThreads, 0, s)(part, plan.splits, c, count, gamma,
                                                                         save_invstd, dgamma, dbeta, coef);
    GT_CHECK_LAUNCH();
    GT_LAUNCH(bn_grad_input, grid_for(total, 4), kThreads, 0, s)(dy, x, save_mean, save_invstd, coef, dx, total, hw_div,
                                                          FastDiv(c));
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_batchnorm_inference(const float* x, const float* gamma, const float* beta, const float* running_mean,
                               const float* running_var, float* y, int n, int c, int hw, float eps, int act,
                               float alpha, void* stream) {
    GT_REQUIRE(x != nullptr && running_mean != nullptr && running_var != nullptr && y != nullptr && valid_act(act));
    GT_REQUIRE(eps >= 0.0f);
    if (int e = check_sizes(n, c, hw)) return e;
    const int total = n * c * hw;
    GT_LAUNCH(bn_inference, grid_for(total, 4), kThreads, 0, as_stream(stream))(
        x, gamma, beta, running_mean, running_var, y, total, FastDiv(hw), FastDiv(c), eps, act, alpha);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
