package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The ops whose outputs skip the pool's zeroing ({@link CpuBackend#allocToOverwrite}) write every
 * element: run on a backend whose such outputs start as NaN, each gives exactly the bits of the
 * same op on a backend with zeroed outputs, at odd and even sizes and through every conv path
 * (im2col one image and grouped, by pixel with and without skipped rows, odd batch tails, and
 * the tap planes of convs with few output channels, whole-plane shifts and row by row).
 */
class OverwrittenOutputsTest {
    private static final CpuBackend POISONED = CpuBackend.withPoisonedOutputs();
    private static final Backend PLAIN = CpuBackend.get();
    private long seed = 31;

    @AfterAll static void close() { POISONED.close(); }

    private Tensor randn(int... dims) { return Tensor.randn(seed++, 0, dims); }

    /** op on both backends, twice on the poisoned one (the second time from recycled arrays). */
    private void same(String what, Function<Backend, List<Tensor>> op) {
        List<Tensor> want = op.apply(PLAIN);
        for (int round = 0; round < 2; round++) {
            List<Tensor> got = op.apply(POISONED);
            assertEquals(want.size(), got.size(), what);
            for (int i = 0; i < want.size(); i++) {
                float[] w = want.get(i).toArray(), g = got.get(i).toArray();
                for (float v : w) assertTrue(Float.isFinite(v), what + ": the reference output " + i + " is not finite");
                assertArrayEquals(w, g, what + ": output " + i + " (round " + round + ")");
                got.get(i).close();
            }
        }
        want.forEach(Tensor::close);
    }

    @Test void convolutionsOnEveryPath() {
        int[][] shapes = { // n, cin, h, w, cout, k, stride, pad
            {3, 1, 9, 8, 6, 3, 2, 1},    // im2col, grouped images
            {2, 3, 17, 16, 5, 3, 1, 1},  // im2col, one image per GEMM (a plane of 256 pixels)
            {5, 16, 7, 7, 9, 5, 1, 2},   // by pixel, padding rows skipped, an odd tail
            {4, 17, 14, 13, 8, 5, 2, 2}, // by pixel, stride 2, skipped rows
            {3, 18, 9, 9, 7, 3, 2, 1},   // by pixel, nothing skipped
            {2, 16, 17, 16, 6, 3, 1, 1}, // by pixel, one image per GEMM
            {3, 2, 9, 8, 3, 3, 1, 1},    // tap planes (few output channels), whole-plane shifts
            {2, 3, 9, 9, 1, 3, 2, 1},    // tap planes at stride 2, row by row
        };
        for (int[] c : shapes) {
            var spec = new Conv2dSpec(c[6], c[7]);
            var x = randn(c[0], c[1], c[2], c[3]);
            var w = randn(c[4], c[1], c[5], c[5]);
            var b = randn(c[4]);
            var yShape = spec.outputShape("test", x.shape(), w.shape());
            var dy = randn(yShape.dims());
            String what = "conv x=" + x.shape() + " w=" + w.shape() + " " + spec;
            same(what + " forward", be -> List.of(be.conv2dForward(x, w, b, spec)));
            same(what + " forward without bias", be -> List.of(be.conv2dForward(x, w, null, spec)));
            same(what + " backward", be -> {
                var grads = be.convTranspose2dBackward(x, dy, w, spec, true);
                var out = new ArrayList<Tensor>();
                out.add(grads.dx());
                out.add(grads.dw());
                out.add(be.conv2dBackwardData(dy, w, x.shape(), spec));
                out.add(be.conv2dBackwardFilter(dy, x, w.shape(), spec));
                return out;
            });
        }
    }

    @Test void linearLayers() {
        for (int[] c : new int[][] {{7, 33, 65}, {64, 100, 48}, {1, 1500, 3}}) { // n, in, out
            var x = randn(c[0], c[1]);
            var w = randn(c[2], c[1]);
            var b = randn(c[2]);
            var dy = randn(c[0], c[2]);
            same("linear " + java.util.Arrays.toString(c), be -> List.of(be.linearForward(x, w, b), be.linearForward(x, w, null),
                    be.linearBackwardData(dy, w), be.linearBackwardWeight(dy, x)));
        }
    }

    @Test void activationsAndDropout() {
        var x = randn(3, 5, 13, 17);
        var dy = randn(3, 5, 13, 17);
        for (var act : List.of(Activation.IDENTITY, Activation.RELU, Activation.leakyRelu(0.3f), Activation.TANH, Activation.SIGMOID)) {
            same("activation " + act, be -> {
                var y = be.activationForward(act, x);
                return List.of(y, be.activationBackward(act, x, y, dy));
            });
        }
        for (float p : new float[] {0f, 0.3f}) {
            same("dropout p=" + p, be -> List.of(be.dropoutForward(x, p, 5, 2), be.dropoutBackward(dy, p, 5, 2)));
        }
    }

    @Test void batchNorm() {
        for (Shape shape : List.of(Shape.of(6, 5, 7, 9), Shape.of(64, 1100), Shape.of(3, 2, 31, 33))) {
            int c = shape.dim(1);
            var x = Tensor.randn(seed++, 0, shape.dims());
            var dy = Tensor.randn(seed++, 0, shape.dims());
            var gamma = randn(c);
            var beta = randn(c);
            same("batch norm " + shape, be -> {
                try (var mean = Tensor.zeros(c); var var = Tensor.randn(seed, 0, c)) {
                    for (int i = 0; i < c; i++) var.hostArray()[i] = 1f + Math.abs(var.hostArray()[i]);
                    var out = be.batchNormTrainForward(x, gamma, beta, mean, var, 0.1f, 1e-5f);
                    var grads = be.batchNormBackward(dy, x, gamma, out.saveMean(), out.saveInvStd());
                    var inference = be.batchNormInference(x, gamma, beta, mean, var, 1e-5f);
                    var fused = be.batchNormTrainForward(x, gamma, beta, mean, var, 0.1f, 1e-5f, Activation.leakyRelu(0.2f));
                    out.saveMean().close();
                    out.saveInvStd().close();
                    fused.saveMean().close();
                    fused.saveInvStd().close();
                    grads.dgamma().close();
                    grads.dbeta().close();
                    return List.of(out.y(), grads.dx(), inference, fused.y());
                }
            });
        }
    }
}
