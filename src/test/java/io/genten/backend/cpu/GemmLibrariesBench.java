package io.genten.backend.cpu;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * Prints GFLOP/s of each GEMM library (oneDNN, OpenBLAS, the Java path) on one thread at the
 * GEMM shapes the DCGAN's and VAE's convs and linears produce at batch 64 (a printout, not a
 * test). Timed by the thread's CPU time, minimum over repetitions, so a shared machine still
 * compares the libraries; run it under {@code OPENBLAS_CORETYPE=SKYLAKEX} too on an AVX-512 CPU
 * that OpenBLAS cannot name. Run: java -cp target/classes:target/test-classes:$(deps)
 * io.genten.backend.cpu.GemmLibrariesBench [reps=30] [java]
 */
public final class GemmLibrariesBench {
    private GemmLibrariesBench() {}

    /** m, n, k, transA, transB: row-major C (m x n) = op(A) op(B), as CpuConv and CpuLinear call it. */
    private static final int[][] SHAPES = {
        {128, 196, 1600, 0, 0}, {1600, 196, 128, 1, 0}, {128, 1600, 196, 0, 1}, // D conv 64->128 5x5 s2, 4 images per GEMM
        {64, 392, 25, 0, 0}, {64, 25, 392, 0, 1},                               // D conv 1->64
        {3200, 245, 256, 1, 0}, {256, 3200, 245, 0, 1},                        // G convT 256->128 5x5 s1, 5 images
        {64, 196, 288, 0, 0}, {288, 196, 64, 1, 0}, {64, 288, 196, 0, 1},      // VAE conv 32->64 3x3 s2
        {576, 196, 64, 1, 0}, {32, 784, 576, 0, 0},                            // VAE convT 64->64, 64->32
        {64, 12544, 100, 0, 1}, {12544, 100, 64, 1, 0}, {64, 32, 3136, 0, 1},  // linears: G fc, its weight gradient, VAE mu
    };

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        boolean withJava = args.length > 1 && args[1].equals("java");
        var libraries = withJava ? new String[] {"onednn", "openblas", "java"} : new String[] {"onednn", "openblas"};
        var gemms = new Gemm[libraries.length];
        for (int i = 0; i < libraries.length; i++) {
            gemms[i] = Gemm.named(libraries[i]);
            System.out.println(libraries[i] + ": " + gemms[i].describe());
        }
        var mx = ManagementFactory.getThreadMXBean();
        var random = new SplittableRandom(1);
        System.out.printf("%-24s", "m x n x k, op");
        for (var l : libraries) System.out.printf(" %14s", l + " GF/s");
        System.out.println();
        for (var s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            boolean ta = s[3] == 1, tb = s[4] == 1;
            float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
            for (int i = 0; i < a.length; i++) a[i] = (float) random.nextDouble(-1, 1);
            for (int i = 0; i < b.length; i++) b[i] = (float) random.nextDouble(-1, 1);
            System.out.printf("%-24s", m + "x" + n + "x" + k + " " + (ta ? "T" : "N") + (tb ? "T" : "N"));
            for (var gemm : gemms) {
                long best = Long.MAX_VALUE;
                for (int r = 0; r < reps; r++) {
                    long t0 = mx.getCurrentThreadCpuTime();
                    gemm.sgemm(ta, tb, m, n, k, 1f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0f, c, 0, n);
                    long t = mx.getCurrentThreadCpuTime() - t0;
                    if (r >= 3 && t > 0) best = Math.min(best, t);
                }
                System.out.printf(" %14.1f", 2.0 * m * n * k / best);
            }
            System.out.println();
        }
    }
}
