package io.genten.backend.cpu;

import java.util.Arrays;
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
        Thread.ofPlatform().daemon().name("genten-blas-load").start(() -> {
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
    private interface LibraryLoad { NativeBlas load() throws Throwable; }

    /** Loads one library, or returns why not (logged, unless another library comes next). */
    private static Loaded loadOrExplain(LibraryLoad loader, String name, String next) {
        try {
            var blas = loader.load();
            firstCall(blas, name);
            return new Loaded(blas, null);
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

    /**
     * One small product, checked against the Java path, on the loading thread: a library that
     * computes wrongly is not used (as libtorch's CPU convolutions computed wrong gradients on one
     * of our machines). The first call's one-time set-up (oneDNN generates its GEMM kernels then,
     * ~50 ms) moves to the loading thread with it; the time to the first training step did not
     * measurably change (DCGAN, 2 threads, medians of 6: 1.59 s before, 1.62 s after).
     */
    private static void firstCall(NativeBlas blas, String name) {
        int m = 3, n = 5, k = 4;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n], expected = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = i - 5;
        for (int i = 0; i < b.length; i++) b[i] = 0.5f * i - 3;
        reference(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);
        blas.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        if (!Arrays.equals(c, expected)) { // small integers and halves: every library gives them exactly
            throw new WrongResult(name + " computed a 3x4 by 4x5 product wrongly: " + Arrays.toString(c)
                    + ", expected " + Arrays.toString(expected));
        }
    }

    /** A native library that loaded but computed a known product wrongly. */
    static final class WrongResult extends IllegalStateException {
        WrongResult(String message) { super(message); }
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
        if (k == 0) { // an empty product: C = beta C on every path (dnnl_sgemm would leave C as it is)
            scaleByBeta(m, n, beta, c, cOff, ldc);
            return;
        }
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

    /** Columns of C per tile in the Java path: four 256-float accumulator rows stay in L1 while k rows of B stream past. */
    private static final int TILE_COLUMNS = 256;

    /**
     * The Java path. Every array the inner loop touches is indexed by the same {@code j} from 0:
     * four accumulator rows of their own and a copy of B's row in this column tile. C2 (JDK 25)
     * vectorizes {@code x[j] += a * y[j]} when x and y might be one array (Java arrays are the same
     * or disjoint, never shifted), but not four rows of C at different offsets in one array (they
     * might overlap within a vector): that form ran at 6-8 GFLOP/s here, this one at 4-5x that.
     */
    private static void reference(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        scaleByBeta(m, n, beta, c, cOff, ldc);
        if (alpha == 0f || k == 0 || m == 0 || n == 0) return;
        int width = Math.min(TILE_COLUMNS, n);
        var panel = new float[k][width]; // op(B)'s rows restricted to one column tile, each from index 0
        float[] acc0 = new float[width], acc1 = new float[width], acc2 = new float[width], acc3 = new float[width];
        for (int j0 = 0; j0 < n; j0 += width) {
            int jn = Math.min(width, n - j0);
            for (int p = 0; p < k; p++) {
                float[] row = panel[p];
                if (transB) {
                    for (int j = 0; j < jn; j++) row[j] = b[bOff + (j0 + j) * ldb + p];
                } else {
                    System.arraycopy(b, bOff + p * ldb + j0, row, 0, jn);
                }
            }
            for (int i0 = 0; i0 < m; i0 += 4) {
                int rows = Math.min(4, m - i0);
                java.util.Arrays.fill(acc0, 0f);
                java.util.Arrays.fill(acc1, 0f);
                java.util.Arrays.fill(acc2, 0f);
                java.util.Arrays.fill(acc3, 0f);
                for (int p = 0; p < k; p++) {
                    float a0 = element(a, aOff, lda, transA, i0, p);
                    float a1 = rows > 1 ? element(a, aOff, lda, transA, i0 + 1, p) : 0f;
                    float a2 = rows > 2 ? element(a, aOff, lda, transA, i0 + 2, p) : 0f;
                    float a3 = rows > 3 ? element(a, aOff, lda, transA, i0 + 3, p) : 0f;
                    axpy4(a0, a1, a2, a3, panel[p], acc0, acc1, acc2, acc3, jn);
                }
                for (int r = 0; r < rows; r++) {
                    float[] acc = r == 0 ? acc0 : r == 1 ? acc1 : r == 2 ? acc2 : acc3;
                    int cr = cOff + (i0 + r) * ldc + j0;
                    for (int j = 0; j < jn; j++) c[cr + j] += alpha * acc[j];
                }
            }
        }
    }

    /**
     * acc_r[j] += a_r * row[j] for the four rows: a method of its own, so that C2 compiles (and
     * vectorizes) it once for every caller's shapes instead of inside one caller's loop nest.
     */
    private static void axpy4(float a0, float a1, float a2, float a3, float[] row,
                              float[] acc0, float[] acc1, float[] acc2, float[] acc3, int n) {
        for (int j = 0; j < n; j++) {
            float bv = row[j];
            acc0[j] += a0 * bv;
            acc1[j] += a1 * bv;
            acc2[j] += a2 * bv;
            acc3[j] += a3 * bv;
        }
    }

    /** C = beta C; beta 0 writes zeros, so that NaNs in C vanish, as in BLAS. */
    private static void scaleByBeta(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) c[ci + j] = beta == 0f ? 0f : beta * c[ci + j];
        }
    }

    /** op(A)[i][p]. */
    private static float element(float[] a, int aOff, int lda, boolean transA, int i, int p) {
        return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
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
