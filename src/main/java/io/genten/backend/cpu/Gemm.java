package io.genten.backend.cpu;

import java.util.concurrent.CompletableFuture;

/**
 * Row-major SGEMM, {@code C = alpha op(A) op(B) + beta C}: oneDNN's when it loads, else
 * OpenBLAS's, else the plain-Java {@link #sgemmReference reference}; {@code -Dgenten.cpu.blas=}
 * {@code onednn}, {@code openblas} or {@code java} asks for one (a named library that does not
 * load falls back to the Java path, with the reason).
 *
 * <p>Threading: the native library is set single-threaded and the callers parallelize over
 * independent work themselves (conv over chunks of the batch, {@link #sgemmParallel} over blocks of C).
 * Measured (ConvBench, batch 64, 2 cores shared with other jobs, forward, preallocated scratch),
 * ours vs im2col of the whole batch plus one GEMM on 2 OpenBLAS threads, over 5 runs:
 * conv 64->128 5x5 s2 @14: 9.5-47 vs 13.5-112 ms (ours faster in every run);
 * conv 128->256 5x5 s1 @7: 50-112 vs 48-323 ms (ours faster in 4 of 5);
 * conv 64->32 3x3 s1 @28: 16-68 vs 28-126 ms (every run); conv 32->64 3x3 s2 @14: 1.2-3.1 vs
 * 1.6-3.3 ms (3 of 5). Why: the im2col/col2im and gather/scatter passes
 * (a large share of each layer) then run in parallel too, only one group of images needs
 * scratch per thread, and the GEMMs are too small for the library's own threading to pay.
 */
final class Gemm {
    /**
     * What CpuBackend.get() runs: OpenBLAS when it loads (unless {@code -Dgenten.cpu.blas=java}),
     * else the Java path with the reason recorded. Loading OpenBLAS through JavaCPP costs about
     * 0.2 s of CPU (its JNI bridge, which we do not call, loads too), a fifth of a second-long
     * budget to the first training step: it starts on a background thread when this class is first
     * used (creating any CPU backend), so that it overlaps building the model and loading data,
     * and the first GEMM waits for it.
     */
    static final Gemm DEFAULT = new Gemm(loadInBackground());

    /** Always the plain-Java path: what every machine without OpenBLAS runs; tests take it by name. */
    static final Gemm JAVA = new Gemm(CompletableFuture.completedFuture(new Loaded(null, "the Java path was chosen explicitly")));

    /** The outcome of loading: the library, or why there is none. */
    private record Loaded(NativeBlas blas, String fallbackReason) {}

    private final CompletableFuture<Loaded> loading;
    /** loading's value once joined: the hot path reads one field. */
    private volatile Loaded loaded;

    private Gemm(CompletableFuture<Loaded> loading) {
        this.loading = loading;
    }

    private static CompletableFuture<Loaded> loadInBackground() {
        var future = new CompletableFuture<Loaded>();
        Thread.ofPlatform().daemon().name("genten-openblas-load").start(() -> {
            try {
                future.complete(load());
            } catch (Throwable t) { // load() catches its own failures; anything else must not leave the future pending
                future.complete(new Loaded(null, BlasFallback.explain(t, "the native GEMM")));
            }
        });
        return future;
    }

    /** A Gemm on the named library ("onednn", "openblas", "java"; "" = the default order), loaded now: tests compare them. */
    static Gemm named(String choice) {
        return new Gemm(CompletableFuture.completedFuture(load(choice)));
    }

    private static Loaded load() {
        return load(System.getProperty("genten.cpu.blas", ""));
    }

    private static Loaded load(String property) {
        String choice = property.toLowerCase(java.util.Locale.ROOT);
        return switch (choice) {
            case "java" -> new Loaded(null, "-Dgenten.cpu.blas=java");
            case "onednn" -> loadOrExplain(OnednnBlas::load, "oneDNN", null);
            case "openblas" -> loadOrExplain(OpenBlas::load, "OpenBLAS", null);
            case "" -> {
                var onednn = loadOrExplain(OnednnBlas::load, "oneDNN", "OpenBLAS");
                yield onednn.blas() != null ? onednn : withEarlier(loadOrExplain(OpenBlas::load, "OpenBLAS", null), onednn);
            }
            default -> throw new IllegalArgumentException("-Dgenten.cpu.blas=" + choice + ": expected onednn, openblas or java");
        };
    }

    @FunctionalInterface
    private interface Loader { NativeBlas load() throws Throwable; }

    /** Loads one library, or returns why not (logged, unless another library comes next). */
    private static Loaded loadOrExplain(Loader loader, String name, String next) {
        try {
            return new Loaded(loader.load(), null);
        } catch (Throwable t) { // UnsatisfiedLinkError, missing symbol, native access denied: fall back, say why
            String reason = name + " did not load: " + BlasFallback.explain(t, name);
            if (next == null) {
                System.getLogger("io.genten").log(System.Logger.Level.WARNING,
                        "the CPU backend runs its GEMMs in plain Java, several times slower: " + reason);
            } else {
                System.getLogger("io.genten").log(System.Logger.Level.DEBUG, reason + "; trying " + next);
            }
            return new Loaded(null, reason);
        }
    }

    private static Loaded withEarlier(Loaded last, Loaded earlier) {
        return last.blas() != null ? last : new Loaded(null, earlier.fallbackReason() + "; " + last.fallbackReason());
    }

    private Loaded loaded() {
        var l = loaded;
        if (l == null) loaded = l = loading.join();
        return l;
    }

    boolean usesBlas() { return loaded().blas() != null; }

    /** For benchmarks only: lets the native library itself use more threads (every other caller expects 1). */
    void setBlasThreadsForBenchmark(int threads) {
        var blas = loaded().blas();
        if (blas != null) blas.setThreads(threads);
    }

    String describe() {
        var l = loaded();
        return l.blas() != null
                ? l.blas().version() + " (single-threaded calls, the backend's threads over batch/blocks)"
                : "Java GEMM (no native BLAS: " + l.fallbackReason() + ")";
    }

    /** C (m x n) = alpha op(A) op(B) + beta C; op(A) is m x k, op(B) k x n; beta 0 ignores C's old values. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
               float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) return;
        var blas = loaded().blas();
        if (blas != null) blas.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        else reference(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Same as {@link #sgemm}, always in plain Java (the reference, and the fallback). */
    static void sgemmReference(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                               float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        reference(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Blocks {@link #sgemmParallel} cuts a big GEMM into, whatever the thread count. */
    private static final int PARALLEL_BLOCKS = 8;
    /** Rows (or columns) below which a block is not worth its own call. */
    private static final int MIN_BLOCK_EXTENT = 16;

    /**
     * {@link #sgemm} split into independent blocks of rows (or columns, whichever C has more of)
     * over {@link Parallel}: for one big GEMM such as a linear layer. The blocks depend on the
     * problem only, never on the thread count: oneDNN's kernels sum in an order that depends on
     * the block's shape, so a split per thread would give other bits at another thread count.
     */
    void sgemmParallel(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                       float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        long flops = 2L * m * n * k;
        boolean byRows = m >= n;
        int extent = byRows ? m : n;
        int blocks = Math.min(PARALLEL_BLOCKS, extent / MIN_BLOCK_EXTENT);
        if (flops < 4_000_000 || blocks <= 1) {
            sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
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

    /** Columns of C per tile in the Java path: a 4 x 256 tile of C stays in L1 while k rows of B stream past. */
    private static final int TILE_COLUMNS = 256;

    private static void reference(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) c[ci + j] = beta == 0f ? 0f : beta * c[ci + j]; // beta 0: NaNs in C vanish, as BLAS
        }
        if (alpha == 0f || k == 0 || m == 0 || n == 0) return;
        if (transB) {
            // op(B) copied out as k x n rows, so that the kernel below always streams unit-stride rows
            float[] bt = new float[k * n];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) bt[p * n + j] = b[bOff + j * ldb + p];
            b = bt;
            bOff = 0;
            ldb = n;
        }
        float[] ar = new float[4];
        for (int i0 = 0; i0 < m; i0 += 4) {
            int rows = Math.min(4, m - i0);
            for (int j0 = 0; j0 < n; j0 += TILE_COLUMNS) {
                int jn = Math.min(TILE_COLUMNS, n - j0);
                int c0 = cOff + i0 * ldc + j0;
                for (int p = 0; p < k; p++) {
                    for (int r = 0; r < rows; r++) ar[r] = alpha * (transA ? a[aOff + p * lda + i0 + r] : a[aOff + (i0 + r) * lda + p]);
                    int bp = bOff + p * ldb + j0;
                    if (rows == 4) {
                        float a0 = ar[0], a1 = ar[1], a2 = ar[2], a3 = ar[3];
                        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
                        for (int j = 0; j < jn; j++) {
                            float bv = b[bp + j];
                            c[c0 + j] += a0 * bv;
                            c[c1 + j] += a1 * bv;
                            c[c2 + j] += a2 * bv;
                            c[c3 + j] += a3 * bv;
                        }
                    } else {
                        for (int r = 0; r < rows; r++) {
                            float av = ar[r];
                            int cr = c0 + r * ldc;
                            for (int j = 0; j < jn; j++) c[cr + j] += av * b[bp + j];
                        }
                    }
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
