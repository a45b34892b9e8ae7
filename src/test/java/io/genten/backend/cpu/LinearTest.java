package io.genten.backend.cpu;

import static io.genten.backend.cpu.ConvReference.centralDifference;
import static io.genten.backend.cpu.ConvReference.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import org.junit.jupiter.api.Test;

class LinearTest {
    private final Backend cpu = CpuBackend.get();
    private long seed = 7;

    private Tensor randn(int... dims) { return Tensor.randn(seed++, 0, dims); }

    /** y = x w^T + b in double. */
    private static double[] reference(double[] x, double[] w, double[] b, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int p = 0; p < in; p++) s += x[i * in + p] * w[o * in + p];
                y[i * out + o] = s;
            }
        return y;
    }

    @Test void goldenLinear() {
        try (var g = Golden.op("linear")) {
            int cases = 0;
            for (var c : g.metadata().keySet()) {
                Tensor x = g.get(c + ".x"), w = g.get(c + ".w"), b = g.get(c + ".b"), dy = g.get(c + ".dy");
                try (var y = cpu.linearForward(x, w, b); var dx = cpu.linearBackwardData(dy, w);
                     var dw = cpu.linearBackwardWeight(dy, x); var db = cpu.biasGradient(dy)) {
                    Assertions2.assertClose("linear " + c + " y", y, g.get(c + ".y"), 1e-5);
                    Assertions2.assertClose("linear " + c + " dx", dx, g.get(c + ".dx"), 1e-5);
                    Assertions2.assertClose("linear " + c + " dw", dw, g.get(c + ".dw"), 1e-5);
                    Assertions2.assertClose("linear " + c + " db", db, g.get(c + ".db"), 1e-5);
                }
                cases++;
            }
            assertEquals(2, cases);
        }
    }

    @Test void forwardMatchesReferenceWithAndWithoutBias() {
        // the last two are big enough to be split over threads (by rows, then by columns)
        int[][] shapes = {{1, 1, 1}, {5, 7, 3}, {4, 100, 12}, {64, 100, 12544}, {64, 3136, 32}, {300, 257, 5}};
        for (var s : shapes)
            for (boolean withBias : new boolean[] {true, false}) {
                try (var x = randn(s[0], s[1]); var w = randn(s[2], s[1]); var b = withBias ? randn(s[2]) : null;
                     var y = cpu.linearForward(x, w, b)) {
                    double[] ref = reference(toDouble(x.toArray()), toDouble(w.toArray()), b == null ? null : toDouble(b.toArray()), s[0], s[1], s[2]);
                    assertEquals(Shape.of(s[0], s[2]), y.shape());
                    Assertions2.assertClose("linear " + java.util.Arrays.toString(s) + " bias=" + withBias, y.toArray(), ConvReference.toFloat(ref), 1e-5);
                }
            }
    }

    @Test void backwardMatchesFiniteDifferences() {
        int[][] shapes = {{3, 5, 4}, {1, 6, 2}, {6, 3, 7}};
        for (var s : shapes) {
            int n = s[0], in = s[1], out = s[2];
            try (var x = randn(n, in); var w = randn(out, in); var b = randn(out); var r = randn(n, out);
                 var dx = cpu.linearBackwardData(r, w); var dw = cpu.linearBackwardWeight(r, x); var db = cpu.biasGradient(r)) {
                double[] xd = toDouble(x.toArray()), wd = toDouble(w.toArray()), bd = toDouble(b.toArray()), rd = toDouble(r.toArray());
                java.util.function.DoubleSupplier loss = () -> ConvReference.dot(reference(xd, wd, bd, n, in, out), rd);
                String what = "linear backward " + java.util.Arrays.toString(s);
                Assertions2.assertClose(what + " dx", dx.toArray(), centralDifference(xd, loss), 1e-5);
                Assertions2.assertClose(what + " dw", dw.toArray(), centralDifference(wd, loss), 1e-5);
                Assertions2.assertClose(what + " db", db.toArray(), centralDifference(bd, loss), 1e-5);
            }
        }
    }

    @Test void bigBackwardMatchesReference() {
        // DCGAN generator fc shapes: large enough for the thread split
        int n = 64, in = 100, out = 12544;
        try (var x = randn(n, in); var w = randn(out, in); var dy = randn(n, out);
             var dx = cpu.linearBackwardData(dy, w); var dw = cpu.linearBackwardWeight(dy, x)) {
            float[] xs = x.toArray(), ws = w.toArray(), dys = dy.toArray();
            float[] wantDx = new float[n * in], wantDw = new float[out * in];
            for (int i = 0; i < n; i++)
                for (int p = 0; p < in; p++) {
                    double s = 0;
                    for (int o = 0; o < out; o++) s += (double) dys[i * out + o] * ws[o * in + p];
                    wantDx[i * in + p] = (float) s;
                }
            for (int o = 0; o < out; o++)
                for (int p = 0; p < in; p++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += (double) dys[i * out + o] * xs[i * in + p];
                    wantDw[o * in + p] = (float) s;
                }
            Assertions2.assertClose("linear dx big", dx.toArray(), wantDx, 1e-5);
            Assertions2.assertClose("linear dw big", dw.toArray(), wantDw, 1e-5);
        }
    }

    @Test void badInputGivesClearExceptions() {
        try (var x = randn(4, 5); var w = randn(3, 5); var wrongW = randn(3, 6); var rank3 = randn(4, 5, 1);
             var dy = randn(4, 3); var badDy = randn(4, 2); var otherBatch = randn(5, 5); var badBias = randn(4)) {
            assertMessage(() -> cpu.linearForward(x, wrongW, null), "linearForward", "[4, 5]", "[3, 6]");
            assertMessage(() -> cpu.linearForward(rank3, w, null), "linearForward", "[4, 5, 1]");
            assertMessage(() -> cpu.linearForward(x, w, badBias), "linearForward", "[4]");
            assertMessage(() -> cpu.linearBackwardData(badDy, w), "linearBackwardData", "[4, 2]", "[3, 5]");
            assertMessage(() -> cpu.linearBackwardWeight(dy, otherBatch), "linearBackwardWeight", "[4, 3]", "[5, 5]");
            assertMessage(() -> cpu.linearBackwardWeight(rank3, x), "linearBackwardWeight", "[4, 5, 1]");
        }
        var closed = randn(4, 5);
        closed.close();
        try (var w = randn(3, 5)) {
            var e = assertThrows(IllegalStateException.class, () -> cpu.linearForward(closed, w, null));
            assertTrue(e.getMessage().contains("linearForward"), e.getMessage());
        }
    }

    /** Each operand's rank is checked on its own: a rank-3 tensor with the right leading sizes would otherwise slip through. */
    @Test void everyOperandMustHaveRankTwo() {
        try (var x = randn(4, 5); var w = randn(3, 5); var dy = randn(4, 3);
             var x3 = randn(4, 5, 1); var w3 = randn(3, 5, 1); var dy3 = randn(4, 3, 1)) {
            assertMessage(() -> cpu.linearForward(x3, w, null), "linearForward", "x", "[4, 5, 1]");
            assertMessage(() -> cpu.linearForward(x, w3, null), "linearForward", "w", "[3, 5, 1]");
            assertMessage(() -> cpu.linearBackwardData(dy3, w), "linearBackwardData", "dy", "[4, 3, 1]");
            assertMessage(() -> cpu.linearBackwardData(dy, w3), "linearBackwardData", "w", "[3, 5, 1]");
            assertMessage(() -> cpu.linearBackwardWeight(dy3, x), "linearBackwardWeight", "dy", "[4, 3, 1]");
            assertMessage(() -> cpu.linearBackwardWeight(dy, x3), "linearBackwardWeight", "x", "[4, 5, 1]");
        }
    }

    /**
     * The Java GEMM under the linear layer (what runs without OpenBLAS), at sizes that take the
     * thread split by rows and by columns and more columns than one 256-wide tile.
     */
    @Test void javaGemmBackendMatchesTheReference() {
        var javaGemm = CpuBackend.withJavaGemm();
        int[][] shapes = {{5, 7, 3}, {64, 300, 270}, {300, 257, 40}, {33, 520, 9}};
        for (var s : shapes) {
            int n = s[0], in = s[1], out = s[2];
            try (var x = randn(n, in); var w = randn(out, in); var b = randn(out); var dy = randn(n, out);
                 var y = javaGemm.linearForward(x, w, b); var dx = javaGemm.linearBackwardData(dy, w); var dw = javaGemm.linearBackwardWeight(dy, x)) {
                double[] xd = toDouble(x.toArray()), wd = toDouble(w.toArray()), dyd = toDouble(dy.toArray());
                double[] wantDx = new double[n * in], wantDw = new double[out * in];
                for (int i = 0; i < n; i++)
                    for (int o = 0; o < out; o++)
                        for (int p = 0; p < in; p++) {
                            wantDx[i * in + p] += dyd[i * out + o] * wd[o * in + p];
                            wantDw[o * in + p] += dyd[i * out + o] * xd[i * in + p];
                        }
                String what = "Java GEMM linear " + java.util.Arrays.toString(s);
                Assertions2.assertClose(what + " y", y.toArray(), ConvReference.toFloat(reference(xd, wd, toDouble(b.toArray()), n, in, out)), 1e-5);
                Assertions2.assertClose(what + " dx", dx.toArray(), ConvReference.toFloat(wantDx), 1e-5);
                Assertions2.assertClose(what + " dw", dw.toArray(), ConvReference.toFloat(wantDw), 1e-5);
            }
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (var p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }
}
