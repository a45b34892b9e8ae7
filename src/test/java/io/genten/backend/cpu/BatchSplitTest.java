package io.genten.backend.cpu;

import static io.genten.backend.cpu.ConvReference.toDouble;
import static io.genten.backend.cpu.ConvReference.toFloat;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Tensor;
import io.genten.testing.Assertions2;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conv's batch split: each thread's chunk walks its images in groups of G (G images' columns
 * side by side in one GEMM), and the weight gradient accumulates over every group of a chunk and
 * then over the chunks. The batch here is sized from the thread count so that, whatever the
 * machine, every chunk holds at least two groups and the last group of a chunk is partial, with
 * chunks of different lengths. Each case runs on OpenBLAS (where it loads) and on the Java GEMM.
 */
class BatchSplitTest {
    /** One conv layer: input (cin, h, w), cout outputs, k x k, stride, padding; G follows from the output plane. */
    record Layer(String name, int cin, int h, int w, int cout, int k, int stride, int pad, boolean bias) {
        int oh() { return (h + 2 * pad - k) / stride + 1; }
        int ow() { return (w + 2 * pad - k) / stride + 1; }
        /** CpuConv's group for a big batch: ceil(256 / plane). */
        int group() { return Math.max(1, Math.ceilDiv(256, oh() * ow())); }
        /** Two full groups and a partial one per chunk at least, and a batch that does not divide evenly. */
        int batch() { return Parallel.threads() * (2 * group() + 1) + 1; }
    }

    static Stream<Arguments> cases() {
        var layers = new Layer[] {
            new Layer("plane 16x16, G=1", 2, 16, 16, 6, 3, 1, 1, true),
            new Layer("plane 8x8, G=4", 3, 15, 15, 5, 3, 2, 1, true),
            new Layer("plane 8x8, G=4, no bias", 3, 15, 15, 5, 3, 2, 1, false),
            new Layer("plane 7x7, G=6 (DCGAN D conv2 shape)", 4, 14, 14, 8, 5, 2, 2, true),
            new Layer("plane 5x4, G=13", 2, 9, 7, 7, 3, 2, 1, true),
            // few output channels: the direct loops, whose per-chunk scratch is reused image after image
            new Layer("direct loops, stride 1", 2, 9, 8, 3, 3, 1, 1, true),
            new Layer("direct loops, stride 1, no padding", 3, 7, 7, 4, 3, 1, 0, false),
            new Layer("direct loops, stride 2", 3, 10, 9, 1, 3, 2, 1, true),
        };
        return Stream.of(layers).flatMap(l -> Stream.of(Arguments.of(l, "default GEMM", CpuBackend.get()),
                Arguments.of(l, "Java GEMM", CpuBackend.withJavaGemm())));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void forwardAndBothGradientsMatchTheDirectLoops(Layer l, String gemm, CpuBackend cpu) {
        int n = l.batch();
        var spec = new Conv2dSpec(l.stride(), l.pad());
        try (var x = Tensor.randn(11, 0, n, l.cin(), l.h(), l.w()); var wt = Tensor.randn(12, 0, l.cout(), l.cin(), l.k(), l.k());
             var b = l.bias() ? Tensor.randn(13, 0, l.cout()) : null; var dy = Tensor.randn(14, 0, n, l.cout(), l.oh(), l.ow());
             var y = cpu.conv2dForward(x, wt, b, spec); var dx = cpu.conv2dBackwardData(dy, wt, x.shape(), spec);
             var dw = cpu.conv2dBackwardFilter(dy, x, wt.shape(), spec)) {
            double[] xd = toDouble(x.toArray()), wd = toDouble(wt.toArray()), dyd = toDouble(dy.toArray());
            String what = l.name() + ", batch " + n + ", " + Parallel.threads() + " threads, " + gemm;
            Assertions2.assertClose(what + " y", y.toArray(),
                    toFloat(ConvReference.forward(xd, wd, b == null ? null : toDouble(b.toArray()), n, l.cin(), l.h(), l.w(), l.cout(), l.k(), l.stride(), l.pad())), 1e-5);
            Assertions2.assertClose(what + " dx", dx.toArray(),
                    toFloat(ConvReference.backwardData(dyd, wd, n, l.cin(), l.h(), l.w(), l.cout(), l.k(), l.stride(), l.pad())), 1e-5);
            Assertions2.assertClose(what + " dw", dw.toArray(),
                    toFloat(ConvReference.backwardFilter(dyd, xd, n, l.cin(), l.h(), l.w(), l.cout(), l.k(), l.stride(), l.pad())), 1e-5);
        }
    }

    /** The Java-GEMM backend really runs the Java path, and says so. */
    @org.junit.jupiter.api.Test
    void javaGemmBackendDescribesItself() {
        String d = CpuBackend.withJavaGemm().describe();
        assertTrue(d.contains("Java GEMM"), d);
        assertFalse(d.contains("null"), d);
        assertFalse(Gemm.JAVA.usesBlas());
    }
}
