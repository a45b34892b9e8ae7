package io.genten.backend.cpu;

/**
 * Row-major SGEMM, {@code C = alpha op(A) op(B) + beta C}: OpenBLAS when it loads, else the
 * plain-Java {@link #sgemmReference reference}; {@code -Dgenten.cpu.blas=java} forces the latter.
 *
 * <p>Threading: OpenBLAS is set single-threaded and the callers parallelize over independent
 * work themselves (conv over the batch, {@link #sgemmParallel} over blocks of C). Measured on the
 * 2-core build machine for the DCGAN/VAE conv layers at batch 64 (see ConvBench): per-image
 * single-threaded GEMMs split over the batch were as fast or faster than one batched
 * multi-threaded GEMM, because the per-image im2col/col2im (a large part of each layer) then runs
 * in parallel too and needs only one image of scratch per thread, and OpenBLAS's own threading
 * pays only above a few hundred MFLOP per call, which most of these layers are not.
 */
final class Gemm {
    private Gemm() {}

    private static final OpenBlas BLAS;
    private static final String FALLBACK_REASON;

    static {
        OpenBlas blas = null;
        String reason = null;
        if ("java".equalsIgnoreCase(System.getProperty("genten.cpu.blas", ""))) {
            reason = "-Dgenten.cpu.blas=java";
        } else {
            try {
                blas = OpenBlas.load();
            } catch (Throwable t) { // UnsatisfiedLinkError, missing symbol, native access denied: fall back, say why
                reason = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        BLAS = blas;
        FALLBACK_REASON = reason;
    }

    static boolean usesBlas() { return BLAS != null; }

    /** For benchmarks only: lets OpenBLAS itself use more threads (every other caller expects 1). */
    static void setBlasThreadsForBenchmark(int threads) {
        if (BLAS != null) BLAS.setThreads(threads);
    }

    static String describe() {
        return BLAS != null
                ? BLAS.version() + " (single-threaded calls, " + Parallel.threads() + " threads over batch/blocks)"
                : "Java GEMM (OpenBLAS unavailable: " + FALLBACK_REASON + ")";
    }

    /** C (m x n) = alpha op(A) op(B) + beta C; op(A) is m x k, op(B) k x n; beta 0 ignores C's old values. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) return;
        if (BLAS != null) BLAS.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        else reference(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Same as {@link #sgemm}, always in plain Java (the reference, and the fallback). */
    static void sgemmReference(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                               float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        reference(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * {@link #sgemm} split into independent blocks of rows (or columns, whichever C has more of)
     * over {@link Parallel}: for one big GEMM such as a linear layer.
     */
    static void sgemmParallel(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        int threads = Parallel.threads();
        long flops = 2L * m * n * k;
        if (threads == 1 || flops < 4_000_000 || Math.max(m, n) < 2 * threads) {
            sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        boolean byRows = m >= n;
        int extent = byRows ? m : n;
        int blocks = Math.min(extent, threads);
        Parallel.forEach(blocks, flops / blocks, blk -> {
            int lo = (int) ((long) extent * blk / blocks), hi = (int) ((long) extent * (blk + 1) / blocks);
            if (byRows) {
                int aStart = aOff + (transA ? lo : lo * lda);
                sgemm(transA, transB, hi - lo, n, k, alpha, a, aStart, lda, b, bOff, ldb, beta, c, cOff + lo * ldc, ldc);
            } else {
                int bStart = bOff + (transB ? lo * ldb : lo);
                sgemm(transA, transB, m, hi - lo, k, alpha, a, aOff, lda, b, bStart, ldb, beta, c, cOff + lo, ldc);
            }
        });
    }

    private static void reference(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) c[ci + j] = beta == 0f ? 0f : beta * c[ci + j]; // beta 0: NaNs in C vanish, as BLAS
            if (alpha == 0f) continue;
            if (!transB) {
                // row of C += a(i,p) * row p of B: unit stride, vectorizable
                for (int p = 0; p < k; p++) {
                    float aip = alpha * (transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]);
                    int bp = bOff + p * ldb;
                    for (int j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
                }
            } else {
                for (int j = 0; j < n; j++) {
                    int bj = bOff + j * ldb;
                    float s = 0f;
                    if (transA) for (int p = 0; p < k; p++) s += a[aOff + p * lda + i] * b[bj + p];
                    else for (int p = 0; p < k; p++) s += a[aOff + i * lda + p] * b[bj + p];
                    c[ci + j] += alpha * s;
                }
            }
        }
    }

    private static void check(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("sgemm: negative size m=" + m + " n=" + n + " k=" + k);
        extent("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        extent("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        extent("C", c, cOff, ldc, m, n);
    }

    private static void extent(String name, float[] x, int off, int ld, int rows, int cols) {
        if (ld < Math.max(1, cols) || off < 0) {
            throw new IllegalArgumentException("sgemm: " + name + " is " + rows + "x" + cols + " but has leading dimension " + ld + " and offset " + off);
        }
        if (rows == 0 || cols == 0) return;
        long end = off + (long) (rows - 1) * ld + cols;
        if (end > x.length) {
            throw new IllegalArgumentException("sgemm: " + name + " (" + rows + "x" + cols + ", ld " + ld + ", offset " + off
                    + ") needs " + end + " floats but the array holds " + x.length);
        }
    }
}
