package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native GEMMs survive a sampling profiler. oneDNN before 3.11.2 pointed rsp into the heap
 * inside its JIT GEMM kernels (uxlfoundation/oneDNN#4845), so a signal delivered there (JFR's and
 * async-profiler's samplers suspend threads with signals) wrote its frame over malloc's
 * bookkeeping and the JVM died in free() ("corrupted size vs. prev_size"): with 3.11.0 this
 * child died within 2 s in each of 3 runs (-Ddnnl.version=3.11-1.5.13). In a child JVM, so that a
 * crash is a failed assertion with the child's output rather than a lost test fork.
 */
class GemmUnderProfilerTest {
    @TempDir Path dir;

    /** The child: GEMMs on each native library for a few seconds while JFR samples every millisecond. */
    public static void main(String[] args) throws Exception {
        long seconds = Long.parseLong(args[0]);
        try (var recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
            recording.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(1));
            recording.start();
            for (var name : List.of("onednn", "openblas")) {
                var gemm = Gemm.named(name);
                if (!gemm.usesBlas()) throw new IllegalStateException(name + " did not load: " + gemm.describe());
                int m = 128, n = 196, k = 1600; // a DCGAN layer's shape: oneDNN's no-copy JIT kernel
                float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                java.util.Arrays.fill(a, 0.5f);
                java.util.Arrays.fill(b, 0.25f);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                int calls = 0;
                while (System.nanoTime() < end) {
                    gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
                    if (++calls % 50 == 0) { var churn = new byte[1 << 16]; churn[0] = 1; } // malloc and GC traffic beside it
                }
                if (c[0] != 0.125f * k) throw new AssertionError(name + ": c[0] = " + c[0]);
                System.out.println(name + " ok after " + calls + " calls");
            }
        }
    }

    @Test void nativeGemmsSurviveJfrSampling() throws Exception {
        var log = dir.resolve("child.txt");
        var cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), GemmUnderProfilerTest.class.getName(), "4");
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
        var out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("onednn ok after") && out.contains("openblas ok after"), out);
    }
}
