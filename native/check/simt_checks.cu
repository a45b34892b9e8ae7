// Checks of the SIMT emulator itself (native/simt), each able to fail: barriers and the three
// schedules, a planted race that the schedules expose, warp shuffles / votes / reductions, the
// mma.sync fragment exchange against a plain matrix product (and a planted wrong mapping that it
// must reject), cvt.rna.tf32, cp.async groups, dynamic shared memory past 48 KiB (only after
// cudaFuncSetAttribute), atomics across parallel blocks, graph capture and replay; and, as
// separate runs because a kernel fault is sticky as on a GPU, __trap, a warp deadlock and (in the
// AddressSanitizer build) an out-of-bounds read, each of which must be reported naming the kernel.
// Emulator only: built by CMake as simt_checks / simt_checks_asan, run by run-emulator-checks.sh.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "common.cuh"
#include "ptx.cuh"

using namespace genten;

static int failures = 0;

#define CHECK(cond, ...)                           \
    do {                                           \
        if (!(cond)) {                             \
            printf("FAIL %s:%d ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                   \
            printf("\n");                          \
            failures++;                            \
        }                                          \
    } while (0)

#define OK(call)                                                                              \
    do {                                                                                      \
        cudaError_t e_ = (call);                                                              \
        if (e_ != cudaSuccess) {                                                              \
            printf("FAIL %s:%d %s -> %d (%s)\n", __FILE__, __LINE__, #call, (int)e_, cudaGetErrorString(e_)); \
            exit(2);                                                                          \
        }                                                                                     \
    } while (0)

template <class T>
static T* device(size_t n) {
    void* p = nullptr;
    OK(cudaMalloc(&p, n * sizeof(T)));
    return static_cast<T*>(p);
}

template <class T>
static std::vector<T> host(const T* d, size_t n) {
    std::vector<T> h(n);
    OK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
}

// ---- barriers and schedules ------------------------------------------------------------------

// Each thread publishes tid + 1, then reads its right neighbour's value: correct only if every
// write happens before every read, i.e. with the barrier.
template <bool BARRIER>
__global__ void neighbour_kernel(int* out) {
    __shared__ int slots[256];
    const int t = threadIdx.x;
    slots[t] = 1000 * (int)blockIdx.x + t + 1;
    if (BARRIER) __syncthreads();
    out[blockIdx.x * blockDim.x + t] = slots[(t + 1) % blockDim.x];
    if (BARRIER) __syncthreads();
    slots[t] = -1;  // stale values for the next block on this host thread
}

static std::vector<int> run_neighbour(bool barrier, int schedule) {
    simt::configure(schedule, 12345);
    int* out = device<int>(4 * 256);
    if (barrier)
        GT_LAUNCH(neighbour_kernel<true>, 4, 256, 0, nullptr)(out);
    else
        GT_LAUNCH(neighbour_kernel<false>, 4, 256, 0, nullptr)(out);
    OK(cudaGetLastError());
    auto h = host(out, 4 * 256);
    OK(cudaFree(out));
    simt::configure(0, 0);
    return h;
}

static void check_barriers_and_schedules() {
    for (int schedule = 0; schedule < 3; ++schedule) {
        auto h = run_neighbour(true, schedule);
        bool right = true;
        for (int b = 0; b < 4; ++b)
            for (int t = 0; t < 256; ++t) right &= h[b * 256 + t] == 1000 * b + (t + 1) % 256 + 1;
        CHECK(right, "neighbour exchange with __syncthreads is wrong under schedule %d", schedule);
    }
    // The planted race: without the barrier the results depend on the schedule, which is how the
    // emulator exposes a missing __syncthreads that a GPU might hide.
    const auto fwd = run_neighbour(false, 0), rev = run_neighbour(false, 1), shuf = run_neighbour(false, 2);
    CHECK(fwd != rev || fwd != shuf, "the planted race (no __syncthreads) gave the same result under every schedule");
    printf("ok   barriers under forward/reverse/shuffled schedules; planted race detected (%s)\n",
           fwd != rev ? "forward != reverse" : "forward != shuffled");
}

// ---- warp operations ------------------------------------------------------------------------

__global__ void warp_ops_kernel(int* out) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int* o = out + (warp * 32 + lane) * 6;
    const int v = 100 * warp + lane;
    o[0] = __shfl_down_sync(0xffffffffu, v, 3);
    o[1] = __shfl_xor_sync(0xffffffffu, v, 5);
    o[2] = __shfl_sync(0xffffffffu, v, 7);
    o[3] = __shfl_up_sync(0xffffffffu, v, 2, 16);
    o[4] = (int)__ballot_sync(0xffffffffu, lane % 3 == 0);
    o[5] = __reduce_add_sync(0xffffffffu, lane);
}

static void check_warp_ops() {
    int* out = device<int>(64 * 6);
    GT_LAUNCH(warp_ops_kernel, 1, 64, 0, nullptr)(out);
    OK(cudaGetLastError());
    auto h = host(out, 64 * 6);
    unsigned ballot = 0;
    for (int l = 0; l < 32; ++l)
        if (l % 3 == 0) ballot |= 1u << l;
    bool right = true;
    for (int w = 0; w < 2; ++w)
        for (int l = 0; l < 32; ++l) {
            const int* o = &h[(w * 32 + l) * 6];
            const int base = 100 * w;
            right &= o[0] == base + (l + 3 < 32 ? l + 3 : l);
            right &= o[1] == base + (l ^ 5);
            right &= o[2] == base + 7;
            right &= o[3] == base + ((l & 15) >= 2 ? l - 2 : l);
            right &= (unsigned)o[4] == ballot;
            right &= o[5] == 31 * 32 / 2;
        }
    CHECK(right, "warp shuffles / ballot / reduce disagree with CUDA's semantics");
    OK(cudaFree(out));
    printf("ok   warp shuffles (down, xor, idx, up with width 16), ballot, reduce_add\n");
}

// ---- tensor cores -----------------------------------------------------------------------------

// One warp computes D (16x8) = A (16x8) * B (8x8) + C, loading fragments per the PTX ISA, or with
// a1 and a2 swapped (a wrong mapping the emulator must expose).
template <bool WRONG>
__global__ void mma_kernel(const float* a, const float* b, const float* c, float* d) {
    const int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
    uint32_t fa[4] = {to_tf32(a[g * 8 + t]), to_tf32(a[(g + 8) * 8 + t]), to_tf32(a[g * 8 + t + 4]),
                      to_tf32(a[(g + 8) * 8 + t + 4])};
    if (WRONG) {
        const uint32_t tmp = fa[1];
        fa[1] = fa[2];
        fa[2] = tmp;
    }
    const uint32_t fb[2] = {to_tf32(b[t * 8 + g]), to_tf32(b[(t + 4) * 8 + g])};
    float acc[4] = {c[g * 8 + 2 * t], c[g * 8 + 2 * t + 1], c[(g + 8) * 8 + 2 * t], c[(g + 8) * 8 + 2 * t + 1]};
    mma_tf32(acc, fa, fb);
    d[g * 8 + 2 * t] = acc[0];
    d[g * 8 + 2 * t + 1] = acc[1];
    d[(g + 8) * 8 + 2 * t] = acc[2];
    d[(g + 8) * 8 + 2 * t + 1] = acc[3];
}

static double run_mma(bool wrong) {
    std::vector<float> a(128), b(64), c(128);
    for (int i = 0; i < 128; ++i) a[i] = (float)((i * 37) % 17 - 8) / 8.0f;  // exact in tf32
    for (int i = 0; i < 64; ++i) b[i] = (float)((i * 11) % 13 - 6) / 4.0f;
    for (int i = 0; i < 128; ++i) c[i] = (float)(i % 5) - 2.0f;
    float *da = device<float>(128), *db = device<float>(64), *dc = device<float>(128), *dd = device<float>(128);
    OK(cudaMemcpy(da, a.data(), 512, cudaMemcpyHostToDevice));
    OK(cudaMemcpy(db, b.data(), 256, cudaMemcpyHostToDevice));
    OK(cudaMemcpy(dc, c.data(), 512, cudaMemcpyHostToDevice));
    if (wrong)
        GT_LAUNCH(mma_kernel<true>, 1, 32, 0, nullptr)(da, db, dc, dd);
    else
        GT_LAUNCH(mma_kernel<false>, 1, 32, 0, nullptr)(da, db, dc, dd);
    OK(cudaGetLastError());
    auto d = host(dd, 128);
    double worst = 0;
    for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 8; ++n) {
            double want = c[m * 8 + n];
            for (int k = 0; k < 8; ++k) want += (double)a[m * 8 + k] * b[k * 8 + n];
            worst = fmax(worst, fabs(d[m * 8 + n] - want));
        }
    for (float* p : {da, db, dc, dd}) OK(cudaFree(p));
    return worst;
}

static void check_mma() {
    const double right = run_mma(false), wrong = run_mma(true);
    CHECK(right == 0.0, "mma.m16n8k8 with the ISA's fragments: max error %g (exact inputs)", right);
    CHECK(wrong > 0.1, "mma.m16n8k8 with a1/a2 swapped was not caught (max error %g)", wrong);
    // cvt.rna.tf32.f32: ties away from zero at the 13th bit, NaN and Inf unchanged
    CHECK(simt::cvt_rna_tf32(__uint_as_float(0x3f801000u)) == 0x3f802000u, "tf32 tie not rounded away from zero");
    CHECK(simt::cvt_rna_tf32(__uint_as_float(0xbf801000u)) == 0xbf802000u, "negative tf32 tie not rounded away");
    CHECK(simt::cvt_rna_tf32(__uint_as_float(0x3f800fffu)) == 0x3f800000u, "tf32 below the tie not rounded down");
    CHECK(simt::cvt_rna_tf32(INFINITY) == 0x7f800000u, "tf32 of infinity");
    CHECK(isnan(__uint_as_float(simt::cvt_rna_tf32(NAN))), "tf32 of NaN");
    printf("ok   mma.m16n8k8 tf32 fragments exact (error %g); a planted a1/a2 swap is caught (error %g); cvt.rna.tf32\n",
           right, wrong);
}

// ---- cp.async: a copy lands at its wait ----------------------------------------------------------

// Thread i copies src[i] (zero where i is odd: ignore-src) into shared memory in two committed groups
// and records what its slot holds before any wait, after waiting for all but the newest group, and
// after waiting for all (the emulator: NaN until the copy's group is waited for).
__global__ void cp_async_kernel(const float* src, float* before, float* mid, float* after) {
    __shared__ __align__(16) uint32_t s[64];
    const int i = threadIdx.x;
    cp_async4_if(&s[i], src + i, (i & 1) == 0);
    cp_async_commit();
    cp_async4(&s[32 + i], src + 32 + i);
    cp_async_commit();
    before[i] = __uint_as_float(s[i]);
    cp_async_wait_group<1>();  // the first group only (the 3-stage conv loop's wait)
    mid[i] = __uint_as_float(s[i]) + __uint_as_float(s[32 + i]);
    cp_async_wait_all();
    after[i] = __uint_as_float(s[i]) + __uint_as_float(s[32 + i]);
}

static void check_cp_async() {
    std::vector<float> src(64);
    for (int i = 0; i < 64; ++i) src[i] = 1.0f + i;
    float *d = device<float>(64), *b = device<float>(32), *m = device<float>(32), *a = device<float>(32);
    OK(cudaMemcpy(d, src.data(), 256, cudaMemcpyHostToDevice));
    GT_LAUNCH(cp_async_kernel, 1, 32, 0, nullptr)(d, b, m, a);
    OK(cudaGetLastError());
    auto hb = host(b, 32), hm = host(m, 32), ha = host(a, 32);
    int bad = 0;
    for (int i = 0; i < 32; ++i) {
        const float first = (i & 1) ? 0.0f : src[i];
        bad += !isnan(hb[i]) || !isnan(hm[i]) || ha[i] != first + src[32 + i];
    }
    CHECK(bad == 0, "cp.async: %d lanes saw a copy before its wait, or a wrong value after it", bad);
    for (float* p : {d, b, m, a}) OK(cudaFree(p));
    printf("ok   cp.async lands at its wait_group (NaN before), ignore-src writes zeros\n");
}

// ---- dynamic shared memory past 48 KiB ------------------------------------------------------------

// Thread 0 writes the last word of the dynamic shared memory and the first, every thread reads both
// after the barrier: the whole allocation is there and shared by the block.
__global__ void dynamic_smem_kernel(int words, int* out) {
    GT_DYNAMIC_SHARED(int, dyn);
    if (threadIdx.x == 0) dyn[0] = 7, dyn[words - 1] = 11;
    __syncthreads();
    out[threadIdx.x] = dyn[0] + dyn[words - 1];
}

static void check_dynamic_shared() {
    int* out = device<int>(32);
    const int big = 64 * 1024, words = big / 4;
    // as on a GPU: more than 48 KiB needs cudaFuncSetAttribute first (a configuration error, not sticky)
    GT_LAUNCH(dynamic_smem_kernel, 1, 32, big, nullptr)(words, out);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "64 KiB of dynamic shared memory without cudaFuncSetAttribute was allowed");
    OK(cudaFuncSetAttribute(dynamic_smem_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, big));
    GT_LAUNCH(dynamic_smem_kernel, 1, 32, big, nullptr)(words, out);
    OK(cudaGetLastError());
    int bad = 0;
    for (int v : host(out, 32)) bad += v != 18;
    CHECK(bad == 0, "dynamic shared memory of 64 KiB: %d threads read the wrong words", bad);
    GT_LAUNCH(dynamic_smem_kernel, 1, 32, big + 4, nullptr)(words + 1, out);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "more dynamic shared memory than the attribute allows was launched");
    CHECK(cudaFuncSetAttribute(dynamic_smem_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 164 * 1024) == cudaErrorInvalidValue,
          "an attribute past sm_80's 163 KiB was accepted");
    (void)cudaGetLastError();
    OK(cudaFree(out));
    printf("ok   dynamic shared memory past 48 KiB only after cudaFuncSetAttribute, up to its value\n");
}

// ---- atomics, graphs, events ------------------------------------------------------------------

__global__ void count_kernel(unsigned* counter, float* fsum) {
    atomicAdd(counter, 1u);
    atomicAdd(fsum, 0.5f);
}

static void check_atomics_and_graphs() {
    unsigned* counter = device<unsigned>(1);
    float* fsum = device<float>(1);
    OK(cudaMemsetAsync(counter, 0, 4, nullptr));
    OK(cudaMemsetAsync(fsum, 0, 4, nullptr));
    GT_LAUNCH(count_kernel, 64, 128, 0, nullptr)(counter, fsum);
    OK(cudaGetLastError());
    CHECK(host(counter, 1)[0] == 64 * 128, "atomicAdd over parallel blocks: %u", host(counter, 1)[0]);
    CHECK(host(fsum, 1)[0] == 64 * 128 * 0.5f, "float atomicAdd over parallel blocks: %g", host(fsum, 1)[0]);

    cudaStream_t s;
    OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    GT_LAUNCH(count_kernel, 2, 32, 0, s)(counter, fsum);
    OK(cudaGetLastError());
    void* p = nullptr;
    CHECK(cudaMalloc(&p, 64) == cudaErrorStreamCaptureUnsupported, "cudaMalloc during a thread-local capture was allowed");
    cudaGraph_t graph;
    CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorStreamCaptureInvalidated, "an invalidated capture ended cleanly");
    (void)cudaGetLastError();
    CHECK(host(counter, 1)[0] == 64 * 128, "a captured launch ran at capture time");

    OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    GT_LAUNCH(count_kernel, 2, 32, 0, s)(counter, fsum);
    OK(cudaStreamEndCapture(s, &graph));
    cudaGraphExec_t exec;
    OK(cudaGraphInstantiate(&exec, graph, 0));
    OK(cudaGraphDestroy(graph));
    for (int i = 0; i < 3; ++i) OK(cudaGraphLaunch(exec, s));
    CHECK(host(counter, 1)[0] == 64 * 128 + 3 * 64, "3 graph replays: counter %u", host(counter, 1)[0]);
    OK(cudaGraphExecDestroy(exec));
    CHECK(cudaGraphExecDestroy(exec) == cudaErrorInvalidResourceHandle, "a destroyed graph was accepted again");
    (void)cudaGetLastError();
    OK(cudaStreamDestroy(s));
    OK(cudaFree(counter));
    OK(cudaFree(fsum));
    CHECK(cudaFree(fsum) == cudaErrorInvalidValue, "a double free was accepted");
    (void)cudaGetLastError();
    printf("ok   atomics across parallel blocks; capture, replay, capture-unsafe calls, stale handles, double free\n");
}

// ---- faults (one per run: a fault is sticky, as on a GPU) ------------------------------------

__global__ void trap_kernel(int* out) {
    if (blockIdx.x == 1 && threadIdx.x == 3) __trap();
    out[threadIdx.x] = 1;
}

__global__ void warp_deadlock_kernel(int* out) {
    if (threadIdx.x == 5) return;  // lane 5 leaves; the full-mask shuffle then waits forever
    out[threadIdx.x] = __shfl_down_sync(0xffffffffu, (int)threadIdx.x, 1);
}

__global__ void oob_kernel(const float* in, float* out, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n) out[i % n] = in[i];  // the planted bug: <= reads in[n]
}

static int expect_fault(const char* which) {
    int* out = device<int>(64);
    if (!strcmp(which, "trap")) GT_LAUNCH(trap_kernel, 2, 32, 0, nullptr)(out);
    else GT_LAUNCH(warp_deadlock_kernel, 1, 32, 0, nullptr)(out);
    const cudaError_t e = cudaGetLastError();
    const char* msg = cudaGetErrorString(e);
    const char* kernel = !strcmp(which, "trap") ? "trap_kernel" : "warp_deadlock_kernel";
    CHECK(e == cudaErrorLaunchFailure, "%s: status %d, expected cudaErrorLaunchFailure", which, (int)e);
    CHECK(strstr(msg, kernel) != nullptr, "%s: the error does not name the kernel: %s", which, msg);
    CHECK(cudaMalloc((void**)&out, 4) == cudaErrorLaunchFailure, "%s: the fault is not sticky", which);
    printf("%s  %s reported: %s\n", failures ? "FAIL" : "ok  ", which, msg);
    return failures ? 1 : 0;
}

static int oob() {
    const int n = 1000;
    float* in = device<float>(n);
    float* out = device<float>(n);
    GT_LAUNCH(oob_kernel, (n + 255) / 256, 256, 0, nullptr)(in, out, n);
    (void)cudaGetLastError();
    printf("the planted out-of-bounds read was NOT detected (run the AddressSanitizer build)\n");
    return 1;
}

int main(int argc, char** argv) {
    const char* what = argc > 1 ? argv[1] : "all";
    if (!strcmp(what, "trap") || !strcmp(what, "deadlock")) return expect_fault(what);
    if (!strcmp(what, "oob")) return oob();
    check_barriers_and_schedules();
    check_warp_ops();
    check_mma();
    check_cp_async();
    check_dynamic_shared();
    check_atomics_and_graphs();
    printf(failures ? "%d FAILED\n" : "all passed\n", failures);
    return failures ? 1 : 0;
}
