// The CUDA runtime API of the SIMT emulator: device memory is host memory behind the same
// allocator calls, streams run their work in order (synchronously, at the call), events read the
// host's steady clock, and CUDA graphs record what a captured stream was given and replay it.
//
// Stricter than a GPU where that finds bugs: new device memory is filled with 0xff bytes (NaN as
// floats) instead of whatever was there; copies are checked against the allocations they name;
// overlapping copies, freeing an unknown pointer, and capture-unsafe calls (cudaMalloc,
// synchronization) while this thread captures a stream are errors, as CUDA specifies.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "scheduler.h"

struct simt_stream;

namespace {

using Clock = std::chrono::steady_clock;

thread_local cudaError_t tls_last_error = cudaSuccess;
thread_local int tls_capturing = 0;  // streams this thread is capturing
thread_local std::vector<simt_stream*> tls_captures;

std::mutex g_fault_mutex;
std::string g_fault;  // the last kernel fault or configuration error, for cudaGetErrorString
cudaError_t g_sticky = cudaSuccess;

cudaError_t fail(cudaError_t e) {
    tls_last_error = e;
    return e;
}

void note_fault(cudaError_t e, const std::string& why, bool sticky) {
    std::lock_guard<std::mutex> lock(g_fault_mutex);
    g_fault = why;
    if (sticky && g_sticky == cudaSuccess) g_sticky = e;
    fprintf(stderr, "simt: %s\n", why.c_str());
}

cudaError_t sticky() {
    std::lock_guard<std::mutex> lock(g_fault_mutex);
    return g_sticky;
}

// ---- fault injection -----------------------------------------------------------------------------
// GENTEN_SIMT_FAIL=<runtime function>[:<nth call>[+]][:<cudaError_t code>][#<tag>] makes the nth call
// (default the first) of that function fail with that code, once; with "+" that call and every later
// one fail. The functions that can fail this way: cudaSetDevice, cudaMemGetInfo, cudaMalloc, cudaFree,
// cudaMallocAsync, cudaMemcpyAsync, cudaMemsetAsync, cudaStreamCreateWithFlags, cudaStreamSynchronize,
// cudaGraphLaunch and cudaLaunchKernel (every kernel launch). Default codes: out of memory for the allocations,
// cudaErrorLaunchOutOfResources for a launch, cudaErrorLaunchFailure (a kernel fault surfacing) for a
// synchronization, invalid argument otherwise. None of them is sticky: the process goes on.
//
// The variable is read at every such call, not once per process, so that a test can set it in its own
// process (libc setenv) as well as for a child: the Java side checks every native status, and a
// mutation-testing run that removes a check needs the failure in the JVM it mutates. The count starts
// when a value is first seen; a value fires only once, so a test re-arms with a new #tag.
std::mutex g_inject_mutex;
std::string g_inject_seen;
long g_inject_calls = 0;
bool g_inject_fired = false;

cudaError_t injected(const char* function, cudaError_t default_error) {
    const char* spec = getenv("GENTEN_SIMT_FAIL");
    std::lock_guard<std::mutex> lock(g_inject_mutex);
    if (!spec || !*spec) {
        g_inject_seen.clear();
        return cudaSuccess;
    }
    if (g_inject_seen != spec) {
        g_inject_seen = spec;
        g_inject_calls = 0;
        g_inject_fired = false;
    }
    std::string s(spec);
    if (size_t tag = s.find('#'); tag != std::string::npos) s.resize(tag);
    size_t colon = s.find(':');
    if (s.compare(0, colon, function) != 0) return cudaSuccess;
    long nth = 1;
    bool onwards = false;
    cudaError_t code = default_error;
    if (colon != std::string::npos) {
        char* end = nullptr;
        nth = strtol(s.c_str() + colon + 1, &end, 10);
        if (*end == '+') onwards = true, ++end;
        if (*end == ':') code = (cudaError_t)strtol(end + 1, nullptr, 10);
    }
    ++g_inject_calls;
    if (g_inject_calls < nth || (g_inject_calls > nth && !onwards) || (g_inject_fired && !onwards)) return cudaSuccess;
    g_inject_fired = true;
    // the message a launch failure's cudaGetErrorString gives (the emulator's fault text)
    note_fault(code, std::string(function) + " call " + std::to_string(g_inject_calls) + " failed on purpose (GENTEN_SIMT_FAIL=" +
                         spec + ", status " + std::to_string((int)code) + ")",
               false);
    return code;
}

// ---- device memory -------------------------------------------------------------------------------

struct Memory {
    std::mutex m;
    std::map<uintptr_t, size_t> blocks;  // start -> bytes
    size_t used = 0;
    size_t limit = 0;

    Memory() { limit = default_limit(); }

    static size_t default_limit() {
        const char* e = getenv("GENTEN_SIMT_MEMORY_MB");
        long mb = e ? atol(e) : 0;
        if (mb > 0) return (size_t)mb << 20;
        const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        return pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 2 : (size_t)8 << 30;
    }

    cudaError_t allocate(void** out, size_t bytes) {
        if (!out) return cudaErrorInvalidValue;
        *out = nullptr;
        if (bytes == 0) return cudaSuccess;
        {
            std::lock_guard<std::mutex> lock(m);
            if (used > limit || bytes > limit - used) return cudaErrorMemoryAllocation;  // the limit may drop below use
            used += bytes;
        }
        void* p = nullptr;
        if (posix_memalign(&p, 256, bytes) != 0) {
            std::lock_guard<std::mutex> lock(m);
            used -= bytes;
            return cudaErrorMemoryAllocation;
        }
        memset(p, 0xff, bytes);
        std::lock_guard<std::mutex> lock(m);
        blocks[(uintptr_t)p] = bytes;
        *out = p;
        return cudaSuccess;
    }

    cudaError_t release(void* p) {
        if (!p) return cudaSuccess;
        {
            std::lock_guard<std::mutex> lock(m);
            auto it = blocks.find((uintptr_t)p);
            if (it == blocks.end()) return cudaErrorInvalidValue;
            used -= it->second;
            blocks.erase(it);
        }
        free(p);
        return cudaSuccess;
    }

    // Whether [p, p + bytes) lies inside one allocation.
    bool contains(const void* p, size_t bytes) {
        std::lock_guard<std::mutex> lock(m);
        auto it = blocks.upper_bound((uintptr_t)p);
        if (it == blocks.begin()) return false;
        --it;
        return (uintptr_t)p + bytes <= it->first + it->second;
    }
};

Memory& memory() {
    static Memory* m = new Memory();
    return *m;
}

}  // namespace

void simt::set_memory_limit(size_t bytes) {
    Memory& m = memory();
    std::lock_guard<std::mutex> lock(m.m);
    m.limit = bytes > 0 ? bytes : Memory::default_limit();
}

// ---- streams, events, graphs ---------------------------------------------------------------------

struct GraphBody;

struct Node {
    enum Kind { Kernel, Copy, Set, Event } kind;
    explicit Node(Kind k) : kind(k) {}
    std::shared_ptr<simt::KernelTask> task;
    void* dst = nullptr;
    const void* src = nullptr;
    size_t bytes = 0;
    int value = 0;
    cudaEvent_t event = nullptr;
};

struct GraphBody {
    std::vector<Node> nodes;
    std::vector<void*> owned;  // memory allocated during the capture: lives as long as the graph
    ~GraphBody() {
        for (void* p : owned) memory().release(p);
    }
};

struct simt_stream {
    std::shared_ptr<GraphBody> capture;
    bool invalidated = false;
};
struct simt_event {
    bool recorded = false;
    Clock::time_point at;
};
struct simt_graph {
    std::shared_ptr<GraphBody> body;
};
struct simt_graph_exec {
    std::shared_ptr<GraphBody> body;
};
struct simt_mem_pool {};

namespace {

std::mutex g_handles_mutex;
std::set<const void*> g_handles;  // live streams, events and graphs: a stale handle is an error

template <class T>
T* make_handle() {
    T* h = new T();
    std::lock_guard<std::mutex> lock(g_handles_mutex);
    g_handles.insert(h);
    return h;
}

bool live(const void* h) {
    std::lock_guard<std::mutex> lock(g_handles_mutex);
    return g_handles.count(h) != 0;
}

template <class T>
bool drop(T* h) {
    {
        std::lock_guard<std::mutex> lock(g_handles_mutex);
        if (!g_handles.erase(h)) return false;
    }
    delete h;
    return true;
}

bool stream_ok(cudaStream_t s) { return s == nullptr || live(s); }

bool capturing(cudaStream_t s) { return s != nullptr && s->capture != nullptr; }

// A capture-unsafe call in a thread that captures: CUDA fails it and invalidates the capture.
cudaError_t unsafe_during_capture(cudaStream_t s) {
    if (tls_capturing == 0 && !capturing(s)) return cudaSuccess;
    if (s && s->capture) s->invalidated = true;
    for (simt_stream* c : tls_captures) c->invalidated = true;
    return cudaErrorStreamCaptureUnsupported;
}

void forget_capture(cudaStream_t s) {
    --tls_capturing;
    for (size_t i = 0; i < tls_captures.size(); ++i)
        if (tls_captures[i] == s) {
            tls_captures.erase(tls_captures.begin() + (long)i);
            break;
        }
}

cudaError_t run_task(const simt::KernelTask& task) {
    std::string why;
    const cudaError_t e = simt::run_kernel(task, &why);
    if (e != cudaSuccess) note_fault(e, why, e == cudaErrorLaunchFailure);
    return e;
}

cudaError_t copy_now(void* dst, const void* src, size_t bytes) {
    if (bytes == 0) return cudaSuccess;
    const uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    if (d != s && d < s + bytes && s < d + bytes) return cudaErrorInvalidValue;  // overlapping: undefined on a GPU
    if (d != s) memcpy(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t replay(GraphBody& body) {
    for (Node& n : body.nodes) {
        cudaError_t e = cudaSuccess;
        switch (n.kind) {
            case Node::Kernel: e = run_task(*n.task); break;
            case Node::Copy: e = copy_now(n.dst, n.src, n.bytes); break;
            case Node::Set: memset(n.dst, n.value, n.bytes); break;
            case Node::Event:
                n.event->recorded = true;
                n.event->at = Clock::now();
                break;
        }
        if (e != cudaSuccess) return e;
    }
    return cudaSuccess;
}

}  // namespace

namespace simt {

void submit(std::shared_ptr<KernelTask> task, cudaStream_t stream) {
    if (cudaError_t s = sticky()) {
        fail(s);
        return;
    }
    if (!stream_ok(stream)) {
        fail(cudaErrorInvalidResourceHandle);
        return;
    }
    if (cudaError_t e = injected("cudaLaunchKernel", cudaErrorLaunchOutOfResources)) {
        fail(e);
        return;
    }
    std::string why;
    if (check_config(*task, &why) != cudaSuccess) {
        note_fault(cudaErrorInvalidConfiguration, why, false);
        fail(cudaErrorInvalidConfiguration);
        return;
    }
    if (capturing(stream)) {
        if (stream->invalidated) {
            fail(cudaErrorStreamCaptureInvalidated);
            return;
        }
        Node n(Node::Kernel);
        n.task = std::move(task);
        stream->capture->nodes.push_back(std::move(n));
        return;
    }
    if (cudaError_t e = run_task(*task)) fail(e);
}

}  // namespace simt

// ---- the API -------------------------------------------------------------------------------------

#define SIMT_STICKY()                                   \
    do {                                                \
        if (cudaError_t s_ = sticky()) return fail(s_); \
    } while (0)

cudaError_t cudaGetLastError(void) {
    cudaError_t e = tls_last_error;
    tls_last_error = cudaSuccess;
    if (e == cudaSuccess) e = sticky();
    return e;
}

cudaError_t cudaPeekAtLastError(void) { return tls_last_error != cudaSuccess ? tls_last_error : sticky(); }

const char* cudaGetErrorName(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
        case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
        case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
        case cudaErrorNotReady: return "cudaErrorNotReady";
        case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
        case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
        case cudaErrorNotSupported: return "cudaErrorNotSupported";
        case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
        case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
        case cudaErrorStreamCaptureUnmatched: return "cudaErrorStreamCaptureUnmatched";
        default: return "cudaErrorUnknown";
    }
}

const char* cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidValue: return "invalid argument";
        case cudaErrorMemoryAllocation: return "out of memory (emulated device; GENTEN_SIMT_MEMORY_MB sets its size)";
        case cudaErrorInvalidDevice: return "invalid device ordinal";
        case cudaErrorInvalidResourceHandle: return "invalid resource handle";
        case cudaErrorNotReady: return "device not ready";
        case cudaErrorNotSupported: return "operation not supported";
        case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
        case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
        case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
        case cudaErrorStreamCaptureUnmatched: return "capture was not initiated in this stream";
        case cudaErrorInvalidConfiguration:
        case cudaErrorLaunchFailure: {
            // The emulator knows which kernel, block and thread: say so (valid until the next fault).
            std::lock_guard<std::mutex> lock(g_fault_mutex);
            if (!g_fault.empty()) return g_fault.c_str();
            return e == cudaErrorLaunchFailure ? "unspecified launch failure" : "invalid configuration argument";
        }
        default: return "unknown error";
    }
}

cudaError_t cudaGetDeviceCount(int* count) {
    if (!count) return fail(cudaErrorInvalidValue);
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
    if (!prop) return fail(cudaErrorInvalidValue);
    if (device != 0) return fail(cudaErrorInvalidDevice);
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "Genten SIMT emulator (%u host threads)", simt::host_threads());
    prop->totalGlobalMem = memory().limit;
    prop->major = 8;
    prop->minor = 0;
    prop->multiProcessorCount = (int)simt::host_threads();
    prop->maxThreadsPerBlock = 1024;
    prop->warpSize = 32;
    return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
    if (!value) return fail(cudaErrorInvalidValue);
    if (device != 0) return fail(cudaErrorInvalidDevice);
    switch (attr) {
        case cudaDevAttrComputeCapabilityMajor: *value = 8; break;  // the sm_80 feature set (mma.sync tf32)
        case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
        case cudaDevAttrMultiProcessorCount: *value = (int)simt::host_threads(); break;
        case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
        default: return fail(cudaErrorInvalidValue);
    }
    return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute attr, int value) {
    if (!func || attr != cudaFuncAttributeMaxDynamicSharedMemorySize) return fail(cudaErrorInvalidValue);
    if (value < 0 || (size_t)value > simt::kOptInDynamicShared) return fail(cudaErrorInvalidValue);
    simt::set_max_dynamic_shared(func, (size_t)value);
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
    if (cudaError_t e = injected("cudaSetDevice", cudaErrorInvalidDevice)) return fail(e);
    return device == 0 ? cudaSuccess : fail(cudaErrorInvalidDevice);
}

cudaError_t cudaGetDevice(int* device) {
    if (!device) return fail(cudaErrorInvalidValue);
    *device = 0;
    return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
    if (!version) return fail(cudaErrorInvalidValue);
    *version = 13000;  // the API it emulates
    return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
    if (!version) return fail(cudaErrorInvalidValue);
    *version = 13000;
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
    SIMT_STICKY();
    if (tls_capturing) return fail(cudaErrorStreamCaptureUnsupported);
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
    if (!free_bytes || !total_bytes) return fail(cudaErrorInvalidValue);
    if (cudaError_t e = injected("cudaMemGetInfo", cudaErrorInvalidValue)) return fail(e);
    Memory& m = memory();
    std::lock_guard<std::mutex> lock(m.m);
    *total_bytes = m.limit;
    *free_bytes = m.used < m.limit ? m.limit - m.used : 0;
    return cudaSuccess;
}

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaMalloc", cudaErrorMemoryAllocation)) return fail(e);
    if (tls_capturing) return fail(unsafe_during_capture(nullptr));
    if (cudaError_t e = memory().allocate(ptr, bytes)) return fail(e);
    return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaFree", cudaErrorInvalidValue)) return fail(e);
    if (tls_capturing) return fail(unsafe_during_capture(nullptr));
    if (cudaError_t e = memory().release(ptr)) return fail(e);
    return cudaSuccess;
}

cudaError_t cudaMallocAsync(void** ptr, size_t bytes, cudaStream_t stream) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaMallocAsync", cudaErrorMemoryAllocation)) return fail(e);
    if (!stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (cudaError_t e = memory().allocate(ptr, bytes)) return fail(e);
    if (capturing(stream) && *ptr) stream->capture->owned.push_back(*ptr);  // a memory node: the graph's
    return cudaSuccess;
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream) {
    SIMT_STICKY();
    if (!stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) {
        for (void* p : stream->capture->owned)
            if (p == ptr) return cudaSuccess;  // freed with the graph
        stream->invalidated = true;
        return fail(cudaErrorStreamCaptureUnsupported);
    }
    if (cudaError_t e = memory().release(ptr)) return fail(e);
    return cudaSuccess;
}

cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device) {
    static simt_mem_pool the_pool;
    if (!pool) return fail(cudaErrorInvalidValue);
    if (device != 0) return fail(cudaErrorInvalidDevice);
    *pool = &the_pool;
    return cudaSuccess;
}

cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr, void* value) {
    return pool && value ? cudaSuccess : fail(cudaErrorInvalidValue);
}

static cudaError_t check_copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
    const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) return cudaErrorInvalidMemcpyDirection;
    if (!dst || !src) return cudaErrorInvalidValue;
    if (dst_dev && !memory().contains(dst, bytes)) return cudaErrorInvalidValue;
    if (src_dev && !memory().contains(src, bytes)) return cudaErrorInvalidValue;
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
    SIMT_STICKY();
    if (tls_capturing) return fail(unsafe_during_capture(nullptr));
    if (bytes == 0) return cudaSuccess;
    if (cudaError_t e = check_copy(dst, src, bytes, kind)) return fail(e);
    if (cudaError_t e = copy_now(dst, src, bytes)) return fail(e);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaMemcpyAsync", cudaErrorInvalidValue)) return fail(e);
    if (!stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (bytes == 0) return cudaSuccess;
    if (cudaError_t e = check_copy(dst, src, bytes, kind)) return fail(e);
    if (capturing(stream)) {
        if (stream->invalidated) return fail(cudaErrorStreamCaptureInvalidated);
        Node n(Node::Copy);
        n.dst = dst;
        n.src = src;
        n.bytes = bytes;
        stream->capture->nodes.push_back(n);
        return cudaSuccess;
    }
    if (cudaError_t e = copy_now(dst, src, bytes)) return fail(e);
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaMemsetAsync", cudaErrorInvalidValue)) return fail(e);
    if (!stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (bytes == 0) return cudaSuccess;
    if (!memory().contains(dst, bytes)) return fail(cudaErrorInvalidValue);
    if (capturing(stream)) {
        Node n(Node::Set);
        n.dst = dst;
        n.value = value;
        n.bytes = bytes;
        stream->capture->nodes.push_back(n);
        return cudaSuccess;
    }
    memset(dst, value, bytes);
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaStreamCreateWithFlags", cudaErrorInvalidValue)) return fail(e);
    if (!stream) return fail(cudaErrorInvalidValue);
    *stream = make_handle<simt_stream>();
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    if (!stream || !live(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (stream->capture) {
        stream->capture.reset();
        forget_capture(stream);
    }
    drop(stream);
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaStreamSynchronize", cudaErrorLaunchFailure)) return fail(e);
    if (!stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    // the captured stream itself, or the legacy stream (it synchronizes with everything)
    if (capturing(stream) || (stream == nullptr && tls_capturing)) return fail(unsafe_during_capture(stream));
    return cudaSuccess;  // the work ran when it was queued
}

cudaError_t cudaStreamQuery(cudaStream_t stream) {
    SIMT_STICKY();
    if (!stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) return fail(unsafe_during_capture(stream));
    return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status) {
    if (!status) return fail(cudaErrorInvalidValue);
    if (!stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    *status = !capturing(stream) ? cudaStreamCaptureStatusNone
              : stream->invalidated ? cudaStreamCaptureStatusInvalidated
                                    : cudaStreamCaptureStatusActive;
    return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode) {
    SIMT_STICKY();
    if (!stream) return fail(cudaErrorStreamCaptureUnsupported);  // the legacy stream cannot be captured
    if (!live(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (stream->capture) return fail(cudaErrorIllegalState);
    stream->capture = std::make_shared<GraphBody>();
    stream->invalidated = false;
    ++tls_capturing;
    tls_captures.push_back(stream);
    return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
    if (!graph) return fail(cudaErrorInvalidValue);
    *graph = nullptr;
    if (!stream || !live(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (!stream->capture) return fail(cudaErrorIllegalState);
    std::shared_ptr<GraphBody> body = std::move(stream->capture);
    forget_capture(stream);
    if (stream->invalidated) {
        stream->invalidated = false;
        return fail(cudaErrorStreamCaptureInvalidated);
    }
    simt_graph* g = make_handle<simt_graph>();
    g->body = std::move(body);
    *graph = g;
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
    if (!event) return fail(cudaErrorInvalidValue);
    *event = make_handle<simt_event>();
    return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
    if (!event || !drop(event)) return fail(cudaErrorInvalidResourceHandle);
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    SIMT_STICKY();
    if (!event || !live(event) || !stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) {
        Node n(Node::Event);
        n.event = event;
        stream->capture->nodes.push_back(n);
        return cudaSuccess;
    }
    event->recorded = true;
    event->at = Clock::now();  // the stream's earlier work is done: it ran when it was queued
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    if (!event || !live(event)) return fail(cudaErrorInvalidResourceHandle);
    return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
    if (!ms) return fail(cudaErrorInvalidValue);
    if (!start || !end || !live(start) || !live(end)) return fail(cudaErrorInvalidResourceHandle);
    if (!start->recorded || !end->recorded) return fail(cudaErrorInvalidResourceHandle);
    *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
    return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
    if (!exec) return fail(cudaErrorInvalidValue);
    *exec = nullptr;
    if (!graph || !live(graph)) return fail(cudaErrorInvalidResourceHandle);
    simt_graph_exec* x = make_handle<simt_graph_exec>();
    x->body = graph->body;
    *exec = x;
    return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    if (!graph || !drop(graph)) return fail(cudaErrorInvalidResourceHandle);
    return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    if (!exec || !drop(exec)) return fail(cudaErrorInvalidResourceHandle);
    return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    SIMT_STICKY();
    if (cudaError_t e = injected("cudaGraphLaunch", cudaErrorInvalidValue)) return fail(e);
    if (!exec || !live(exec) || !stream_ok(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) {
        stream->invalidated = true;  // graphs inside graphs are not emulated
        return fail(cudaErrorStreamCaptureUnsupported);
    }
    if (cudaError_t e = replay(*exec->body)) return fail(e);
    return cudaSuccess;
}
