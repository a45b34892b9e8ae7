// Fiber switching for the SIMT emulator (see fiber.h).
#include "fiber.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace simt {

#if defined(__x86_64__)
// simt_switch(void** save_sp, void* new_sp): push the callee-saved registers, swap stacks, pop the
// other context's. The FP control words are not switched: every fiber of a block runs in the FP
// environment of the host thread (round to nearest, no kernel changes it), and ldmxcsr is slow. simt_start: the first "return" into a new
// fiber lands here with r12 = arg, r13 = entry.
extern "C" void simt_switch(void** save_sp, void* new_sp);
extern "C" void simt_start();
asm(R"(
    .text
    .p2align 4
    .globl simt_switch
    .hidden simt_switch
    .type simt_switch, @function
simt_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size simt_switch, .-simt_switch

    .p2align 4
    .globl simt_start
    .hidden simt_start
    .type simt_start, @function
simt_start:
    andq $-16, %rsp
    movq %r12, %rdi
    callq *%r13
    ud2
    .size simt_start, .-simt_start
)");

void fiber_init(FiberContext* ctx, void* stack, size_t size, void (*entry)(void*), void* arg) {
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    uint64_t* sp = (uint64_t*)top;
    *--sp = 0;                          // no return address beyond simt_start (ends backtraces)
    *--sp = (uint64_t)&simt_start;      // popped by simt_switch's ret
    *--sp = 0;                          // rbp
    *--sp = 0;                          // rbx
    *--sp = (uint64_t)arg;              // r12
    *--sp = (uint64_t)entry;            // r13
    *--sp = 0;                          // r14
    *--sp = 0;                          // r15
    ctx->sp = sp;
    ctx->stack_bottom = stack;
    ctx->stack_size = size;
}

static void raw_switch(FiberContext* from, FiberContext* to) { simt_switch(&from->sp, to->sp); }

#else  // ucontext fallback

void fiber_init(FiberContext* ctx, void* stack, size_t size, void (*entry)(void*), void* arg) {
    if (!ctx->ucontext) ctx->ucontext = calloc(1, sizeof(ucontext_t));
    ucontext_t* uc = (ucontext_t*)ctx->ucontext;
    getcontext(uc);
    uc->uc_stack.ss_sp = stack;
    uc->uc_stack.ss_size = size;
    uc->uc_link = nullptr;
    makecontext(uc, (void (*)())entry, 1, arg);  // one pointer argument: fine on LP64 glibc targets
    ctx->stack_bottom = stack;
    ctx->stack_size = size;
}

static void raw_switch(FiberContext* from, FiberContext* to) {
    if (!from->ucontext) from->ucontext = calloc(1, sizeof(ucontext_t));
    swapcontext((ucontext_t*)from->ucontext, (ucontext_t*)to->ucontext);
}
#endif

void fiber_switch(FiberContext* from, FiberContext* to, bool from_is_done) {
#ifdef SIMT_ASAN
    __sanitizer_start_switch_fiber(from_is_done ? nullptr : &from->asan_fake_stack, to->stack_bottom, to->stack_size);
#else
    (void)from_is_done;
#endif
    raw_switch(from, to);
#ifdef SIMT_ASAN
    __sanitizer_finish_switch_fiber(from->asan_fake_stack, nullptr, nullptr);
#endif
}

void fiber_started(FiberContext* from) {
#ifdef SIMT_ASAN
    const void* bottom = nullptr;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(nullptr, &bottom, &size);
    from->stack_bottom = bottom;
    from->stack_size = size;
#else
    (void)from;
#endif
}

FiberStack::FiberStack(size_t bytes) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = kFiberStackAlign;
    while (span < bytes + 2 * page) span *= 2;
    // aligned to its (power-of-two) size, so fiber_slot() finds the slot from any address on it
    mapped = 2 * span;
    base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        fprintf(stderr, "simt: cannot map a %zu-byte fiber stack\n", mapped);
        abort();
    }
    char* aligned = (char*)(((uintptr_t)base + span - 1) & ~(uintptr_t)(span - 1));
    if (span != kFiberStackAlign) {
        fprintf(stderr, "simt: fiber stacks of %zu bytes exceed the %zu-byte alignment unit\n", bytes, kFiberStackAlign);
        abort();
    }
    // keep only the aligned span
    if (aligned > (char*)base) munmap(base, (size_t)(aligned - (char*)base));
    char* end = (char*)base + mapped;
    if (end > aligned + span) munmap(aligned + span, (size_t)(end - (aligned + span)));
    base = aligned;
    mapped = span;
    slot = (void**)aligned;                        // first page: the slot, then the guard page
    mprotect(aligned + page, page, PROT_NONE);     // stacks grow down into the guard page
    stack = aligned + 2 * page;
    size = span - 2 * page;
}

FiberStack::~FiberStack() {
    if (base) munmap(base, mapped);
}

}  // namespace simt
