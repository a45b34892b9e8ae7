package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Device-side timing with CUDA events on the backend's stream, for benchmarks. */
public final class CudaTimer {
    private CudaTimer() {}

    /**
     * Total device time of {@code iterations} runs, measured between two events.
     *
     * @param iterations the number of runs
     * @param totalMs    their total time in milliseconds
     */
    public record Timing(int iterations, double totalMs) {
        /**
         * The mean time of one run.
         *
         * @return milliseconds
         */
        public double perIterationMs() { return totalMs / iterations; }
    }

    /**
     * Runs {@code body} {@code iterations} times between two events and waits for the end.
     *
     * @param backend    the backend whose stream is timed
     * @param iterations how many runs
     * @param body       the work
     * @return the timing
     */
    public static Timing time(CudaBackend backend, int iterations, Runnable body) {
        if (iterations < 1) throw new IllegalArgumentException("CudaTimer: iterations " + iterations + " must be >= 1");
        var stream = backend.stream();
        try (var arena = Arena.ofConfined()) {
            var a = arena.allocate(ADDRESS);
            var b = arena.allocate(ADDRESS);
            CudaStatus.check(Native.eventCreate(a), "CudaTimer", "(event create)");
            var start = a.get(ADDRESS, 0);
            MemorySegment end = MemorySegment.NULL;
            try {
                CudaStatus.check(Native.eventCreate(b), "CudaTimer", "(event create)");
                end = b.get(ADDRESS, 0);
                CudaStatus.check(Native.eventRecord(start, stream), "CudaTimer", "(record start)");
                for (int i = 0; i < iterations; i++) body.run();
                CudaStatus.check(Native.eventRecord(end, stream), "CudaTimer", "(record end)");
                backend.synchronize();
                var ms = arena.allocate(JAVA_FLOAT);
                CudaStatus.check(Native.eventElapsedMs(start, end, ms), "CudaTimer", "(elapsed)");
                return new Timing(iterations, ms.get(JAVA_FLOAT, 0));
            } finally {
                Native.eventDestroy(start);
                if (end.address() != 0) Native.eventDestroy(end);
            }
        }
    }
}
