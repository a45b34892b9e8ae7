package io.genten.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Splits independent work (batch items, channels) over the fork-join pool the current op runs in:
 * the common pool for the shared {@link CpuBackend#get()}, the backend's own pool for
 * {@link CpuBackend#withPool} / {@link CpuBackend#withThreads} (whose ops run on that pool's
 * workers, where parallel streams stay in the pool), or none at all for a single-threaded backend.
 */
public final class Parallel {
    private Parallel() {}

    /** Bound while an op of a single-threaded {@link CpuBackend} runs on the caller's thread. */
    static final ScopedValue<Boolean> SERIAL = ScopedValue.newInstance();

    /**
     * The threads the current op may use.
     *
     * @return 1 for a single-threaded backend, the pool's parallelism inside a fork-join worker,
     *         else the common pool's parallelism plus the calling thread
     */
    public static int threads() {
        if (SERIAL.isBound()) return 1;
        var pool = ForkJoinTask.getPool();
        if (pool != null && pool != ForkJoinPool.commonPool()) return pool.getParallelism();
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    /**
     * Runs body(i) for i in [0, n), in parallel when n and the per-item work make it pay.
     *
     * @param n           the number of independent items
     * @param workPerItem a rough cost per item (e.g. multiply-adds), to skip threading small work
     * @param body        the work for item i; must not depend on the order of items
     */
    public static void forEach(int n, long workPerItem, IntConsumer body) {
        if (n <= 1 || (long) n * workPerItem < 32_768 || threads() == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }
}
