/*
 * genten.h: the one C ABI between Java (FFM) and libgenten_cuda.so.
 *
 * Conventions:
 *  - every function returns an int status: 0 = success, a cudaError_t value, or a
 *    GENTEN_ERR_* code below; genten_error_string() names any of them;
 *  - every function that queues work takes the stream as `void*` (NULL = the legacy stream);
 *  - tensors are float32, NCHW, contiguous; sizes are int64_t where they can pass 2^31;
 *  - kernel launches are followed by a cudaGetLastError() check; nothing here synchronizes
 *    unless its name says so;
 *  - random kernels take a Philox (seed, offset) pair; when offset_dev is not NULL the
 *    effective offset is *offset_dev + offset, so a captured CUDA graph can advance it on the
 *    device (genten_counter_add) between replays.
 */
#ifndef GENTEN_H
#define GENTEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GENTEN_API __attribute__((visibility("default")))

/* genten status codes (beyond cudaError_t's range) */
#define GENTEN_ERR_INVALID_ARGUMENT 10001
#define GENTEN_ERR_UNSUPPORTED      10002

/* math modes of conv (and the GEMMs behind it) */
#define GENTEN_MATH_FP32      0
#define GENTEN_MATH_TF32      1
#define GENTEN_MATH_3XTF32    2

/* activations fused into epilogues and pointwise ops */
#define GENTEN_ACT_IDENTITY   0
#define GENTEN_ACT_RELU       1
#define GENTEN_ACT_LEAKY_RELU 2 /* uses alpha */
#define GENTEN_ACT_TANH       3
#define GENTEN_ACT_SIGMOID    4

/* ---- runtime: devices, memory, streams, events, graphs (alloc.cu) ---------------------- */
GENTEN_API const char* genten_error_string(int status);
GENTEN_API int genten_device_count(int* count);
GENTEN_API int genten_device_name(int device, char* buf, int len);
GENTEN_API int genten_device_capability(int device, int* major, int* minor);
GENTEN_API int genten_set_device(int device);
GENTEN_API int genten_versions(int* runtime_version, int* driver_version);
GENTEN_API int genten_mem_info(size_t* free_bytes, size_t* total_bytes);
GENTEN_API int genten_malloc(void** ptr, size_t bytes);
GENTEN_API int genten_free(void* ptr);
GENTEN_API int genten_memcpy_h2d(void* dst, const void* src, size_t bytes, void* stream);
GENTEN_API int genten_memcpy_d2h(void* dst, const void* src, size_t bytes, void* stream);
GENTEN_API int genten_memcpy_d2d(void* dst, const void* src, size_t bytes, void* stream);
GENTEN_API int genten_stream_create(void** stream);
GENTEN_API int genten_stream_destroy(void* stream);
GENTEN_API int genten_stream_synchronize(void* stream);
/* checks for an asynchronous error without waiting (cudaStreamQuery + cudaGetLastError) */
GENTEN_API int genten_stream_check(void* stream);
GENTEN_API int genten_event_create(void** event);
GENTEN_API int genten_event_destroy(void* event);
GENTEN_API int genten_event_record(void* event, void* stream);
GENTEN_API int genten_event_elapsed_ms(void* start, void* end, float* ms);
GENTEN_API int genten_graph_begin_capture(void* stream);
GENTEN_API int genten_graph_end_capture(void* stream, void** graph_exec);
GENTEN_API int genten_graph_launch(void* graph_exec, void* stream);
GENTEN_API int genten_graph_destroy(void* graph_exec);
/* an empty kernel, for launch-overhead measurements */
GENTEN_API int genten_noop(void* stream);
/* an empty host function, for FFM-overhead measurements */
GENTEN_API int genten_nothing(void);
/* *emulated = 1 in the SIMT emulator build (libgenten_cuda_emu.so: the same kernels on the CPU),
   0 in the CUDA build */
GENTEN_API int genten_emulated(int* emulated);
/* emulator only (GENTEN_ERR_UNSUPPORTED on a GPU): the order in which a block's threads run
   between barriers, GENTEN_SCHEDULE_*; seed drives the shuffled order. A kernel whose results
   differ between schedules has a race (e.g. a missing __syncthreads). */
#define GENTEN_SCHEDULE_FORWARD  0
#define GENTEN_SCHEDULE_REVERSE  1
#define GENTEN_SCHEDULE_SHUFFLED 2
GENTEN_API int genten_emulator_configure(int schedule, uint64_t seed);
/* emulator only (GENTEN_ERR_UNSUPPORTED on a GPU): the emulated device's memory in bytes, for tests
   that provoke an out-of-memory in a kernel's allocation path; 0 restores the default
   (GENTEN_SIMT_MEMORY_MB, else half the host's RAM). A limit below what is in use fails every
   allocation until enough is freed. */
GENTEN_API int genten_emulator_set_memory_limit(uint64_t bytes);
/* returns the kernels' cached scratch (the device's default pool behind cudaMallocAsync) to the
   device, e.g. after an out-of-memory; memory still in use stays (no-op on the emulator) */
GENTEN_API int genten_trim_scratch(void);

/* ---- elementwise.cu -------------------------------------------------------------------- */
GENTEN_API int genten_fill(float* x, int64_t n, float value, void* stream);
GENTEN_API int genten_philox_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_dev, void* stream);
GENTEN_API int genten_philox_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_dev, void* stream);
/* counter[0] += by, on the device (Philox offsets and Adam steps inside graphs) */
GENTEN_API int genten_counter_add(uint64_t* counter, uint64_t by, void* stream);
GENTEN_API int genten_activation_forward(int act, float alpha, const float* x, float* y, int64_t n, void* stream);
GENTEN_API int genten_activation_backward(int act, float alpha, const float* x, const float* y, const float* dy, float* dx, int64_t n, void* stream);
/* inverted dropout: y = x / (1 - p) where uniform(seed, offset, i) >= p, else 0 */
GENTEN_API int genten_dropout(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset, const uint64_t* offset_dev, void* stream);
GENTEN_API int genten_add(const float* a, const float* b, float* out, int64_t n, void* stream);
/* acc += alpha * x */
GENTEN_API int genten_axpy(float* acc, const float* x, float alpha, int64_t n, void* stream);
GENTEN_API int genten_scale(const float* x, float* out, float s, int64_t n, void* stream);
/* out[0] = scale * sum(x) (deterministic two-level reduction) */
GENTEN_API int genten_sum(const float* x, float* out, int64_t n, float scale, void* stream);
/* per-channel sum over N and HW: x (N, C, HW) -> out (C); the bias gradient */
GENTEN_API int genten_channel_sum(const float* x, float* out, int n, int c, int hw, void* stream);
/* y (N, C, HW) += bias (C), then activation, in place */
GENTEN_API int genten_bias_activation(float* y, const float* bias, int n, int c, int hw, int act, float alpha, void* stream);

/* ---- conv.cu: implicit-GEMM convolution, NCHW, w (K, C, R, R) --------------------------- */
/* y (N, K, OH, OW) = act(conv(x (N, C, H, W), w) + bias); bias may be NULL */
GENTEN_API int genten_conv2d_forward(const float* x, const float* w, const float* bias, float* y,
                                     int n, int c, int h, int w_, int k, int r, int stride, int pad,
                                     int oh, int ow, int math_mode, int act, float alpha, void* stream);
/* dx (N, C, H, W) from dy (N, K, OH, OW) and w; H, W given (output padding of transposed convs) */
GENTEN_API int genten_conv2d_backward_data(const float* dy, const float* w, float* dx,
                                           int n, int c, int h, int w_, int k, int r, int stride, int pad,
                                           int oh, int ow, int math_mode, void* stream);
/* dw (K, C, R, R) from dy (N, K, OH, OW) and x (N, C, H, W) */
GENTEN_API int genten_conv2d_backward_filter(const float* dy, const float* x, float* dw,
                                             int n, int c, int h, int w_, int k, int r, int stride, int pad,
                                             int oh, int ow, int math_mode, void* stream);

/* ---- gemm.cu: row-major SGEMM for the linear layers -------------------------------------- */
/* C (m x n, row stride ldc) = op(A) op(B) + bias (n, broadcast over rows; may be NULL); op(A) is
   m x k: A stored (m x k, row stride lda) or, with trans_a, (k x m); op(B) is k x n: B stored
   (k x n, ldb) or, with trans_b, (n x k). Deterministic (no split-K). */
GENTEN_API int genten_gemm(int trans_a, int trans_b, int m, int n, int k, const float* a, int lda,
                           const float* b, int ldb, const float* bias, float* c, int ldc, int math_mode,
                           void* stream);

/* ---- batchnorm.cu: per channel over (N, HW); HW = 1 for BatchNorm1d --------------------- */
/* y = act(gamma * (x - mean) * invstd + beta) with batch statistics (biased variance);
   running_* updated with momentum using the unbiased variance. */
GENTEN_API int genten_batchnorm_train_forward(const float* x, const float* gamma, const float* beta, float* y,
                                              float* save_mean, float* save_invstd,
                                              float* running_mean, float* running_var,
                                              int n, int c, int hw, float momentum, float eps,
                                              int act, float alpha, void* stream);
/* dy is the gradient w.r.t. the batchnorm output (apply an activation's backward first) */
GENTEN_API int genten_batchnorm_backward(const float* dy, const float* x, const float* gamma,
                                         const float* save_mean, const float* save_invstd,
                                         float* dx, float* dgamma, float* dbeta,
                                         int n, int c, int hw, void* stream);
GENTEN_API int genten_batchnorm_inference(const float* x, const float* gamma, const float* beta,
                                          const float* running_mean, const float* running_var, float* y,
                                          int n, int c, int hw, float eps, int act, float alpha, void* stream);

/* ---- reparam.cu -------------------------------------------------------------------------- */
/* z = mu + exp(0.5 logvar) * eps, eps ~ N(0,1) from Philox (seed, offset), also written out.
   If kl_out is not NULL, kl_out[0] = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) (fused). */
GENTEN_API int genten_reparam_forward(const float* mu, const float* logvar, float* z, float* eps, float* kl_out,
                                      int64_t n, uint64_t seed, uint64_t offset, const uint64_t* offset_dev, void* stream);
/* z = mu + exp(0.5 logvar) * eps with eps given */
GENTEN_API int genten_reparam_forward_eps(const float* mu, const float* logvar, const float* eps, float* z,
                                          int64_t n, void* stream);
/* dmu = dz + kl_scale * mu; dlogvar = 0.5 dz eps exp(0.5 logvar) + kl_scale * 0.5 (exp(logvar) - 1) */
GENTEN_API int genten_reparam_backward(const float* dz, const float* mu, const float* logvar, const float* eps,
                                       float* dmu, float* dlogvar, int64_t n, float kl_scale, void* stream);
GENTEN_API int genten_kl_divergence(const float* mu, const float* logvar, float* out, int64_t n, void* stream);

/* ---- loss.cu: out[0] = scale * sum over elements; gradients scaled by scale ------------- */
GENTEN_API int genten_bce_with_logits(const float* logits, const float* targets, float* out, int64_t n, float scale, void* stream);
GENTEN_API int genten_bce_with_logits_backward(const float* logits, const float* targets, float* dx, int64_t n, float scale, void* stream);
GENTEN_API int genten_mse(const float* pred, const float* target, float* out, int64_t n, float scale, void* stream);
GENTEN_API int genten_mse_backward(const float* pred, const float* target, float* dx, int64_t n, float scale, void* stream);

/* ---- adam.cu: every parameter in one launch ------------------------------------------- */
typedef struct genten_adam_slot {
    float* param;
    const float* grad;
    float* m;
    float* v;
    int64_t n;
} genten_adam_slot;

/* slots_dev: `count` slots in device memory; step_dev: the 1-based step count on the device
   (read, not changed: advance it with genten_counter_add after the step). */
GENTEN_API int genten_adam_step(const genten_adam_slot* slots_dev, int count, int64_t max_n,
                                float lr, float beta1, float beta2, float eps, float weight_decay, int decoupled,
                                const uint64_t* step_dev, void* stream);


/* ==== the seeds' extra models (issue 12): concat.cu, softmax_xent.cu ======================
   Kept in a block of their own so that they merge apart from the core ABI above. */

/* rows blocks of width floats: dst[r * dst_pitch + i] = src[r * src_pitch + i] (pointers already
   at the first block): concatenation along dimension 1 (one call per part) and its slicing backward */
GENTEN_API int genten_copy_blocks(float* dst, int64_t dst_pitch, const float* src, int64_t src_pitch, int64_t rows,
                                  int64_t width, void* stream);
/* out[0] = scale * sum over rows of -sum_j t[i,j] log softmax(x[i])_j, logits and targets (n, c) */
GENTEN_API int genten_softmax_xent(const float* logits, const float* targets, float* out, int64_t n, int c, float scale,
                                   void* stream);
/* dx[i,j] = scale * (softmax(x[i])_j * sum_k t[i,k] - t[i,j]) */
GENTEN_API int genten_softmax_xent_backward(const float* logits, const float* targets, float* dx, int64_t n, int c,
                                            float scale, void* stream);
/* ==== end of the extra models' block ===================================================== */

#ifdef __cplusplus
}
#endif
#endif /* GENTEN_H */
