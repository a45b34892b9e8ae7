package io.genten.bench;

import io.genten.backend.cpu.CpuBackend;
import java.lang.management.ManagementFactory;

/**
 * Training steps on one CPU thread, timed by the CPU time the JVM's threads used (not the wall
 * clock): on a machine shared with other jobs, wall time measures the load, CPU time still
 * compares two builds of the CPU backend (it rises somewhat with the load too, through shared
 * caches and hyperthreads, so compare builds in the same minutes, alternately).
 *
 * <pre>java -cp benchmarks.jar io.genten.bench.StepCpuTime vae,dcgan 64,256 5</pre>
 */
public final class StepCpuTime {
    private StepCpuTime() {}

    /**
     * Prints the minimum and median CPU milliseconds per step after two warm-up steps.
     *
     * @param a models (vae,dcgan), batches (64,256), timed steps
     */
    public static void main(String[] a) {
        if (a.length != 3) {
            System.err.println("usage: StepCpuTime vae,dcgan 64,256 STEPS");
            System.exit(2);
        }
        var mx = ManagementFactory.getThreadMXBean();
        try (var backend = CpuBackend.withThreads(1)) {
            run(mx, backend, a);
        }
    }

    private static void run(java.lang.management.ThreadMXBean mx, CpuBackend backend, String[] a) {
        for (String model : a[0].split(",")) for (String b : a[1].split(",")) {
            int batch = Integer.parseInt(b), steps = Integer.parseInt(a[2]);
            try (var step = TrainSteps.create(model, "eager", backend, batch, 1)) {
                for (int i = 0; i < 2; i++) step.step();
                long[] t = new long[steps];
                for (int i = 0; i < steps; i++) {
                    long c0 = cpu(mx);
                    step.step();
                    t[i] = cpu(mx) - c0;
                }
                java.util.Arrays.sort(t);
                System.out.printf("%s %d: cpu ms/step min %.1f median %.1f -> %.0f images/s per core%n", model, batch, t[0] / 1e6, t[steps / 2] / 1e6, batch / (t[0] / 1e9));
            }
        }
    }

    /** CPU nanoseconds of all live threads (JIT and GC included; the minimum over steps drops their spikes). */
    private static long cpu(java.lang.management.ThreadMXBean mx) {
        long s = 0;
        for (long id : mx.getAllThreadIds()) { long c = mx.getThreadCpuTime(id); if (c > 0) s += c; }
        return s;
    }
}
