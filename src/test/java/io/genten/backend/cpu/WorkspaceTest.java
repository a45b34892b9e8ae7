package io.genten.backend.cpu;

import static io.genten.backend.cpu.ConvReference.toDouble;
import static io.genten.backend.cpu.ConvReference.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.testing.Assertions2;
import org.junit.jupiter.api.Test;

/** The convolutions' reused scratch: kept per slot, and never read before it is written. */
class WorkspaceTest {
    @Test void aSlotKeepsItsLargestArrayAndSlotsAreSeparate() {
        float[] a = Workspace.floats(Workspace.Slot.COLUMNS, 1000);
        assertTrue(a.length >= 1000);
        assertSame(a, Workspace.floats(Workspace.Slot.COLUMNS, 10), "a smaller request reuses the array");
        assertNotSame(a, Workspace.floats(Workspace.Slot.GATHERED, 10), "another slot has its own array");
        float[] b = Workspace.floats(Workspace.Slot.COLUMNS, a.length + 1);
        assertTrue(b.length > a.length);
        assertSame(b, Workspace.floats(Workspace.Slot.COLUMNS, a.length), "the grown array is kept");
        float[] huge = Workspace.floats(Workspace.Slot.STAGE, Workspace.MAX_CACHED + 1);
        assertNotSame(huge, Workspace.floats(Workspace.Slot.STAGE, Workspace.MAX_CACHED + 1), "over the cap: not kept");
    }

    @Test void aCommonPoolWorkerKeepsItsArraysFromOneTaskToTheNext() throws Exception {
        // the common pool's workers have their thread locals erased between tasks (when they go idle)
        var pool = java.util.concurrent.ForkJoinPool.commonPool();
        var first = pool.submit(() -> new Object[] {Thread.currentThread(), Workspace.floats(Workspace.Slot.COLUMNS, 4096)}).get();
        Thread.sleep(50); // the worker idles
        for (int attempt = 0; attempt < 50; attempt++) {
            var next = pool.submit(() -> new Object[] {Thread.currentThread(), Workspace.floats(Workspace.Slot.COLUMNS, 4096)}).get();
            if (next[0] == first[0]) {
                assertTrue(first[1] == next[1], "the same worker gets its array back after idling"); // not assertSame: it prints the arrays
                return;
            }
        }
        org.junit.jupiter.api.Assumptions.abort("no task ran twice on the same common-pool worker");
    }

    @Test void anotherThreadGetsItsOwnArrays() throws Exception {
        float[] mine = Workspace.floats(Workspace.Slot.COLUMNS, 64);
        var theirs = new float[1][];
        var t = Thread.ofPlatform().start(() -> theirs[0] = Workspace.floats(Workspace.Slot.COLUMNS, 64));
        t.join();
        assertNotSame(mine, theirs[0]);
    }

    /**
     * Every conv path (im2col and by-pixel unfolding, image groups, padding, strides, the
     * transposed conv's shared unfolding) on one thread whose scratch holds NaN before each op: a
     * read of anything the op did not write first would make its output NaN.
     */
    @Test void convolutionsNeverReadStaleScratch() {
        int[][] shapes = { // n, cin, h, w, cout, k, stride, pad
                {5, 3, 9, 7, 6, 3, 2, 1},    // im2col, small planes: groups of images
                {3, 20, 7, 7, 12, 5, 1, 2},  // by pixel, stride 1
                {4, 16, 14, 14, 8, 4, 2, 1}, // by pixel, stride 2: phases
                {2, 3, 28, 28, 8, 3, 1, 1},  // im2col, one image per GEMM
                {3, 32, 28, 28, 1, 3, 1, 1}, // tap planes, whole-plane shifts (the VAE's last conv)
                {2, 5, 9, 7, 2, 5, 1, 2},    // tap planes, whole-plane shifts, k5 and two output channels
                {3, 4, 9, 8, 3, 3, 2, 1},    // tap planes, stride 2: row by row
        };
        long seed = 7;
        try (var serial = CpuBackend.withThreads(1)) {
            for (int[] s : shapes) {
                int n = s[0], cin = s[1], h = s[2], w = s[3], cout = s[4], k = s[5], stride = s[6], pad = s[7];
                var spec = new Conv2dSpec(stride, pad);
                String what = "n=" + n + " cin=" + cin + " " + h + "x" + w + " cout=" + cout + " k=" + k + " s=" + stride + " p=" + pad;
                try (var x = Tensor.randn(seed++, 0, n, cin, h, w); var wt = Tensor.randn(seed++, 0, cout, cin, k, k);
                     var b = Tensor.randn(seed++, 0, cout)) {
                    Workspace.poisonForTest();
                    try (var y = serial.conv2dForward(x, wt, b, spec)) {
                        double[] ref = ConvReference.forward(toDouble(x.toArray()), toDouble(wt.toArray()), toDouble(b.toArray()),
                                n, cin, h, w, cout, k, stride, pad);
                        Assertions2.assertClose(what + " forward", y.toArray(), toFloat(ref), 1e-5);
                        try (var dy = Tensor.randn(seed++, 0, y.shape().dims())) {
                            double[] dyd = toDouble(dy.toArray());
                            Workspace.poisonForTest();
                            try (var dx = serial.conv2dBackwardData(dy, wt, x.shape(), spec)) {
                                Assertions2.assertClose(what + " backward-data", dx.toArray(),
                                        toFloat(ConvReference.backwardData(dyd, toDouble(wt.toArray()), n, cin, h, w, cout, k, stride, pad)), 1e-5);
                            }
                            Workspace.poisonForTest();
                            try (var dw = serial.conv2dBackwardFilter(dy, x, wt.shape(), spec)) {
                                Assertions2.assertClose(what + " backward-filter", dw.toArray(),
                                        toFloat(ConvReference.backwardFilter(dyd, toDouble(x.toArray()), n, cin, h, w, cout, k, stride, pad)), 1e-5);
                            }
                            if (CpuConv.sharesUnfolding(x.shape(), wt.shape(), spec)) {
                                Workspace.poisonForTest();
                                var both = CpuConv.forwardAndFilterGradient(Gemm.DEFAULT, x, wt, dy, spec);
                                try (var y2 = both[0]; var dw2 = both[1]) {
                                    assertEquals(Shape.of(cout, cin, k, k), dw2.shape());
                                    Assertions2.assertClose(what + " shared forward", y2.toArray(),
                                            toFloat(ConvReference.forward(toDouble(x.toArray()), toDouble(wt.toArray()), null, n, cin, h, w, cout, k, stride, pad)), 1e-5);
                                    Assertions2.assertClose(what + " shared filter gradient", dw2.toArray(),
                                            toFloat(ConvReference.backwardFilter(dyd, toDouble(x.toArray()), n, cin, h, w, cout, k, stride, pad)), 1e-5);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
