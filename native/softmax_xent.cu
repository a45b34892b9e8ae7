// Softmax cross-entropy over rows of logits (n, c) against class probabilities (one-hot or soft),
// for the digit classifier. One thread per row, in double as the CPU backend: the row's maximum,
// the log-sum-exp shifted by it (no overflow for any logit), then the loss or the gradient. The
// loss rows are summed by the deterministic two-level reduction, so the result does not depend
// on the device. Rows are short (c = 10 for digits): a block per row would idle most threads.
#include "common.cuh"

using namespace genten;

namespace {

__device__ inline double row_lse(const float* x, int c) {
    double m = -INFINITY;
    for (int j = 0; j < c; j++) m = fmax(m, (double)x[j]);
    double s = 0.0;
    for (int j = 0; j < c; j++) s += exp((double)x[j] - m);
    return m + log(s);
}

struct XentRow {
    const float* x;
    const float* t;
    int c;
    __device__ double operator()(int64_t i) const {
        const float* xr = x + i * c;
        const float* tr = t + i * c;
        const double lse = row_lse(xr, c);
        double acc = 0.0;
        for (int j = 0; j < c; j++) acc += (double)tr[j] * (lse - (double)xr[j]);
        return acc;
    }
};

__global__ void xent_backward_kernel(const float* x, const float* t, float* dx, int64_t n, int c, double scale) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float* xr = x + i * c;
        const float* tr = t + i * c;
        float* dr = dx + i * c;
        const double lse = row_lse(xr, c);
        double tsum = 0.0;
        for (int j = 0; j < c; j++) tsum += (double)tr[j];
        for (int j = 0; j < c; j++) dr[j] = (float)(scale * (exp((double)xr[j] - lse) * tsum - (double)tr[j]));
    }
}

}  // namespace

extern "C" {

int genten_softmax_xent(const float* logits, const float* targets, float* out, int64_t n, int c, float scale,
                        void* stream) {
    GT_REQUIRE(logits != nullptr && targets != nullptr && out != nullptr && n > 0 && c > 0);
    return deterministic_sum(XentRow{logits, targets, c}, n, scale, out, as_stream(stream));
}

int genten_softmax_xent_backward(const float* logits, const float* targets, float* dx, int64_t n, int c, float scale,
                                 void* stream) {
    GT_REQUIRE(logits != nullptr && targets != nullptr && dx != nullptr && n > 0 && c > 0);
    GT_LAUNCH(xent_backward_kernel, grid_for(n), kThreads, 0, as_stream(stream))(logits, targets, dx, n, c, (double)scale);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
