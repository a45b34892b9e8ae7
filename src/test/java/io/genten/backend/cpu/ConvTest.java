package io.genten.backend.cpu;

import static io.genten.backend.cpu.ConvReference.centralDifference;
import static io.genten.backend.cpu.ConvReference.dot;
import static io.genten.backend.cpu.ConvReference.toDouble;
import static io.genten.backend.cpu.ConvReference.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.testing.Assertions2;
import io.genten.testing.Golden;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ConvTest {
    private final Backend cpu = CpuBackend.get();
    private long seed = 42;

    private Tensor randn(int... dims) { return Tensor.randn(seed++, 0, dims); }

    // ---- forward vs the direct loops ---------------------------------------------------------

    @Test void forwardMatchesDirectLoopsAtManyShapes() {
        int cases = 0;
        for (int n : new int[] {1, 2})
            for (int cin : new int[] {1, 3, 5})
                for (int k : new int[] {1, 3, 5})
                    for (int stride : new int[] {1, 2})
                        for (int pad : new int[] {0, 1, 2})
                            for (int[] hw : new int[][] {{7, 7}, {8, 6}, {5, 9}}) {
                                if (hw[0] + 2 * pad < k || hw[1] + 2 * pad < k) continue;
                                int cout = (cin + k + stride + pad) % 4 * 3 + 1; // 1, 4: direct loops; 7, 10: im2col + GEMM
                                boolean bias = (cin + pad + stride) % 2 == 0;
                                checkForward(n, cin, hw[0], hw[1], cout, k, stride, pad, bias);
                                cases++;
                            }
        assertTrue(cases > 150, "ran " + cases + " shapes");
    }

    @Test void forwardAtModelShapes() {
        checkForward(3, 1, 28, 28, 32, 3, 2, 1, true);  // VAE enc1
        checkForward(2, 32, 14, 14, 64, 3, 2, 1, true); // VAE enc2
        checkForward(2, 64, 14, 14, 16, 5, 2, 2, true); // DCGAN D conv2 (fewer output channels)
        checkForward(3, 32, 28, 28, 1, 3, 1, 1, true);  // VAE dec3 (direct loops)
    }

    private void checkForward(int n, int cin, int h, int w, int cout, int k, int stride, int pad, boolean withBias) {
        var spec = new Conv2dSpec(stride, pad);
        try (var x = randn(n, cin, h, w); var wt = randn(cout, cin, k, k); var b = withBias ? randn(cout) : null;
             var y = cpu.conv2dForward(x, wt, b, spec)) {
            double[] ref = ConvReference.forward(toDouble(x.toArray()), toDouble(wt.toArray()), b == null ? null : toDouble(b.toArray()),
                    n, cin, h, w, cout, k, stride, pad);
            int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
            String what = "conv n=" + n + " cin=" + cin + " " + h + "x" + w + " cout=" + cout + " k=" + k + " s=" + stride + " p=" + pad + " bias=" + withBias;
            assertEquals(Shape.of(n, cout, oh, ow), y.shape(), what);
            Assertions2.assertClose(what, y.toArray(), toFloat(ref), 1e-5);
        }
    }

    // ---- backward vs central differences of L = sum(conv(x, w, b) * r) in float64 -------------

    @Test void backwardMatchesFiniteDifferences() {
        checkBackward(2, 3, 7, 6, 4, 3, 1, 1, Shape.of(2, 3, 7, 6));
        checkBackward(1, 2, 9, 9, 3, 3, 2, 1, Shape.of(1, 2, 9, 9));
        checkBackward(2, 5, 6, 7, 2, 5, 2, 2, Shape.of(2, 5, 6, 7));
        checkBackward(1, 3, 5, 5, 4, 1, 1, 0, Shape.of(1, 3, 5, 5)); // 1x1 direct path
        checkBackward(2, 1, 8, 8, 3, 3, 2, 0, Shape.of(2, 1, 8, 8));
        checkBackward(2, 3, 6, 5, 7, 3, 1, 1, Shape.of(2, 3, 6, 5)); // im2col + GEMM (more output channels than the direct loops take)
        checkBackward(3, 2, 7, 7, 9, 3, 2, 1, Shape.of(3, 2, 7, 7));
    }

    /**
     * Transposed-conv shapes: x one row and/or one column taller than the conv of dy needs (PyTorch's
     * output padding). The extra pixels get only what lands there.
     */
    @Test void backwardWithOutputPadding() {
        // dy 4x4, k3 s2 p1: natural x is 7x7, with output padding 1 it is 8x8
        checkBackward(2, 3, 8, 8, 2, 3, 2, 1, Shape.of(2, 3, 8, 8));
        checkBackward(1, 2, 8, 7, 3, 3, 2, 1, Shape.of(1, 2, 8, 7));
        // dy 4x4, k5 s2 p2: 7x7 natural, 8x8 with output padding
        checkBackward(2, 2, 8, 8, 3, 5, 2, 2, Shape.of(2, 2, 8, 8));
        // stride 3, output padding 2
        checkBackward(1, 2, 9, 9, 2, 3, 3, 1, Shape.of(1, 2, 9, 9));
        checkBackward(2, 3, 8, 8, 6, 3, 2, 1, Shape.of(2, 3, 8, 8)); // the same through im2col + GEMM
        checkBackward(1, 2, 8, 7, 5, 5, 2, 2, Shape.of(1, 2, 8, 7));
    }

    private void checkBackward(int n, int cin, int h, int w, int cout, int k, int stride, int pad, Shape xShape) {
        var spec = new Conv2dSpec(stride, pad);
        String what = "conv backward x=" + xShape + " cout=" + cout + " k=" + k + " s=" + stride + " p=" + pad;
        try (var x = randn(n, cin, h, w); var wt = randn(cout, cin, k, k); var b = randn(cout)) {
            var yShape = spec.outputShape("test", xShape, wt.shape());
            try (var r = randn(yShape.dims());
                 var dx = cpu.conv2dBackwardData(r, wt, xShape, spec);
                 var dw = cpu.conv2dBackwardFilter(r, x, wt.shape(), spec);
                 var db = cpu.biasGradient(r)) {
                double[] xd = toDouble(x.toArray()), wd = toDouble(wt.toArray()), bd = toDouble(b.toArray()), rd = toDouble(r.toArray());
                java.util.function.DoubleSupplier loss = () -> dot(ConvReference.forward(xd, wd, bd, n, cin, h, w, cout, k, stride, pad), rd);
                assertEquals(xShape, dx.shape(), what);
                assertEquals(wt.shape(), dw.shape(), what);
                assertEquals(Shape.of(cout), db.shape(), what);
                Assertions2.assertClose(what + " dx", dx.toArray(), centralDifference(xd, loss), 1e-5);
                Assertions2.assertClose(what + " dw", dw.toArray(), centralDifference(wd, loss), 1e-5);
                Assertions2.assertClose(what + " db", db.toArray(), centralDifference(bd, loss), 1e-5);
            }
        }
    }

    /**
     * A batch big enough that every thread's chunk holds several images, so the grouped GEMMs
     * (images side by side in one column matrix) run, whatever the thread count up to 12.
     * Checked against the direct adjoint loops (themselves checked by finite differences above).
     */
    @Test void largeBatchGroupedGemmsMatchDirectLoops() {
        int n = 24, cin = 3, cout = 6, k = 3, stride = 2, pad = 1;
        for (int[] hw : new int[][] {{7, 7}, {8, 8}, {9, 6}}) {
            int h = hw[0], w = hw[1];
            var spec = new Conv2dSpec(stride, pad);
            try (var x = randn(n, cin, h, w); var wt = randn(cout, cin, k, k); var b = randn(cout)) {
                var yShape = spec.outputShape("test", x.shape(), wt.shape());
                try (var dy = randn(yShape.dims()); var y = cpu.conv2dForward(x, wt, b, spec);
                     var dx = cpu.conv2dBackwardData(dy, wt, x.shape(), spec); var dw = cpu.conv2dBackwardFilter(dy, x, wt.shape(), spec)) {
                    double[] xd = toDouble(x.toArray()), wd = toDouble(wt.toArray()), dyd = toDouble(dy.toArray());
                    String what = "batch " + n + " " + h + "x" + w;
                    Assertions2.assertClose(what + " y", y.toArray(), toFloat(ConvReference.forward(xd, wd, toDouble(b.toArray()), n, cin, h, w, cout, k, stride, pad)), 1e-5);
                    Assertions2.assertClose(what + " dx", dx.toArray(), toFloat(ConvReference.backwardData(dyd, wd, n, cin, h, w, cout, k, stride, pad)), 1e-5);
                    Assertions2.assertClose(what + " dw", dw.toArray(), toFloat(ConvReference.backwardFilter(dyd, xd, n, cin, h, w, cout, k, stride, pad)), 1e-5);
                }
            }
        }
    }

    /**
     * The by-pixel unfolding ({@link PixelUnfold}, from {@link CpuConv#PIXEL_UNFOLD_MIN_CHANNELS}
     * input channels) in all three directions, against the float64 reference: odd and even sizes,
     * strides 1-3, kernels 1-5, padding 0-2, several groups of images per thread (n = 13), and the
     * transposed conv's taller x (output padding).
     */
    @Test void byPixelUnfoldingMatchesTheReference() {
        int cin = CpuConv.PIXEL_UNFOLD_MIN_CHANNELS, cases = 0;
        int[][] shapes = { // cin, h, w, cout, k, stride, pad, extra rows, extra cols
            {cin, 7, 7, 24, 5, 1, 2, 0, 0}, {cin + 3, 9, 8, 20, 3, 2, 1, 0, 0}, {cin, 8, 8, 18, 5, 2, 2, 1, 1},
            {cin + 1, 6, 7, 17, 4, 3, 2, 2, 0}, {cin, 5, 6, 19, 1, 1, 0, 0, 0}, {cin + 5, 10, 9, 22, 3, 2, 0, 0, 1}};
        for (int[] c : shapes) {
            int n = 13, k = c[4], stride = c[5], pad = c[6];
            int h = c[1], w = c[2], ch = c[0], cout = c[3];
            var spec = new Conv2dSpec(stride, pad);
            int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
            // x one or two rows/columns taller than the conv needs, as a transposed conv's output padding makes it
            int xh = (oh - 1) * stride + k - 2 * pad + c[7], xw = (ow - 1) * stride + k - 2 * pad + c[8];
            try (var x = randn(n, ch, xh, xw); var wt = randn(cout, ch, k, k); var b = randn(cout)) {
                var yShape = spec.outputShape("test", x.shape(), wt.shape());
                try (var dy = randn(yShape.dims()); var y = cpu.conv2dForward(x, wt, b, spec);
                     var dx = cpu.conv2dBackwardData(dy, wt, x.shape(), spec); var dw = cpu.conv2dBackwardFilter(dy, x, wt.shape(), spec)) {
                    double[] xd = toDouble(x.toArray()), wd = toDouble(wt.toArray()), dyd = toDouble(dy.toArray());
                    String what = "by pixel " + x.shape() + " cout=" + cout + " k=" + k + " s=" + stride + " p=" + pad;
                    Assertions2.assertClose(what + " y", y.toArray(), toFloat(ConvReference.forward(xd, wd, toDouble(b.toArray()), n, ch, xh, xw, cout, k, stride, pad)), 1e-5);
                    Assertions2.assertClose(what + " dx", dx.toArray(), toFloat(ConvReference.backwardData(dyd, wd, n, ch, xh, xw, cout, k, stride, pad)), 1e-5);
                    Assertions2.assertClose(what + " dw", dw.toArray(), toFloat(ConvReference.backwardFilter(dyd, xd, n, ch, xh, xw, cout, k, stride, pad)), 1e-5);
                }
            }
            cases++;
        }
        assertEquals(shapes.length, cases);
    }

    /**
     * The transposed conv's backward in one call (dy unfolded once for dx and dw) against the
     * float64 reference of the two conv ops it stands for, with several groups per thread (n = 13)
     * and an odd size; below the by-pixel threshold it is the two ops themselves.
     */
    @Test void transposedConvBackwardSharesOneUnfolding() {
        int[][] shapes = { // transposed conv: cin_t, cout_t, input h, w, k, stride, pad, output padding
            {24, CpuConv.PIXEL_UNFOLD_MIN_CHANNELS, 7, 7, 5, 1, 2, 0}, {9, CpuConv.PIXEL_UNFOLD_MIN_CHANNELS + 3, 5, 6, 3, 2, 1, 1},
            {6, 3, 4, 4, 3, 2, 1, 1}};
        for (int[] c : shapes) {
            int n = 13, cinT = c[0], coutT = c[1], h = c[2], w = c[3], k = c[4], stride = c[5], pad = c[6], op = c[7];
            var spec = new Conv2dSpec(stride, pad);
            int oh = (h - 1) * stride - 2 * pad + k + op, ow = (w - 1) * stride - 2 * pad + k + op;
            try (var x = randn(n, cinT, h, w); var wt = randn(cinT, coutT, k, k); var dy = randn(n, coutT, oh, ow)) {
                var grads = cpu.convTranspose2dBackward(dy, x, wt, spec, true);
                var dxOnly = cpu.convTranspose2dBackward(dy, x, wt, spec, false);
                try (var dx = grads.dx(); var dw = grads.dw(); var dx2 = dxOnly.dx()) {
                    double[] xd = toDouble(x.toArray()), wd = toDouble(wt.toArray()), dyd = toDouble(dy.toArray());
                    String what = "transposed conv backward x=" + x.shape() + " w=" + wt.shape() + " dy=" + dy.shape();
                    // as a conv: input dy (coutT channels), output x (cinT channels), weight read as (cinT, coutT, k, k)
                    Assertions2.assertClose(what + " dx", dx.toArray(), toFloat(ConvReference.forward(dyd, wd, null, n, coutT, oh, ow, cinT, k, stride, pad)), 1e-5);
                    Assertions2.assertClose(what + " dw", dw.toArray(), toFloat(ConvReference.backwardFilter(xd, dyd, n, coutT, oh, ow, cinT, k, stride, pad)), 1e-5);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(dx.toArray(), dx2.toArray(), what + ": dx with and without dw");
                    assertEquals(null, dxOnly.dw(), what);
                }
            }
        }
    }

    @Test void byPixelBackwardMatchesFiniteDifferences() {
        int cin = CpuConv.PIXEL_UNFOLD_MIN_CHANNELS;
        checkBackward(2, cin, 5, 6, 9, 3, 2, 1, Shape.of(2, cin, 5, 6));
        checkBackward(1, cin + 1, 6, 6, 8, 5, 2, 2, Shape.of(1, cin + 1, 6, 6)); // x one taller and wider than needed
        checkBackward(2, cin, 4, 5, 7, 3, 1, 1, Shape.of(2, cin, 4, 5));
        // few output channels: direct loops for dx, by pixel (a GEMV) for dw
        checkBackward(3, cin, 5, 6, 1, 3, 1, 1, Shape.of(3, cin, 5, 6));
        checkBackward(2, cin + 1, 7, 6, 3, 3, 2, 1, Shape.of(2, cin + 1, 7, 6));
    }

    @Test void biasGradientOfRank2SumsOverTheBatch() {
        try (var dy = randn(5, 3); var db = cpu.biasGradient(dy)) {
            float[] d = dy.toArray();
            float[] want = new float[3];
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int i = 0; i < 5; i++) s += d[i * 3 + c];
                want[c] = (float) s;
            }
            assertEquals(Shape.of(3), db.shape());
            Assertions2.assertClose("biasGradient rank 2", db.toArray(), want, 1e-6);
        }
    }

    @Test void batchSplitIsDeterministic() {
        var spec = new Conv2dSpec(2, 1);
        try (var x = randn(7, 4, 9, 9); var dy = randn(7, 6, 5, 5);
             var a = cpu.conv2dBackwardFilter(dy, x, Shape.of(6, 4, 3, 3), spec);
             var b = cpu.conv2dBackwardFilter(dy, x, Shape.of(6, 4, 3, 3), spec)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.toArray(), b.toArray());
        }
    }

    // ---- PyTorch golden values -----------------------------------------------------------------

    private static final Pattern STRIDE = Pattern.compile("stride=(\\d+)"), PAD = Pattern.compile("pad=(\\d+)"),
            OUT_PAD = Pattern.compile("output_pad=(\\d+)");

    private static int meta(Pattern p, String description, int fallback) {
        var m = p.matcher(description);
        return m.find() ? Integer.parseInt(m.group(1)) : fallback;
    }

    @Test void goldenConv2d() {
        try (var g = Golden.op("conv2d")) {
            int cases = 0;
            for (var e : g.metadata().entrySet()) {
                String c = e.getKey(), d = e.getValue();
                var spec = new Conv2dSpec(meta(STRIDE, d, -1), meta(PAD, d, -1));
                Tensor x = g.get(c + ".x"), w = g.get(c + ".w"), b = g.get(c + ".b"), dy = g.get(c + ".dy");
                try (var y = cpu.conv2dForward(x, w, b, spec);
                     var dx = cpu.conv2dBackwardData(dy, w, x.shape(), spec);
                     var dw = cpu.conv2dBackwardFilter(dy, x, w.shape(), spec);
                     var db = cpu.biasGradient(dy)) {
                    Assertions2.assertClose("conv2d " + c + " y (" + d + ")", y, g.get(c + ".y"), 1e-5);
                    Assertions2.assertClose("conv2d " + c + " dx (" + d + ")", dx, g.get(c + ".dx"), 1e-5);
                    Assertions2.assertClose("conv2d " + c + " dw (" + d + ")", dw, g.get(c + ".dw"), 1e-5);
                    Assertions2.assertClose("conv2d " + c + " db (" + d + ")", db, g.get(c + ".db"), 1e-5);
                }
                cases++;
            }
            assertEquals(4, cases);
        }
    }

    /**
     * y = convT(x, w) with w (Cin_t, Cout_t, k, k) is the backward-data of a conv whose weight is w
     * read as (Cout = Cin_t, Cin = Cout_t): its dx is that conv's forward of dy, and its dw is that
     * conv's backward-filter with the roles of x and dy swapped.
     */
    @Test void goldenConvTranspose2d() {
        try (var g = Golden.op("conv_transpose2d")) {
            int cases = 0;
            for (var e : g.metadata().entrySet()) {
                String c = e.getKey(), d = e.getValue();
                var spec = new Conv2dSpec(meta(STRIDE, d, -1), meta(PAD, d, -1));
                int outputPadding = meta(OUT_PAD, d, -1);
                Tensor x = g.get(c + ".x"), w = g.get(c + ".w"), dy = g.get(c + ".dy");
                var outShape = spec.transposedOutputShape("conv_transpose2d", x.shape(), w.shape(), outputPadding);
                try (var y = cpu.conv2dBackwardData(x, w, outShape, spec);
                     var dx = cpu.conv2dForward(dy, w, null, spec);
                     var dw = cpu.conv2dBackwardFilter(x, dy, w.shape(), spec)) {
                    Assertions2.assertClose("convT " + c + " y (" + d + ")", y, g.get(c + ".y"), 1e-5);
                    Assertions2.assertClose("convT " + c + " dx (" + d + ")", dx, g.get(c + ".dx"), 1e-5);
                    Assertions2.assertClose("convT " + c + " dw (" + d + ")", dw, g.get(c + ".dw"), 1e-5);
                }
                cases++;
            }
            assertEquals(4, cases);
        }
    }

    // ---- bad input -------------------------------------------------------------------------------

    @Test void badInputGivesClearExceptions() {
        var spec = new Conv2dSpec(1, 1);
        try (var x = randn(2, 3, 6, 6); var w = randn(4, 3, 3, 3); var wrongW = randn(4, 2, 3, 3);
             var rank3 = randn(3, 6, 6); var dy = randn(2, 4, 6, 6); var badBias = randn(5)) {
            assertMessage(() -> cpu.conv2dForward(x, wrongW, null, spec), "conv2dForward", "[2, 3, 6, 6]", "[4, 2, 3, 3]");
            assertMessage(() -> cpu.conv2dForward(rank3, w, null, spec), "conv2dForward", "[3, 6, 6]");
            assertMessage(() -> cpu.conv2dForward(x, w, badBias, spec), "conv2dForward", "[5]");
            assertMessage(() -> cpu.conv2dBackwardData(dy, w, Shape.of(2, 3, 9, 6), spec), "conv2dBackwardData", "[2, 4, 6, 6]", "[2, 3, 9, 6]");
            assertMessage(() -> cpu.conv2dBackwardData(dy, w, Shape.of(2, 5, 6, 6), spec), "conv2dBackwardData", "[2, 5, 6, 6]");
            assertMessage(() -> cpu.conv2dBackwardData(dy, w, Shape.of(2, 3, 6), spec), "conv2dBackwardData", "[2, 3, 6]");
            assertMessage(() -> cpu.conv2dBackwardData(dy, w, Shape.of(3, 3, 6, 6), spec), "conv2dBackwardData", "[3, 3, 6, 6]");
            assertMessage(() -> cpu.conv2dBackwardFilter(dy, x, Shape.of(4, 3, 5, 5), spec), "conv2dBackwardFilter", "[4, 3, 5, 5]");
            assertMessage(() -> cpu.conv2dBackwardFilter(dy, x, Shape.of(4, 2, 3, 3), spec), "conv2dBackwardFilter", "[4, 2, 3, 3]");
            assertMessage(() -> cpu.conv2dBackwardFilter(dy, rank3, w.shape(), spec), "conv2dBackwardFilter", "[3, 6, 6]");
            assertMessage(() -> cpu.biasGradient(badBias), "biasGradient", "[5]");
            try (var nonSquare = randn(4, 3, 3, 2)) {
                assertMessage(() -> cpu.conv2dForward(x, nonSquare, null, spec), "conv2dForward", "[4, 3, 3, 2]");
            }
            try (var huge = randn(4, 3, 9, 9)) {
                assertMessage(() -> cpu.conv2dForward(x, huge, null, new Conv2dSpec(1, 0)), "conv2dForward", "[2, 3, 6, 6]");
            }
        }
        var closed = randn(2, 3, 6, 6);
        closed.close();
        try (var w = randn(4, 3, 3, 3)) {
            var e = assertThrows(IllegalStateException.class, () -> cpu.conv2dForward(closed, w, null, spec));
            assertTrue(e.getMessage().contains("conv2dForward") && e.getMessage().contains("close"), e.getMessage());
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (var p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }
}
