// Cooperative fibers for the SIMT emulator: one per emulated GPU thread of the block being run.
// x86-64 switches with six callee-saved registers and the FP control words (a few ns); other
// architectures fall back to ucontext. AddressSanitizer is told about every stack switch.
#pragma once

#include <stddef.h>
#include <stdint.h>

// SIMT_ASAN: built with AddressSanitizer, which must be told about every stack switch.
#if defined(__SANITIZE_ADDRESS__)
#define SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIMT_ASAN 1
#endif
#endif
#ifdef SIMT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace simt {

struct FiberContext {
    void* sp = nullptr;             // saved stack pointer (x86-64)
    void* ucontext = nullptr;       // ucontext_t (other architectures)
    const void* stack_bottom = nullptr;
    size_t stack_size = 0;
    void* asan_fake_stack = nullptr;
};

// Arranges for the first switch to `ctx` to call entry(arg) on [stack, stack + size).
// entry must never return: it ends by switching away for good (fiber_switch(..., true)).
void fiber_init(FiberContext* ctx, void* stack, size_t size, void (*entry)(void*), void* arg);

// Saves the running context in `from` and resumes `to`; returns when something resumes `from`.
// `from_is_done`: the running fiber will never be resumed (its stack may be reused).
void fiber_switch(FiberContext* from, FiberContext* to, bool from_is_done = false);

// Called first thing in a fiber's entry: completes the switch into it (sanitizer bookkeeping) and
// records the stack it came from in `from`, so fiber_switch back to `from` is annotated correctly.
void fiber_started(FiberContext* from);

// Every fiber stack is a kFiberStackAlign-aligned span: a slot page, a guard page (an overflow
// faults instead of corrupting memory), then the stack. The slot holds the fiber's owner pointer,
// found from the stack pointer alone (fiber_slot), which is far cheaper than thread-local storage
// in a dlopen'ed library.
constexpr size_t kFiberStackAlign = (size_t)2 << 20;

struct FiberStack {
    void* base = nullptr;  // the whole mapping
    size_t mapped = 0;
    void** slot = nullptr;
    void* stack = nullptr;
    size_t size = 0;
    explicit FiberStack(size_t bytes);
    ~FiberStack();
    FiberStack(const FiberStack&) = delete;
    FiberStack& operator=(const FiberStack&) = delete;
};

}  // namespace simt
