package io.genten.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Splits independent work (batch items, channels) over the threads the current op may use: the
 * common pool for the shared {@link CpuBackend#get()}; the calling thread plus the helpers of a
 * {@link CpuBackend#withThreads} backend (bound in {@link #HELPERS} while its op runs on the
 * caller); the workers of a {@link CpuBackend#withPool} backend (whose ops run on that pool, where
 * parallel streams stay in the pool); or the caller alone for a single-threaded backend.
 */
public final class Parallel {
    private Parallel() {}

    /** Bound while an op of a single-threaded {@link CpuBackend} runs on the caller's thread. */
    static final ScopedValue<Boolean> SERIAL = ScopedValue.newInstance();

    /**
     * Bound while an op of a {@link CpuBackend#withThreads} backend runs on the caller's thread:
     * the pool of helpers that joins the caller in {@link #forEach}. The caller works too, so an op
     * costs no hand-off to another thread and back (two wake-ups, tens of microseconds each, per op:
     * a tenth of a VAE step at batch 64 on two threads).
     */
    static final ScopedValue<ForkJoinPool> HELPERS = ScopedValue.newInstance();

    /**
     * The threads the current op may use.
     *
     * @return 1 for a single-threaded backend, the caller plus its helpers, the pool's parallelism
     *         inside a fork-join worker, else the common pool's parallelism plus the calling thread
     */
    public static int threads() {
        if (SERIAL.isBound()) return 1;
        var pool = ForkJoinTask.getPool();
        if (pool != null && pool != ForkJoinPool.commonPool()) return pool.getParallelism();
        if (HELPERS.isBound()) return HELPERS.get().getParallelism() + 1;
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    /**
     * Runs body(i) for i in [0, n), in parallel when n and the per-item work make it pay.
     *
     * @param n           the number of independent items
     * @param workPerItem a rough cost per item (e.g. multiply-adds), to skip threading small work
     * @param body        the work for item i; must not depend on the order of items or on the thread
     */
    public static void forEach(int n, long workPerItem, IntConsumer body) {
        if (n <= 1 || (long) n * workPerItem < 32_768 || threads() == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
        } else if (HELPERS.isBound() && ForkJoinTask.getPool() == null) {
            withHelpers(HELPERS.get(), n, body);
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }

    /** The caller and up to n - 1 helpers take items from one counter until none are left. */
    private static void withHelpers(ForkJoinPool helpers, int n, IntConsumer body) {
        var next = new AtomicInteger();
        Runnable drain = () -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) body.accept(i);
        };
        var tasks = new ForkJoinTask<?>[Math.min(n - 1, helpers.getParallelism())];
        for (int h = 0; h < tasks.length; h++) tasks[h] = helpers.submit(drain);
        try {
            drain.run();
        } finally {
            // wait for the helpers even when the caller's share threw: they write into the op's arrays
            RuntimeException first = null;
            for (var t : tasks) {
                try {
                    t.join();
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            if (first != null) throw first;
        }
    }
}
