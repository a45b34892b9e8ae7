package io.genten.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** Splits independent work (batch items, channels) over the common fork-join pool. */
public final class Parallel {
    private Parallel() {}

    public static int threads() { return ForkJoinPool.getCommonPoolParallelism() + 1; }

    /** Runs body(i) for i in [0, n), in parallel when n and the per-item work make it pay. */
    public static void forEach(int n, long workPerItem, IntConsumer body) {
        if (n <= 1 || (long) n * workPerItem < 32_768 || threads() == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }
}
