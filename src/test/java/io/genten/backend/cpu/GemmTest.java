package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.testing.Assertions2;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GemmTest {

    /** Which implementation a case runs: Gemm.sgemm (oneDNN here), OpenBLAS (the fallback), the Java reference, the thread-split one. */
    enum Path { DEFAULT, OPENBLAS, JAVA, PARALLEL }

    private static final Gemm OPENBLAS = Gemm.named("openblas");

    private interface Sgemm {
        void call(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                  float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc);
    }

    private static Sgemm impl(Path p) {
        return switch (p) {
            case DEFAULT -> Gemm.DEFAULT::sgemm;
            case OPENBLAS -> OPENBLAS::sgemm;
            case JAVA -> Gemm::sgemmReference;
            case PARALLEL -> Gemm.DEFAULT::sgemmParallel;
        };
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /**
     * One case with padded leading dimensions and offsets; checks C's block against a double loop
     * and that every element outside the block is untouched.
     */
    private static void check(Path path, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, long seed) {
        var r = new SplittableRandom(seed);
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + 3, ldb = bCols + 1, ldc = n + 2;
        int aOff = 5, bOff = 7, cOff = 3;
        float[] a = random(r, aOff + aRows * lda + 4), b = random(r, bOff + bRows * ldb + 2), c = random(r, cOff + m * ldc + 5);
        if (beta == 0f) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[cOff + i * ldc + j] = Float.NaN; // must be ignored
        float[] before = c.clone();
        impl(path).call(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        float[] got = new float[m * n], want = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                double old = beta == 0f ? 0 : before[cOff + i * ldc + j];
                want[i * n + j] = (float) (alpha * s + beta * old);
                got[i * n + j] = c[cOff + i * ldc + j];
                c[cOff + i * ldc + j] = before[cOff + i * ldc + j];
            }
        }
        String what = path + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " beta=" + beta;
        Assertions2.assertClose(what, got, want, 1e-5);
        for (int i = 0; i < c.length; i++) {
            if (Float.floatToRawIntBits(c[i]) != Float.floatToRawIntBits(before[i])) throw new AssertionError(what + ": wrote outside C at " + i);
        }
    }

    @Test void allTransposesOddSizesOffsetsBothPaths() {
        int[][] sizes = {{1, 1, 1}, {7, 13, 5}, {33, 17, 65}, {64, 49, 288}, {5, 130, 3}, {130, 3, 9}, {4, 4, 0}};
        long seed = 1;
        for (var path : Path.values())
            for (boolean ta : new boolean[] {false, true})
                for (boolean tb : new boolean[] {false, true})
                    for (var s : sizes)
                        for (float beta : new float[] {0f, 1f, -0.5f}) check(path, ta, tb, s[0], s[1], s[2], 0.75f, beta, seed++);
    }

    /** The Java path tiles C's columns 256 at a time: widths past one and two tiles, with 4-row blocks and a remainder. */
    @Test void javaPathBeyondOneColumnTile() {
        int[][] sizes = {{5, 257, 7}, {9, 300, 4}, {4, 513, 3}, {6, 768, 2}};
        long seed = 100;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true})
                for (var s : sizes)
                    for (float beta : new float[] {0f, 0.5f}) check(Path.JAVA, ta, tb, s[0], s[1], s[2], 1.25f, beta, seed++);
    }

    /** Empty products are valid on every path: m or n zero leaves C alone, k zero scales C by beta. */
    @Test void zeroSizesAreValid() {
        for (var path : Path.values()) {
            float[] a = {1, 2, 3, 4}, b = {5, 6, 7, 8}, c = {1, 1, 1, 1};
            impl(path).call(false, false, 0, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
            impl(path).call(false, false, 2, 0, 2, 1f, a, 0, 2, b, 0, 1, 0f, c, 0, 1);
            assertEquals(1f, c[0], path + ": an empty C is not written");
            impl(path).call(false, false, 2, 2, 0, 1f, a, 0, 1, b, 0, 2, 0.5f, c, 0, 2);
            assertEquals(0.5f, c[3], path + ": k = 0 leaves beta C");
        }
    }

    /** B's extent is checked like A's and C's: too short an array or too small a leading dimension, either transpose. */
    @Test void outOfBoundsBIsRejected() {
        float[] a = new float[6], c = new float[4];
        // op(B) is 3x2: stored 3x2 (ld >= 2) untransposed, 2x3 (ld >= 3) transposed; both need 6 floats at offset 0
        for (var path : Path.values()) {
            var gemm = impl(path);
            float[] b5 = new float[5], b6 = new float[6];
            var e = assertThrows(IllegalArgumentException.class, () -> gemm.call(false, false, 2, 2, 3, 1f, a, 0, 3, b5, 0, 2, 0f, c, 0, 2));
            assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("B"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> gemm.call(false, false, 2, 2, 3, 1f, a, 0, 3, b6, 1, 2, 0f, c, 0, 2)); // offset
            assertThrows(IllegalArgumentException.class, () -> gemm.call(false, false, 2, 2, 3, 1f, a, 0, 3, b6, 0, 1, 0f, c, 0, 2)); // ldb < n
            assertThrows(IllegalArgumentException.class, () -> gemm.call(false, true, 2, 2, 3, 1f, a, 0, 3, b5, 0, 3, 0f, c, 0, 2));
            assertThrows(IllegalArgumentException.class, () -> gemm.call(false, true, 2, 2, 3, 1f, a, 0, 3, b6, 0, 2, 0f, c, 0, 2)); // ldb < k
            assertThrows(IllegalArgumentException.class, () -> gemm.call(false, false, 2, 2, 3, 1f, a, 0, 3, b6, -1, 2, 0f, c, 0, 2));
            // the exact fit passes: 6 floats, either layout
            gemm.call(false, false, 2, 2, 3, 1f, a, 0, 3, b6, 0, 2, 0f, c, 0, 2);
            gemm.call(false, true, 2, 2, 3, 1f, a, 0, 3, b6, 0, 3, 0f, c, 0, 2);
        }
    }

    @Test void parallelSplitsBigProblemsByRowsAndColumns() {
        // big enough to be split (> 4 MFLOP): tall C (split by rows) and wide C (split by columns)
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                check(Path.PARALLEL, ta, tb, 301, 37, 257, 1f, 0f, 11);
                check(Path.PARALLEL, ta, tb, 37, 301, 257, 1f, 0.5f, 12);
            }
    }

    @Test void describeNamesTheImplementation() {
        String d = Gemm.DEFAULT.describe();
        if (Gemm.DEFAULT.usesBlas()) assertTrue(d.startsWith("oneDNN 3.") || d.startsWith("OpenBLAS"), d);
        else assertTrue(d.startsWith("Java GEMM (no native BLAS: "), d);
        assertFalse(d.contains("null"), d);
    }

    @Test void bothNativeLibrariesLoadHereUnlessForcedOff() {
        // the preset jars ship the libraries for linux-x86_64; elsewhere (or when forced) the Java path is expected
        boolean forcedJava = "java".equalsIgnoreCase(System.getProperty("genten.cpu.blas", ""));
        boolean linuxX64 = System.getProperty("os.name").toLowerCase().contains("linux") && System.getProperty("os.arch").contains("64");
        if (linuxX64 && !forcedJava) {
            assertTrue(Gemm.DEFAULT.usesBlas(), Gemm.DEFAULT.describe());
            assertTrue(Gemm.named("").describe().startsWith("oneDNN 3."), "oneDNN comes first: " + Gemm.named("").describe());
            assertTrue(OPENBLAS.describe().startsWith("OpenBLAS"), OPENBLAS.describe());
        }
        if (forcedJava) assertFalse(Gemm.DEFAULT.usesBlas(), Gemm.DEFAULT.describe());
        assertTrue(Gemm.named("java").describe().startsWith("Java GEMM (no native BLAS: -Dgenten.cpu.blas=java"), Gemm.named("java").describe());
        var e = assertThrows(IllegalArgumentException.class, () -> Gemm.named("mkl"));
        assertTrue(e.getMessage().contains("onednn, openblas or java"), e.getMessage());
    }

    @Test void outOfBoundsArgumentsAreRejectedBeforeNativeCode() {
        float[] a = new float[6], b = new float[6], c = new float[4];
        var e = assertThrows(IllegalArgumentException.class, () -> Gemm.DEFAULT.sgemm(false, false, 2, 2, 3, 1f, a, 1, 3, b, 0, 2, 0f, c, 0, 2));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("A"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.DEFAULT.sgemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2)); // lda < k
        assertThrows(IllegalArgumentException.class, () -> Gemm.DEFAULT.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 1, 2)); // C too short
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemmReference(true, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Gemm.DEFAULT.sgemm(false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
        assertEquals(0f, c[0]);
    }
}
