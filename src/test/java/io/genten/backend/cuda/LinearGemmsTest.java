package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.testing.Assertions2;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cuBLAS parameters of the linear layer's three products, run through a column-major SGEMM
 * written in Java (cuBLAS's semantics, including its leading-dimension rules) and compared with
 * the row-major products: catches a transposition or leading-dimension mistake without a GPU.
 */
class LinearGemmsTest {
    private static final long X = 1, W = 2, Y = 3;

    /** cuBLAS's column-major C = op(A) op(B) over "device memory" given as arrays by address. */
    static void sgemm(LinearGemms.Call g, Map<Long, float[]> mem) {
        assertTrue(g.lda() >= Math.max(1, g.transA() ? g.k() : g.m()), "lda " + g);
        assertTrue(g.ldb() >= Math.max(1, g.transB() ? g.n() : g.k()), "ldb " + g);
        assertTrue(g.ldc() >= Math.max(1, g.m()), "ldc " + g);
        float[] a = mem.get(g.a()), b = mem.get(g.b()), c = mem.get(g.c());
        for (int j = 0; j < g.n(); j++) {
            for (int i = 0; i < g.m(); i++) {
                double s = 0;
                for (int p = 0; p < g.k(); p++) {
                    float av = g.transA() ? a[p + i * g.lda()] : a[i + p * g.lda()];
                    float bv = g.transB() ? b[j + p * g.ldb()] : b[p + j * g.ldb()];
                    s += (double) av * bv;
                }
                c[i + j * g.ldc()] = (float) s;
            }
        }
    }

    private static float[] random(Random r, int n) {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    @Test void rowMajorProductsThroughColumnMajorGemm() {
        var r = new Random(3);
        int[][] cases = {{1, 1, 1}, {5, 7, 3}, {4, 100, 12}, {1, 7, 3}, {3, 1, 5}, {6, 5, 1}, {9, 33, 17}};
        for (var c : cases) {
            int n = c[0], in = c[1], out = c[2];
            float[] x = random(r, n * in), w = random(r, out * in), dy = random(r, n * out);
            var y = new float[n * out];
            var ref = new float[n * out];
            for (int i = 0; i < n; i++) {
                for (int o = 0; o < out; o++) {
                    double s = 0;
                    for (int p = 0; p < in; p++) s += (double) x[i * in + p] * w[o * in + p];
                    ref[i * out + o] = (float) s;
                }
            }
            sgemm(LinearGemms.forward(n, in, out, X, W, Y), Map.of(X, x, W, w, Y, y));
            Assertions2.assertClose("forward " + java.util.Arrays.toString(c), y, ref, 1e-6);

            var dx = new float[n * in];
            var refDx = new float[n * in];
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < in; p++) {
                    double s = 0;
                    for (int o = 0; o < out; o++) s += (double) dy[i * out + o] * w[o * in + p];
                    refDx[i * in + p] = (float) s;
                }
            }
            sgemm(LinearGemms.backwardData(n, in, out, X, W, Y), Map.of(X, dy, W, w, Y, dx));
            Assertions2.assertClose("backward data " + java.util.Arrays.toString(c), dx, refDx, 1e-6);

            var dw = new float[out * in];
            var refDw = new float[out * in];
            for (int o = 0; o < out; o++) {
                for (int p = 0; p < in; p++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += (double) dy[i * out + o] * x[i * in + p];
                    refDw[o * in + p] = (float) s;
                }
            }
            sgemm(LinearGemms.backwardWeight(n, in, out, X, W, Y), Map.of(X, dy, W, x, Y, dw));
            Assertions2.assertClose("backward weight " + java.util.Arrays.toString(c), dw, refDw, 1e-6);
        }
    }
}
