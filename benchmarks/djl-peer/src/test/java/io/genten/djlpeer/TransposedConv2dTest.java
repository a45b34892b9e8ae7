package io.genten.djlpeer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.genten.backend.cpu.CpuBackend;
import io.genten.nn.ConvTranspose2d;
import io.genten.nn.Init;
import io.genten.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The phase-decomposed transposed conv in DJL against Genten's CPU ConvTranspose2d (the layer the
 * models train with): forward, and the gradients with respect to input, weight and bias through
 * DJL's autograd, on random inputs, at the models' shapes and at odd ones (odd output sizes,
 * stride 3, a kernel smaller than the stride, padding beyond k - 1).
 */
class TransposedConv2dTest {
    static NDManager manager;
    /** Null where libtorch's conv input gradients are right on this CPU (see LibtorchCheck). */
    static String libtorchDefect;

    @BeforeAll static void engine() {
        DjlEngine.load(2, 2);
        libtorchDefect = LibtorchCheck.convInputGradientDefect();
        manager = NDManager.newBaseManager();
    }

    @AfterAll static void close() { manager.close(); }

    /** in, out, k, stride, padding, output padding, H, W, N, bias. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("dcgan conv1: 5x5 s1 p2", 256, 128, 5, 1, 2, 0, 7, 7, 2, false),
                Arguments.of("dcgan conv2: 5x5 s2 p2 op1", 128, 64, 5, 2, 2, 1, 7, 7, 2, false),
                Arguments.of("dcgan conv3: 5x5 s2 p2 op1", 64, 1, 5, 2, 2, 1, 14, 14, 2, false),
                Arguments.of("vae dec1: 3x3 s2 p1 op1", 64, 64, 3, 2, 1, 1, 7, 7, 3, true),
                Arguments.of("vae dec2: 3x3 s2 p1 op1", 64, 32, 3, 2, 1, 1, 14, 14, 3, true),
                Arguments.of("odd: 3x3 s2 p1 op0, 5x6 -> 9x11", 3, 5, 3, 2, 1, 0, 5, 6, 3, true),
                Arguments.of("odd: 4x4 s3 p2 op1, 4x5", 4, 3, 4, 3, 2, 1, 4, 5, 2, true),
                Arguments.of("odd: 2x2 s3 p0 op2 (phases without taps)", 2, 3, 2, 3, 0, 2, 3, 3, 2, false),
                Arguments.of("odd: 3x3 s1 p3 (crops the input)", 3, 2, 3, 1, 3, 0, 8, 7, 2, true),
                Arguments.of("odd: 5x5 s2 p4 op1 (crops a phase)", 3, 4, 5, 2, 4, 1, 9, 9, 2, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void matchesGentensConvTranspose(String name, int cin, int cout, int k, int stride, int pad, int op, int h, int w, int n, boolean bias) {
        assumeTrue(libtorchDefect == null, "libtorch is wrong on this CPU, nothing to compare against: " + libtorchDefect);
        var backend = CpuBackend.withThreads(1);
        var rnd = new SplittableRandom(name.hashCode());
        var layer = new ConvTranspose2d(backend, cin, cout, k, stride, pad, op, bias, new Init(name.hashCode()));
        int oh = TransposedConv2d.outputSize(h, k, stride, pad, op), ow = TransposedConv2d.outputSize(w, k, stride, pad, op);
        float[] x = random(rnd, n * cin * h * w), dy = random(rnd, n * cout * oh * ow);
        float[] wv = layer.weight().value().toArray();
        float[] bv = bias ? layer.bias().value().toArray() : null;

        Tensor gy, gdx;
        try (var gx = Tensor.of(x, n, cin, h, w); var gdy = Tensor.of(dy, n, cout, oh, ow)) {
            gy = layer.forward(gx);
            gdx = layer.backward(gdy);
        }
        assertArrayEquals(new int[] {n, cout, oh, ow}, gy.shape().dims(), "Genten's output shape");

        try (var sub = manager.newSubManager(); var gc = Engine.getInstance().newGradientCollector()) {
            NDArray dx = sub.create(x, new Shape(n, cin, h, w)), dw = sub.create(wv, new Shape(cin, cout, k, k));
            NDArray db = bias ? sub.create(bv, new Shape(cout)) : null;
            dx.setRequiresGradient(true);
            dw.setRequiresGradient(true);
            if (bias) db.setRequiresGradient(true);
            var y = TransposedConv2d.forward(dx, dw, db, stride, pad, op);
            assertEquals(new Shape(n, cout, oh, ow), y.getShape(), "DJL's output shape");
            close("forward", gy.toArray(), y.toFloatArray());
            // the gradient of sum(y * dy) is dy at y: a vector-Jacobian product with dy
            gc.backward(y.mul(sub.create(dy, y.getShape())).sum());
            close("dx", gdx.toArray(), dx.getGradient().toFloatArray());
            close("dw", layer.weight().grad().toArray(), dw.getGradient().toFloatArray());
            if (bias) close("db", layer.bias().grad().toArray(), db.getGradient().toFloatArray());
        } finally {
            gy.close();
            gdx.close();
            layer.close();
            backend.close();
        }
    }

    /** The oracle is not trivially satisfied: a wrong padding gives a different output shape or values. */
    @Test void wrongPaddingDiffers() {
        try (var sub = manager.newSubManager()) {
            var x = sub.randomNormal(new Shape(1, 4, 7, 7));
            var w = sub.randomNormal(new Shape(4, 3, 3, 3));
            var a = TransposedConv2d.forward(x, w, null, 2, 1, 1).toFloatArray();
            var b = TransposedConv2d.forward(x, w, null, 2, 0, 0).get(":, :, 1:15, 1:15").toFloatArray();
            assertEquals(a.length, b.length);
            assertTrue(maxDiff(a, b) < 1e-5, "p=1 op=1 is p=0 cropped by one on each side: " + maxDiff(a, b));
            var c = TransposedConv2d.forward(x, w, null, 2, 0, 0).get(":, :, 0:14, 0:14").toFloatArray();
            assertTrue(maxDiff(a, c) > 0.1, "a shifted output must not pass: " + maxDiff(a, c));
        }
    }

    /** The decomposition does no more multiply-adds than the direct transposed conv. */
    @Test void phaseMacsNoMoreThanDirect() {
        assertTrue(TransposedConv2d.phaseMacs(128, 64, 7, 5, 2, 2, 1) <= TransposedConv2d.directMacs(128, 64, 7, 5));
        assertTrue(TransposedConv2d.phaseMacs(64, 64, 7, 3, 2, 1, 1) <= TransposedConv2d.directMacs(64, 64, 7, 3));
        assertEquals(TransposedConv2d.directMacs(64, 64, 7, 3), TransposedConv2d.phaseMacs(64, 64, 7, 3, 2, 1, 1));
    }

    static float[] random(SplittableRandom rnd, int size) {
        var a = new float[size];
        for (int i = 0; i < size; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /** float32 tolerance relative to the reference's scale (sums of up to 6,400 products). */
    static void close(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + " size");
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 0, what + ": the reference is all zeros, the comparison would prove nothing");
        double err = maxDiff(expected, actual);
        for (float v : actual) assertTrue(Float.isFinite(v), what + ": non-finite value");
        assertTrue(err <= 2e-5 * scale + 1e-6, what + ": max |difference| " + err + " against a scale of " + scale);
    }
}
