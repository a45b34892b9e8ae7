// The runtime section of genten.h: error strings, devices, memory, streams, events, CUDA graphs,
// and the two overhead probes (an empty kernel and an empty host function).
#include <stdio.h>
#include <string.h>

#include "common.cuh"

using namespace genten;

namespace {
__global__ void noop_kernel() {}
}  // namespace

extern "C" {

const char* genten_error_string(int status) {
    switch (status) {
        case 0: return "success";
        case GENTEN_ERR_INVALID_ARGUMENT:
            return "genten: invalid argument (null pointer, non-positive size, inconsistent shape, or bad mode)";
        case GENTEN_ERR_UNSUPPORTED:
            return "genten: unsupported (a size beyond what the kernel indexes, or a feature this build lacks)";
        default: return cudaGetErrorString(static_cast<cudaError_t>(status));
    }
}

int genten_device_count(int* count) {
    GT_REQUIRE(count != nullptr);
    *count = 0;
    cudaError_t e = cudaGetDeviceCount(count);
    if (e != cudaSuccess) {
        *count = 0;
        cudaGetLastError();  // do not leave the failure sticky for the next call
        return (int)e;
    }
    return 0;
}

int genten_device_name(int device, char* buf, int len) {
    GT_REQUIRE(buf != nullptr && len > 0 && device >= 0);
    cudaDeviceProp prop;
    GT_CHECK(cudaGetDeviceProperties(&prop, device));
    snprintf(buf, (size_t)len, "%s", prop.name);
    return 0;
}

int genten_device_capability(int device, int* major, int* minor) {
    GT_REQUIRE(major != nullptr && minor != nullptr && device >= 0);
    GT_CHECK(cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, device));
    GT_CHECK(cudaDeviceGetAttribute(minor, cudaDevAttrComputeCapabilityMinor, device));
    return 0;
}

int genten_set_device(int device) {
    GT_REQUIRE(device >= 0);
    GT_CHECK(cudaSetDevice(device));
    return 0;
}

int genten_versions(int* runtime_version, int* driver_version) {
    GT_REQUIRE(runtime_version != nullptr && driver_version != nullptr);
    GT_CHECK(cudaRuntimeGetVersion(runtime_version));
    GT_CHECK(cudaDriverGetVersion(driver_version));
    return 0;
}

int genten_mem_info(size_t* free_bytes, size_t* total_bytes) {
    GT_REQUIRE(free_bytes != nullptr && total_bytes != nullptr);
    GT_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
    return 0;
}

int genten_malloc(void** ptr, size_t bytes) {
    GT_REQUIRE(ptr != nullptr && bytes > 0);
    *ptr = nullptr;
    GT_CHECK(cudaMalloc(ptr, bytes));
    return 0;
}

int genten_free(void* ptr) {
    GT_CHECK(cudaFree(ptr));  // cudaFree(NULL) is a no-op
    return 0;
}

static int copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, void* stream) {
    if (bytes == 0) return 0;
    GT_REQUIRE(dst != nullptr && src != nullptr);
    GT_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, as_stream(stream)));
    return 0;
}

int genten_memcpy_h2d(void* dst, const void* src, size_t bytes, void* stream) {
    return copy(dst, src, bytes, cudaMemcpyHostToDevice, stream);
}

int genten_memcpy_d2h(void* dst, const void* src, size_t bytes, void* stream) {
    return copy(dst, src, bytes, cudaMemcpyDeviceToHost, stream);
}

int genten_memcpy_d2d(void* dst, const void* src, size_t bytes, void* stream) {
    return copy(dst, src, bytes, cudaMemcpyDeviceToDevice, stream);
}

// Non-blocking: a genten stream does not serialize with the legacy NULL stream, so a graph can
// be captured on it while other threads use the NULL stream.
//
// The kernels' scratch (common.cuh Scratch) comes from the current device's default pool through
// cudaMallocAsync. That pool's default release threshold is 0: every synchronization (each item(),
// each host copy) hands its memory back to the driver and the next step maps it anew. Keep up to
// 256 MiB cached (the split-K and reduction workspaces of a training step); beyond, it is trimmed
// as before, so a large one-off workspace does not stay reserved.
int genten_stream_create(void** stream) {
    GT_REQUIRE(stream != nullptr);
    int device = 0;
    cudaMemPool_t pool = nullptr;
    uint64_t keep = 256ull << 20;
    // best effort: a device without pools fails later, at the first cudaMallocAsync, with its own error
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetDefaultMemPool(&pool, device) != cudaSuccess ||
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep) != cudaSuccess)
        cudaGetLastError();
    cudaStream_t s = nullptr;
    GT_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    *stream = s;
    return 0;
}

int genten_stream_destroy(void* stream) {
    GT_REQUIRE(stream != nullptr);
    GT_CHECK(cudaStreamDestroy(as_stream(stream)));
    return 0;
}

int genten_stream_synchronize(void* stream) {
    GT_CHECK(cudaStreamSynchronize(as_stream(stream)));
    return 0;
}

int genten_stream_check(void* stream) {
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    GT_CHECK(cudaStreamIsCapturing(as_stream(stream), &capture));
    if (capture == cudaStreamCaptureStatusNone) {
        // cudaStreamQuery would invalidate a capture, so only outside one
        cudaError_t q = cudaStreamQuery(as_stream(stream));
        if (q != cudaSuccess && q != cudaErrorNotReady) return (int)q;
    }
    GT_CHECK(cudaGetLastError());
    return 0;
}

int genten_event_create(void** event) {
    GT_REQUIRE(event != nullptr);
    cudaEvent_t e = nullptr;
    GT_CHECK(cudaEventCreate(&e));
    *event = e;
    return 0;
}

int genten_event_destroy(void* event) {
    GT_REQUIRE(event != nullptr);
    GT_CHECK(cudaEventDestroy(static_cast<cudaEvent_t>(event)));
    return 0;
}

int genten_event_record(void* event, void* stream) {
    GT_REQUIRE(event != nullptr);
    GT_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), as_stream(stream)));
    return 0;
}

int genten_event_elapsed_ms(void* start, void* end, float* ms) {
    GT_REQUIRE(start != nullptr && end != nullptr && ms != nullptr);
    GT_CHECK(cudaEventElapsedTime(ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)));
    return 0;
}

// Thread-local capture: only this thread's unsafe calls (cudaMalloc, synchronous copies) break
// the capture; other threads (other tensors, the JVM's other work) are unaffected. The legacy
// NULL stream cannot be captured: pass a stream from genten_stream_create.
int genten_graph_begin_capture(void* stream) {
    GT_REQUIRE(stream != nullptr);
    GT_CHECK(cudaStreamBeginCapture(as_stream(stream), cudaStreamCaptureModeThreadLocal));
    return 0;
}

int genten_graph_end_capture(void* stream, void** graph_exec) {
    GT_REQUIRE(stream != nullptr && graph_exec != nullptr);
    *graph_exec = nullptr;
    cudaGraph_t graph = nullptr;
    GT_CHECK(cudaStreamEndCapture(as_stream(stream), &graph));
    cudaGraphExec_t exec = nullptr;
    cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    cudaError_t d = cudaGraphDestroy(graph);  // the executable graph keeps what it needs
    if (e != cudaSuccess) return (int)e;
    if (d != cudaSuccess) {
        cudaGraphExecDestroy(exec);
        return (int)d;
    }
    *graph_exec = exec;
    return 0;
}

int genten_graph_launch(void* graph_exec, void* stream) {
    GT_REQUIRE(graph_exec != nullptr);
    GT_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph_exec), as_stream(stream)));
    return 0;
}

int genten_graph_destroy(void* graph_exec) {
    GT_REQUIRE(graph_exec != nullptr);
    GT_CHECK(cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph_exec)));
    return 0;
}

int genten_noop(void* stream) {
    GT_LAUNCH(noop_kernel, 1, 1, 0, as_stream(stream))();
    GT_CHECK_LAUNCH();
    return 0;
}

int genten_nothing(void) { return 0; }

int genten_emulated(int* emulated) {
    GT_REQUIRE(emulated != nullptr);
#ifdef GENTEN_EMU
    *emulated = 1;
#else
    *emulated = 0;
#endif
    return 0;
}

int genten_emulator_configure(int schedule, uint64_t seed) {
#ifdef GENTEN_EMU
    GT_REQUIRE(simt::configure(schedule, seed) == 0);
    return 0;
#else
    (void)schedule;
    (void)seed;
    return GENTEN_ERR_UNSUPPORTED;
#endif
}

int genten_emulator_set_memory_limit(uint64_t bytes) {
#ifdef GENTEN_EMU
    simt::set_memory_limit((size_t)bytes);
    return 0;
#else
    (void)bytes;
    return GENTEN_ERR_UNSUPPORTED;
#endif
}

int genten_trim_scratch(void) {
#ifdef GENTEN_EMU
    return 0;  // the emulator's cudaMallocAsync frees at once: nothing is cached
#else
    int device = 0;
    cudaMemPool_t pool = nullptr;
    GT_CHECK(cudaGetDevice(&device));
    GT_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
    GT_CHECK(cudaMemPoolTrimTo(pool, 0));
    return 0;
#endif
}

}  // extern "C"
