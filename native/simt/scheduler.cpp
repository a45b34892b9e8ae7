// The SIMT emulator's kernel scheduler: blocks on a pool of host threads, each block's threads as
// cooperative fibers switched at barriers and warp-synchronous operations.
//
// Schedules. Between two barriers, CUDA promises nothing about the order in which a block's
// threads run; the emulator runs them in one order per pass: forward (0, 1, 2, ...), reverse, or
// shuffled by a seed (a fresh permutation each pass). A kernel whose result depends on that order
// has a race (typically a missing __syncthreads): run it under two schedules and compare.
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "fiber.h"


namespace simt {

namespace {

enum class State : unsigned char { Ready, AtBarrier, AtWarp, Done };


struct Warp {
    unsigned exists = 0;    // lanes present in the block
    unsigned arrived = 0;   // lanes deposited in the current collection
    unsigned required = 0;  // the current collection's mask
    size_t bytes = 0;
    unsigned gen = 0;       // completed collections; deposits alternate between two buffers
    unsigned char data[2][32][kWarpBytes];
    unsigned char out[2][32][kWarpBytes];  // per-lane results of a combine (warp_exchange)
};

std::atomic<int> g_schedule{0};
std::atomic<uint64_t> g_seed{0};

uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

size_t stack_bytes() {
    static const size_t bytes = [] {
        const char* e = getenv("GENTEN_SIMT_STACK_KB");
        long kb = e ? atol(e) : 0;
#ifdef SIMT_ASAN
        if (kb <= 0) kb = 1024;
#else
        if (kb <= 0) kb = 256;
#endif
        return (size_t)kb * 1024;
    }();
    return bytes;
}

}  // namespace

struct Block {
    const KernelTask* task = nullptr;
    unsigned nthreads = 0;
    std::vector<Thread> threads;
    std::vector<State> state;
    std::vector<FiberContext> fibers;
    FiberContext scheduler;
    unsigned live = 0;
    unsigned at_barrier = 0;
    unsigned barrier_gen = 0;
    Warp warps[32];
    std::vector<unsigned char> dynamic_shared;
    unsigned running = 0;  // the fiber now running
    std::vector<unsigned> order;    // this pass's order of the threads
    int cursor = -1;                // position in order of the thread now running
    FiberContext* last_from = nullptr;  // the context that switched to the fiber now starting
    bool failed = false;
    std::string failure;
};

namespace {

thread_local Thread* tls_current = nullptr;

// Per host thread: the fiber stacks, grown to the largest block seen.
struct Worker {
    std::vector<std::unique_ptr<FiberStack>> stacks;
    void ensure(unsigned n) {
        while (stacks.size() < n) stacks.push_back(std::make_unique<FiberStack>(stack_bytes()));
    }
};
thread_local Worker tls_worker;

std::string coords(const uint3& v) {
    char buf[64];
    snprintf(buf, sizeof buf, "(%u,%u,%u)", v.x, v.y, v.z);
    return buf;
}

std::string where(const Block& b, unsigned t) {
    return std::string("kernel ") + b.task->name + " (launched at " + b.task->site + "), block " +
           coords(b.threads[t].block_idx) + ", thread " + coords(b.threads[t].thread_idx);
}

// The next Ready thread of this pass after the cursor (the cursor moves to it), or nthreads.
unsigned next_in_pass(Block* b) {
    while (++b->cursor < (int)b->order.size()) {
        const unsigned t = b->order[b->cursor];
        if (b->state[t] == State::Ready) return t;
    }
    return b->nthreads;
}

// Hands the host thread from fiber t straight to the next Ready thread of the pass (one switch, not
// two through the scheduler: the same order as the scheduler's loop), or back to the scheduler
// when the pass is over.
void switch_from(Block* b, unsigned t, bool done) {
    const unsigned next = b->failed ? b->nthreads : next_in_pass(b);
    FiberContext* from = &b->fibers[t];
    b->last_from = from;
    if (next < b->nthreads) {
        b->running = next;
        fiber_switch(from, &b->fibers[next], done);
    } else {
        fiber_switch(from, &b->scheduler, done);
    }
}

// Ends the running fiber for good.
[[noreturn]] void leave(Block* b) {
    switch_from(b, b->running, true);
    __builtin_unreachable();
}

[[noreturn]] void fail_here(Block* b, const std::string& why) {
    if (!b->failed) {
        b->failed = true;
        b->failure = why + " in " + where(*b, b->running);
    }
    b->state[b->running] = State::Done;
    leave(b);
}

void finish_thread(Block* b, unsigned t) {
    b->state[t] = State::Done;
    --b->live;
    // Exited threads no longer count at a block barrier (as on the GPU).
    if (b->at_barrier > 0 && b->at_barrier == b->live) {
        b->at_barrier = 0;
        ++b->barrier_gen;
        for (unsigned i = 0; i < b->nthreads; ++i)
            if (b->state[i] == State::AtBarrier) b->state[i] = State::Ready;
    }
}

// GENTEN_SIMT_FAULT=<part of a kernel name>: thread (0,0,0) of block (0,0,0) of every launch of a
// kernel whose name contains it executes __trap() before the kernel's first statement. A planted
// fault for tests of the fault path (an emulated fault is sticky, as on a GPU: one per process).
const std::string& planted_fault() {
    static const std::string* k = [] {
        const char* e = getenv("GENTEN_SIMT_FAULT");
        return new std::string(e ? e : "");
    }();
    return *k;
}

void fiber_main(void* arg) {
    Block* b = static_cast<Block*>(arg);
    const unsigned t = b->running;
    fiber_started(b->last_from);
    if (t == 0 && !planted_fault().empty() && strstr(b->task->name, planted_fault().c_str()) != nullptr) {
        const uint3 bi = b->threads[t].block_idx;
        if (bi.x == 0 && bi.y == 0 && bi.z == 0) trap("__trap() (planted by GENTEN_SIMT_FAULT)");
    }
    b->task->run_thread();
    finish_thread(b, t);
    leave(b);
}

// Lets the other threads run until something switches back to this one (it is Ready again then).
void block_wait(Block* b) { switch_from(b, b->running, false); }

void make_order(std::vector<unsigned>& order, unsigned n, int schedule, uint64_t& rng) {
    order.resize(n);
    for (unsigned i = 0; i < n; ++i) order[i] = schedule == 1 ? n - 1 - i : i;
    if (schedule == 2)
        for (unsigned i = n; i > 1; --i) {
            const unsigned j = (unsigned)(splitmix(rng) % i);
            const unsigned tmp = order[i - 1];
            order[i - 1] = order[j];
            order[j] = tmp;
        }
}

void run_block(Block& b, const KernelTask& task, uint3 block_idx, int schedule, uint64_t seed) {
    const unsigned bx = task.block.x, by = task.block.y, n = bx * by * task.block.z;
    b.task = &task;
    b.nthreads = n;
    b.threads.resize(n);
    b.state.assign(n, State::Ready);
    b.fibers.resize(n);
    b.live = n;
    b.at_barrier = 0;
    b.barrier_gen = 0;
    b.failed = false;
    b.failure.clear();
    for (auto& w : b.warps) {
        w.exists = w.arrived = w.required = 0;
        w.gen = 0;
    }
    for (unsigned i = 0; i < n; ++i) b.warps[i >> 5].exists |= 1u << (i & 31);
    // Dynamic shared memory: a heap block per block, filled with a NaN pattern (as unwritten device
    // memory), so a sanitizer build also catches overruns of it.
    b.dynamic_shared.assign(task.shared_bytes, 0xff);
    Worker& w = tls_worker;
    w.ensure(n);
    for (unsigned i = 0; i < n; ++i) {
        Thread& th = b.threads[i];
        th.thread_idx = uint3{i % bx, (i / bx) % by, i / (bx * by)};
        th.block_idx = block_idx;
        th.block_dim = task.block;
        th.grid_dim = task.grid;
        th.block = &b;
        th.linear = i;
        th.async_count = 0;
        th.async_groups = 0;
#ifdef SIMT_ASAN
        __asan_unpoison_memory_region(w.stacks[i]->stack, w.stacks[i]->size);
#endif
        *w.stacks[i]->slot = &th;
        fiber_init(&b.fibers[i], w.stacks[i]->stack, w.stacks[i]->size, fiber_main, &b);
    }
    uint64_t rng = seed ^ (0x9E3779B97F4A7C15ull * (1 + block_idx.x + 65536ull * (block_idx.y + 65536ull * block_idx.z)));
    make_order(b.order, n, schedule, rng);
    Thread* const saved = tls_current;
    tls_current = &b.threads[0];  // inside a kernel now (nested launches are refused)
    while (b.live > 0 && !b.failed) {
        // one pass: the fibers hand over to each other in order; back here when it is over
        b.cursor = -1;
        const unsigned first = next_in_pass(&b);
        if (first == n) {  // threads left and none can run
            unsigned at_bar = 0, at_warp = 0, done = 0;
            unsigned stuck = n;
            for (unsigned i = 0; i < n; ++i) {
                if (b.state[i] == State::AtBarrier) at_bar++;
                if (b.state[i] == State::AtWarp) {
                    at_warp++;
                    if (stuck == n) stuck = i;
                }
                if (b.state[i] == State::Done) done++;
            }
            char buf[256];
            snprintf(buf, sizeof buf,
                     "deadlock: %u threads wait at __syncthreads, %u at a warp-synchronous operation whose mask "
                     "names lanes that exited or diverged, %u exited",
                     at_bar, at_warp, done);
            b.failed = true;
            b.failure = std::string(buf) + " in " + where(b, stuck < n ? stuck : 0);
            break;
        }
        b.running = first;
        b.last_from = &b.scheduler;
        fiber_switch(&b.scheduler, &b.fibers[first]);
        if (b.failed || b.live == 0) break;
        if (schedule == 2) make_order(b.order, n, schedule, rng);
    }
    tls_current = saved;
}

#ifdef SIMT_ASAN
// A sanitizer report inside a kernel shows the fiber's stack; this names the emulated thread.
void on_sanitizer_death() {
    Thread* t = tls_current;  // set while a block runs on this host thread
    if (t) fprintf(stderr, "simt: the report above is from %s\n", where(*t->block, t->block->running).c_str());
}
#endif

// ---- the pool of host threads ------------------------------------------------------------------

// One launch: its blocks are claimed one by one by the caller and the workers.
struct Job {
    const KernelTask* task = nullptr;
    uint64_t blocks = 0;
    int schedule = 0;
    uint64_t seed = 0;
    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;
    std::string failure;
    unsigned workers = 0;  // host threads inside run_blocks (guarded by Pool::m)

    void run_blocks() {
        // one Block per host thread, reused by every launch (its warp buffers are 256 KB)
        static thread_local std::unique_ptr<Block> cached;
        if (!cached) cached = std::make_unique<Block>();
        Block* const b = cached.get();
        for (;;) {
            const uint64_t i = next.fetch_add(1);
            if (i >= blocks || failed.load()) return;
            const dim3 g = task->grid;
            const uint3 idx{(unsigned)(i % g.x), (unsigned)((i / g.x) % g.y), (unsigned)(i / ((uint64_t)g.x * g.y))};
            run_block(*b, *task, idx, schedule, seed);
            if (b->failed) {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (!failed.exchange(true)) failure = b->failure;
            }
        }
    }
};

struct Pool {
    std::mutex launch_mutex;  // one launch at a time; its blocks spread over the host threads
    std::mutex m;
    std::condition_variable work_cv, done_cv;
    std::shared_ptr<Job> job;
    uint64_t job_id = 0;
    unsigned size = 1;
    bool started = false;

    Pool() {
#ifdef SIMT_ASAN
        __sanitizer_set_death_callback(on_sanitizer_death);
#endif
        // GENTEN_SIMT_SCHEDULE=forward|reverse|shuffled[:seed] (genten_emulator_configure overrides it)
        if (const char* sch = getenv("GENTEN_SIMT_SCHEDULE")) {
            const char* colon = strchr(sch, ':');
            const size_t len = colon ? (size_t)(colon - sch) : strlen(sch);
            if (len == 7 && !strncmp(sch, "reverse", 7)) g_schedule = 1;
            else if (len == 8 && !strncmp(sch, "shuffled", 8)) g_schedule = 2;
            else if (!(len == 7 && !strncmp(sch, "forward", 7)))
                fprintf(stderr, "simt: GENTEN_SIMT_SCHEDULE=%s not understood (forward, reverse, shuffled[:seed])\n", sch);
            g_seed = colon ? strtoull(colon + 1, nullptr, 10) : 1;
        }
        const char* e = getenv("GENTEN_SIMT_THREADS");
        long n = e ? atol(e) : 0;
        if (n <= 0) n = (long)std::thread::hardware_concurrency();
        if (n <= 0) n = 1;
        if (n > 256) n = 256;
        size = (unsigned)n;
    }

    void worker_loop() {
        uint64_t seen = 0;
        std::unique_lock<std::mutex> lock(m);
        for (;;) {
            work_cv.wait(lock, [&] { return job_id != seen; });
            seen = job_id;
            std::shared_ptr<Job> j = job;
            if (!j) continue;
            ++j->workers;
            lock.unlock();
            j->run_blocks();
            lock.lock();
            if (--j->workers == 0) done_cv.notify_all();
        }
    }

    cudaError_t run(const KernelTask& t, std::string* why) {
        std::lock_guard<std::mutex> launch(launch_mutex);
        auto j = std::make_shared<Job>();
        j->task = &t;
        j->blocks = (uint64_t)t.grid.x * t.grid.y * t.grid.z;
        j->schedule = g_schedule.load();
        j->seed = g_seed.load();
        if (j->blocks > 1 && size > 1) {
            std::unique_lock<std::mutex> lock(m);
            if (!started) {
                started = true;
                for (unsigned i = 1; i < size; ++i) std::thread([this] { worker_loop(); }).detach();
            }
            job = j;
            ++job_id;
            ++j->workers;  // the caller works too
            lock.unlock();
            work_cv.notify_all();
            j->run_blocks();
            lock.lock();
            --j->workers;
            done_cv.wait(lock, [&] { return j->workers == 0; });
            job.reset();
        } else {
            j->run_blocks();
        }
        if (j->failed.load()) {
            *why = j->failure;
            return cudaErrorLaunchFailure;
        }
        return cudaSuccess;
    }
};

Pool& pool() {
    static Pool* p = new Pool();  // never destroyed: detached workers may outlive static destructors
    return *p;
}

}  // namespace

// ---- what kernels call ---------------------------------------------------------------------------


void syncthreads() {
    Block* b = current()->block;
    const unsigned gen = b->barrier_gen;
    if (++b->at_barrier == b->live) {
        b->at_barrier = 0;
        ++b->barrier_gen;
        for (unsigned i = 0; i < b->nthreads; ++i)
            if (b->state[i] == State::AtBarrier) b->state[i] = State::Ready;
        return;
    }
    b->state[b->running] = State::AtBarrier;
    while (b->barrier_gen == gen) block_wait(b);
}

// The common part of warp_collect and warp_exchange: deposit, wait for the lanes of the mask; the
// last lane to arrive runs `combine` over all deposits (once per warp). Returns the buffer index.
static unsigned warp_meet(unsigned mask, const void* mine, size_t bytes, WarpCombine combine, unsigned* lanes) {
    Thread* self = current();
    Block* b = self->block;
    const unsigned lane = self->linear & 31u;
    Warp& w = b->warps[self->linear >> 5];
    const unsigned required = mask & w.exists;
    if (!(mask & (1u << lane))) fail_here(b, "a warp-synchronous operation from a lane outside its mask");
    if (bytes > kWarpBytes) fail_here(b, "a warp-synchronous operation wider than the emulator supports");
    if (w.arrived == 0) {
        w.required = required;
        w.bytes = bytes;
    } else if (w.required != required || w.bytes != bytes) {
        fail_here(b, "lanes of one warp in different warp-synchronous operations (diverged masks)");
    }
    const unsigned gen = w.gen;
    if (bytes) memcpy(w.data[gen & 1][lane], mine, bytes);
    w.arrived |= 1u << lane;
    if (w.arrived == required) {
        if (combine) combine(w.data[gen & 1], required, w.out[gen & 1]);
        w.arrived = 0;
        ++w.gen;
        const unsigned base = self->linear & ~31u;
        for (unsigned l = 0; l < 32; ++l)
            if ((required >> l) & 1u)
                if (b->state[base + l] == State::AtWarp) b->state[base + l] = State::Ready;
    } else {
        b->state[b->running] = State::AtWarp;
        while (w.gen == gen) block_wait(b);
    }
    *lanes = required;
    return gen & 1;
}

void warp_collect(unsigned mask, const void* mine, size_t bytes, void* all) {
    unsigned required;
    const unsigned buf = warp_meet(mask, mine, bytes, nullptr, &required);
    if (!all) return;
    Warp& w = current()->block->warps[current()->linear >> 5];
    unsigned char* out = static_cast<unsigned char*>(all);
    for (unsigned l = 0; l < 32; ++l) {
        if ((required >> l) & 1u)
            memcpy(out + l * bytes, w.data[buf][l], bytes);
        else
            memset(out + l * bytes, 0, bytes);
    }
}

void warp_exchange(unsigned mask, const void* mine, size_t bytes, WarpCombine combine, void* result, size_t result_bytes) {
    unsigned required;
    const unsigned buf = warp_meet(mask, mine, bytes, combine, &required);
    Thread* self = current();
    memcpy(result, self->block->warps[self->linear >> 5].out[buf][self->linear & 31u], result_bytes);
}

void syncwarp(unsigned mask) { warp_collect(mask, nullptr, 0, nullptr); }

unsigned active_mask() {
    Thread* self = current();
    Block* b = self->block;
    const unsigned base = self->linear & ~31u;
    unsigned m = 0;
    for (unsigned l = 0; l < 32 && base + l < b->nthreads; ++l)
        if (b->state[base + l] != State::Done) m |= 1u << l;
    return m;
}

void trap(const char* why) { fail_here(current()->block, why); }

void* dynamic_shared_memory() {
    Block* b = current()->block;
    return b->dynamic_shared.empty() ? nullptr : b->dynamic_shared.data();
}

// The warp's 16x8 product, computed once by the last lane to arrive (from every lane's fragments,
// per the PTX ISA tables in simt.h); each lane then reads its own four accumulators.
namespace {
struct MmaFrag {
    uint32_t a[4], b[2];
    float c[4];
};

void mma_combine(const unsigned char (*in)[kWarpBytes], unsigned, unsigned char (*out)[kWarpBytes]) {
    MmaFrag f[32];
    for (int l = 0; l < 32; ++l) memcpy(&f[l], in[l], sizeof(MmaFrag));
    // The tensor cores read only the tf32 bits of each operand (the low 13 mantissa bits ignored).
    auto tf32 = [](uint32_t u) {
        u &= 0xffffe000u;
        float v;
        memcpy(&v, &u, 4);
        return (double)v;
    };
    double A[16][8], BT[8][8];  // B transposed: both products read k contiguously
    for (int row = 0; row < 16; ++row)  // a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4)
        for (int k = 0; k < 8; ++k) A[row][k] = tf32(f[(row & 7) * 4 + (k & 3)].a[(row >> 3) + 2 * (k >> 2)]);
    for (int col = 0; col < 8; ++col)  // b0 (t, g), b1 (t+4, g)
        for (int k = 0; k < 8; ++k) BT[col][k] = tf32(f[col * 4 + (k & 3)].b[k >> 2]);
    for (int lane = 0; lane < 32; ++lane) {
        const int g = lane >> 2, t = lane & 3;
        float d[4];
        for (int q = 0; q < 4; ++q) {  // c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1)
            const double* a = A[g + (q >> 1) * 8];
            const double* b = BT[2 * t + (q & 1)];
            // tf32 products are exact in double; the sum is rounded to float once
            double acc = 0.0;
            for (int k = 0; k < 8; ++k) acc += a[k] * b[k];
            d[q] = (float)((double)f[lane].c[q] + acc);
        }
        memcpy(out[lane], d, sizeof d);
    }
}
}  // namespace

void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const float (&c)[4]) {
    MmaFrag mine;
    for (int i = 0; i < 4; ++i) mine.a[i] = a[i];
    for (int i = 0; i < 2; ++i) mine.b[i] = b[i];
    for (int i = 0; i < 4; ++i) mine.c[i] = c[i];
    warp_exchange(0xffffffffu, &mine, sizeof mine, mma_combine, d, sizeof d);
}

int configure(int schedule, uint64_t seed) {
    if (schedule < 0 || schedule > 2) return -1;
    pool();  // read the environment's defaults first, so they do not override this call
    g_schedule.store(schedule);
    g_seed.store(seed);
    return 0;
}



long long clock64() {
    return (long long)std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// ---- launches ------------------------------------------------------------------------------------

unsigned host_threads() { return pool().size; }

namespace {
std::mutex g_func_mutex;
std::map<const void*, size_t> g_max_dynamic_shared;  // kernels opted into more than 48 KiB
}  // namespace

void set_max_dynamic_shared(const void* func, size_t bytes) {
    std::lock_guard<std::mutex> lock(g_func_mutex);
    g_max_dynamic_shared[func] = bytes;
}

size_t max_dynamic_shared(const void* func) {
    std::lock_guard<std::mutex> lock(g_func_mutex);
    const auto it = g_max_dynamic_shared.find(func);
    return it == g_max_dynamic_shared.end() ? kDefaultDynamicShared : it->second;
}

cudaError_t check_config(const KernelTask& t, std::string* why) {
    const uint64_t threads = (uint64_t)t.block.x * t.block.y * t.block.z;
    const char* bad = nullptr;
    if (t.grid.x == 0 || t.grid.y == 0 || t.grid.z == 0) bad = "an empty grid";
    else if (t.grid.x > 2147483647u || t.grid.y > 65535u || t.grid.z > 65535u) bad = "a grid beyond (2^31-1, 65535, 65535)";
    else if (threads == 0 || threads > 1024 || t.block.z > 64) bad = "a block of 0 or more than 1024 threads";
    else if (t.shared_bytes > max_dynamic_shared(t.func))
        bad = t.shared_bytes > kDefaultDynamicShared && max_dynamic_shared(t.func) == kDefaultDynamicShared
                  ? "more than 48 KiB of dynamic shared memory without cudaFuncSetAttribute"
                  : "more dynamic shared memory than cudaFuncSetAttribute allowed";
    if (!bad) return cudaSuccess;
    char buf[512];
    snprintf(buf, sizeof buf, "invalid configuration of kernel %s (launched at %s): %s, grid (%u,%u,%u), block (%u,%u,%u)",
             t.name, t.site, bad, t.grid.x, t.grid.y, t.grid.z, t.block.x, t.block.y, t.block.z);
    *why = buf;
    return cudaErrorInvalidConfiguration;
}

cudaError_t run_kernel(const KernelTask& task, std::string* why) {
    if (tls_current) {
        *why = std::string("kernel ") + task.name + " launched from inside a kernel (dynamic parallelism is not emulated)";
        return cudaErrorNotSupported;
    }
    return pool().run(task, why);
}

}  // namespace simt
