// Pointwise and reduction kernels: fill, Philox uniform/normal, device counters, activations,
// dropout, add/axpy/scale, the deterministic sum, the bias gradient and bias + activation.
// All memory bound: the floor is bytes moved over ~3.0 TB/s. Loops are 64-bit grid-stride.
#include "common.cuh"
#include "philox.cuh"

using namespace genten;

namespace {

__global__ void fill_kernel(float* x, int64_t n, float v) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) x[i] = v;
}

// One thread per Philox block (4 elements), as the Java loop.
__global__ void philox_uniform_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset,
                                      const uint64_t* offset_dev) {
    const uint64_t off = philox_offset(offset, offset_dev);
    const int64_t blocks = (n + 3) / 4;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t b = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; b < blocks; b += stride) {
        const PhiloxWords w = philox_block(seed, off, (uint64_t)b);
        const int64_t i0 = b * 4;
#pragma unroll
        for (int lane = 0; lane < 4; ++lane)
            if (i0 + lane < n) out[i0 + lane] = philox_uniform(w.x[lane]);
    }
}

__global__ void philox_normal_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset,
                                     const uint64_t* offset_dev) {
    const uint64_t off = philox_offset(offset, offset_dev);
    const int64_t blocks = (n + 3) / 4;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t b = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; b < blocks; b += stride) {
        float v[4];
        philox_normal4(seed, off, (uint64_t)b, v);
        const int64_t i0 = b * 4;
#pragma unroll
        for (int lane = 0; lane < 4; ++lane)
            if (i0 + lane < n) out[i0 + lane] = v[lane];
    }
}

__global__ void counter_add_kernel(uint64_t* counter, uint64_t by) { counter[0] += by; }

__global__ void activation_forward_kernel(int act, float alpha, const float* x, float* y, int64_t n) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = act_forward(act, x[i], alpha);
}

// relu/leaky use x (the derivative at 0 is taken as 0, resp. alpha); tanh/sigmoid use y.
__global__ void activation_backward_kernel(int act, float alpha, const float* x, const float* y, const float* dy,
                                           float* dx, int64_t n) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float g = dy[i];
        float d;
        switch (act) {
            case GENTEN_ACT_RELU: d = x[i] > 0.0f ? g : 0.0f; break;
            case GENTEN_ACT_LEAKY_RELU: d = x[i] > 0.0f ? g : alpha * g; break;
            case GENTEN_ACT_TANH: { const float t = y[i]; d = g * (1.0f - t * t); break; }
            case GENTEN_ACT_SIGMOID: { const float s = y[i]; d = g * s * (1.0f - s); break; }
            default: d = g; break;
        }
        dx[i] = d;
    }
}

// keep iff uniform(seed, offset, i) >= p (the same float compare as Java); y = x * keep_scale with
// keep_scale = (float)(1 / (1 - p)) rounded once from double on the host, exactly the CPU backend's
// factor (x / (1.0f - p) rounds 1 - p first and differs from it in the last bit).
__global__ void dropout_kernel(const float* x, float* y, int64_t n, float p, float keep_scale, uint64_t seed,
                               uint64_t offset, const uint64_t* offset_dev) {
    const uint64_t off = philox_offset(offset, offset_dev);
    const int64_t blocks = (n + 3) / 4;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t b = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; b < blocks; b += stride) {
        const PhiloxWords w = philox_block(seed, off, (uint64_t)b);
        const int64_t i0 = b * 4;
#pragma unroll
        for (int lane = 0; lane < 4; ++lane) {
            const int64_t i = i0 + lane;
            // a factor, not a select: a dropped NaN stays NaN (PyTorch's semantics and the CPU's); + 0 makes -0 +0
            if (i < n) y[i] = x[i] * (philox_uniform(w.x[lane]) >= p ? keep_scale : 0.0f) + 0.0f;
        }
    }
}

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = a[i] + b[i];
}

__global__ void axpy_kernel(float* acc, const float* x, float alpha, int64_t n) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        acc[i] = acc[i] + alpha * x[i];
}

__global__ void scale_kernel(const float* x, float* out, float s, int64_t n) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = s * x[i];
}

struct LoadF {
    const float* x;
    __device__ double operator()(int64_t i) const { return (double)x[i]; }
};

// Bias gradient, pass 1: block (split, c) sums a fixed contiguous range of the channel's
// N*HW elements in double. Element e of channel c is x[(e / hw * c_total + c) * hw + e % hw].
__global__ void __launch_bounds__(kThreads) channel_partials_kernel(const float* x, double* partials, int n, int c,
                                                                    int hw, FastDiv hw_div, int per_split) {
    const int ch = blockIdx.y;
    const int count = n * hw;
    const int begin = blockIdx.x * per_split;
    const int end = min(count, begin + per_split);
    double acc = 0.0;
    for (int e = begin + threadIdx.x; e < end; e += blockDim.x) {
        int img, j;
        hw_div.divmod(e, img, j);
        acc += (double)x[((int64_t)img * c + ch) * hw + j];
    }
    const double s = block_sum(acc);
    if (threadIdx.x == 0) partials[(int64_t)ch * gridDim.x + blockIdx.x] = s;
}

// Pass 2: one thread per channel adds its splits in order.
__global__ void channel_finalize_kernel(const double* partials, float* out, int c, int splits) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double s = 0.0;
    for (int i = 0; i < splits; ++i) s += partials[(int64_t)ch * splits + i];
    out[ch] = (float)s;
}

__global__ void bias_activation_kernel(float* y, const float* bias, int64_t total, int c, FastDiv hw_div,
                                       FastDiv c_div, int act, float alpha) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        int row, ch, img, j;
        hw_div.divmod((int)i, row, j);
        c_div.divmod(row, img, ch);
        y[i] = act_forward(act, y[i] + bias[ch], alpha);
    }
}

}  // namespace

extern "C" {

int genten_fill(float* x, int64_t n, float value, void* stream) {
    GT_REQUIRE(x != nullptr && n > 0);
    GT_LAUNCH(fill_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(x, n, value);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_philox_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_dev,
                          void* stream) {
    GT_REQUIRE(out != nullptr && n > 0);
    GT_LAUNCH(philox_uniform_kernel, grid_for((n + 3) / 4), kThreads, 0, as_stream(stream))(out, n, seed, offset,
                                                                                      offset_dev);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_philox_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_dev,
                         void* stream) {
    GT_REQUIRE(out != nullptr && n > 0);
    GT_LAUNCH(philox_normal_kernel, grid_for((n + 3) / 4), kThreads, 0, as_stream(stream))(out, n, seed, offset,
                                                                                     offset_dev);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_counter_add(uint64_t* counter, uint64_t by, void* stream) {
    GT_REQUIRE(counter != nullptr);
    GT_LAUNCH(counter_add_kernel, 1, 1, 0, as_stream(stream))(counter, by);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_activation_forward(int act, float alpha, const float* x, float* y, int64_t n, void* stream) {
    GT_REQUIRE(valid_act(act) && x != nullptr && y != nullptr && n > 0);
    GT_LAUNCH(activation_forward_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(act, alpha, x, y, n);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_activation_backward(int act, float alpha, const float* x, const float* y, const float* dy, float* dx,
                               int64_t n, void* stream) {
    GT_REQUIRE(valid_act(act) && dy != nullptr && dx != nullptr && n > 0);
    if (act == GENTEN_ACT_RELU || act == GENTEN_ACT_LEAKY_RELU) GT_REQUIRE(x != nullptr);
    if (act == GENTEN_ACT_TANH || act == GENTEN_ACT_SIGMOID) GT_REQUIRE(y != nullptr);
    GT_LAUNCH(activation_backward_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(act, alpha, x, y, dy, dx, n);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_dropout(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset,
                   const uint64_t* offset_dev, void* stream) {
    GT_REQUIRE(x != nullptr && y != nullptr && n > 0 && p >= 0.0f && p <= 1.0f);
    // p = 1 drops everything (no uniform reaches 1), so the infinite scale is never used
    const float keep_scale = p < 1.0f ? (float)(1.0 / (1.0 - (double)p)) : 0.0f;
    GT_LAUNCH(dropout_kernel, grid_for((n + 3) / 4), kThreads, 0, as_stream(stream))(x, y, n, p, keep_scale, seed, offset,
                                                                               offset_dev);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_add(const float* a, const float* b, float* out, int64_t n, void* stream) {
    GT_REQUIRE(a != nullptr && b != nullptr && out != nullptr && n > 0);
    GT_LAUNCH(add_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(a, b, out, n);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_axpy(float* acc, const float* x, float alpha, int64_t n, void* stream) {
    GT_REQUIRE(acc != nullptr && x != nullptr && n > 0);
    GT_LAUNCH(axpy_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(acc, x, alpha, n);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_scale(const float* x, float* out, float s, int64_t n, void* stream) {
    GT_REQUIRE(x != nullptr && out != nullptr && n > 0);
    GT_LAUNCH(scale_kernel, grid_for(n, 4), kThreads, 0, as_stream(stream))(x, out, s, n);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_sum(const float* x, float* out, int64_t n, float scale, void* stream) {
    GT_REQUIRE(x != nullptr && out != nullptr && n > 0);
    return deterministic_sum(LoadF{x}, n, scale, out, as_stream(stream));
}

int genten_channel_sum(const float* x, float* out, int n, int c, int hw, void* stream) {
    GT_REQUIRE(x != nullptr && out != nullptr && n > 0 && c > 0 && hw > 0);
    GT_SUPPORTED((int64_t)n * c * hw <= INT_MAX);
    GT_SUPPORTED(c <= 65535);
    const SplitPlan plan = channel_split_plan(n * hw, c);
    const int splits = plan.splits, per_split = plan.per_split;
    cudaStream_t s = as_stream(stream);
    Scratch partials(s);
    GT_CHECK(partials.alloc((size_t)c * splits * sizeof(double)));
    GT_LAUNCH(channel_partials_kernel, dim3(splits, c), kThreads, 0, s)(x, static_cast<double*>(partials.ptr), n, c, hw,
                                                                  FastDiv(hw), per_split);
    GT_CHECK_LAUNCH();
    GT_LAUNCH(channel_finalize_kernel, (c + kThreads - 1) / kThreads, kThreads, 0, s)(
        static_cast<const double*>(partials.ptr), out, c, splits);
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_bias_activation(float* y, const float* bias, int n, int c, int hw, int act, float alpha, void* stream) {
    GT_REQUIRE(y != nullptr && bias != nullptr && n > 0 && c > 0 && hw > 0 && valid_act(act));
    const int64_t total = (int64_t)n * c * hw;
    GT_SUPPORTED(total <= INT_MAX);
    GT_LAUNCH(bias_activation_kernel, grid_for(total, 4), kThreads, 0, as_stream(stream))(y, bias, total, c, FastDiv(hw),
                                                                                    FastDiv(c), act, alpha);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
