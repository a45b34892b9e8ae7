package io.genten.backend.cuda;

import static io.genten.backend.cuda.GpuTestSupport.close;
import static io.genten.backend.cuda.GpuTestSupport.gemmTolerance;
import static io.genten.backend.cuda.GpuTestSupport.randn;
import static io.genten.backend.cuda.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;
import io.genten.backend.Reduction;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Device;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Backend op on CUDA against the CPU backend, on fresh random inputs, for every math mode and
 * both implementations of conv and batchnorm. Allocations are poisoned with NaN, so an output
 * element a kernel forgets to write fails the comparison.
 */
@Tag("gpu")
class CudaOpsTest {
    private static final CpuBackend CPU = CpuBackend.get();

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    static Stream<CudaOptions> configs() { return GpuTestSupport.CONFIGS.stream(); }

    /** n, cin, h, w, cout, k, stride, pad: odd sizes, batch 1, channels 1/3/5/37, every DCGAN and VAE layer. */
    static final int[][] CONV_CASES = {
            {1, 1, 5, 5, 1, 3, 1, 0},
            {3, 5, 9, 11, 7, 3, 2, 1},
            {2, 37, 13, 13, 5, 5, 2, 2},
            {1, 3, 8, 8, 4, 1, 1, 0},
            {2, 3, 7, 6, 37, 4, 3, 1},
            {5, 5, 1, 1, 3, 1, 1, 0},
            {2, 1, 3, 3, 2, 5, 1, 2},
            // DCGAN discriminator
            {8, 1, 28, 28, 64, 5, 2, 2},
            {8, 64, 14, 14, 128, 5, 2, 2},
            // DCGAN generator's transposed convs, as the convs whose backward-data they are
            {4, 128, 7, 7, 256, 5, 1, 2},
            {4, 64, 14, 14, 128, 5, 2, 2},
            {4, 1, 28, 28, 64, 5, 2, 2},
            // conv VAE: encoder, decoder transposed convs (as convs), last conv
            {8, 1, 28, 28, 32, 3, 2, 1},
            {8, 32, 14, 14, 64, 3, 2, 1},
            {8, 64, 14, 14, 64, 3, 2, 1},
            {8, 32, 28, 28, 64, 3, 2, 1},
            {8, 32, 28, 28, 1, 3, 1, 1},
            // the wide tile (conv.cu: 128 x 64 forward and backward-data, 64 x 128 backward-filter),
            // which the emulator build's tile rule picks here in every math mode (python3
            // native/check/issue_model.py's plan() with sms=1 mirrors it): forward, backward-data
            // over the 4 stride phases of a transposed conv with output padding (16 = (8-1)*2 - 2 + 3
            // + 1), backward-filter split in 2 (even sizes) ...
            {8, 40, 16, 16, 29, 3, 2, 1},
            // ... backward-data over odd phases and odd partial tiles, forward (K = 61 of 64 columns)
            {3, 63, 11, 11, 61, 3, 2, 1},
            // ... backward-filter split in 3 over odd sizes (N = 360 = 2 x 128 + 104), backward-data
            {9, 40, 15, 15, 29, 3, 2, 1},
            // ... forward with K = 64 (whole columns) and backward-filter over 4 x 4 taps, split in 3
            {12, 8, 16, 16, 64, 4, 2, 1},
            // split-K in forward and backward-data (conv.cu choose_splits: partial outputs summed in a
            // fixed order by a reduce that adds the bias once), which the rule picks here in every math
            // mode, the emulator's build too (plan() of native/check/issue_model.py mirrors it): few
            // positions, long reductions. Forward over odd sizes (30 positions, 855 deep: 6 splits) ...
            {1, 95, 6, 5, 17, 3, 1, 1},
            // ... forward over even sizes (32 positions, 1152 deep: 9 splits; backward-data in 2 in FP32) ...
            {2, 128, 4, 4, 32, 3, 1, 1},
            // ... backward-data over the 4 phases of stride 2 (256 to 1024 deep: 8 splits), even sizes ...
            {2, 24, 8, 8, 256, 3, 2, 1},
            // ... and over 4 odd phases (7 x 9 dx positions, a 200-channel dy: 6 splits)
            {3, 19, 7, 9, 200, 3, 2, 1},
    };

    static Stream<Arguments> convCases() {
        var out = new ArrayList<Arguments>();
        for (var o : GpuTestSupport.CONFIGS) for (var c : CONV_CASES) out.add(Arguments.of(o, c));
        return out.stream();
    }

    @ParameterizedTest @MethodSource("convCases")
    void conv2dMatchesCpu(CudaOptions o, int[] c) {
        var gpu = GpuTestSupport.backend(o);
        double tol = gemmTolerance(o);
        long seed = 1000L * c[1] + 31L * c[4] + c[0] * 7L + c[2];
        var spec = new Conv2dSpec(c[6], c[7]);
        try (var scope = TensorScope.open()) {
            var x = randn(seed, c[0], c[1], c[2], c[3]);
            var w = randn(seed + 1, c[4], c[1], c[5], c[5]);
            var b = randn(seed + 2, c[4]);
            var y = CPU.conv2dForward(x, w, b, spec);
            var dy = randn(seed + 3, y.shape().dims());
            var gx = gpu.copyOf(x);
            var gw = gpu.copyOf(w);
            var gb = gpu.copyOf(b);
            var gdy = gpu.copyOf(dy);
            String what = o + " conv " + java.util.Arrays.toString(c);
            close(what + " forward+bias", gpu.conv2dForward(gx, gw, gb, spec), y, tol);
            close(what + " forward", gpu.conv2dForward(gx, gw, null, spec), CPU.conv2dForward(x, w, null, spec), tol);
            close(what + " backward data", gpu.conv2dBackwardData(gdy, gw, x.shape(), spec), CPU.conv2dBackwardData(dy, w, x.shape(), spec), tol);
            close(what + " backward filter", gpu.conv2dBackwardFilter(gdy, gx, w.shape(), spec), CPU.conv2dBackwardFilter(dy, x, w.shape(), spec), tol);
            close(what + " bias gradient", gpu.biasGradient(gdy), CPU.biasGradient(dy), 1e-5);
        }
    }

    /**
     * Conv and batchnorm with the following ReLU/LeakyReLU fused (epilogue / normalize pass) vs the CPU's two steps;
     * the second conv takes forward split-K by the rule in every math mode (6 splits), where the reduce applies the
     * bias and the activation once, after the splits' sum.
     */
    @ParameterizedTest @MethodSource("configs")
    void fusedActivationsMatchCpu(CudaOptions o) {
        fusedActivationsMatchCpu(o, 71, new int[] {5, 3, 13, 13}, 37, 5, new Conv2dSpec(2, 2));
        fusedActivationsMatchCpu(o, 171, new int[] {1, 95, 6, 5}, 17, 3, new Conv2dSpec(1, 1));
    }

    private void fusedActivationsMatchCpu(CudaOptions o, long seed, int[] xDims, int cout, int kernel, Conv2dSpec spec) {
        var gpu = GpuTestSupport.backend(o);
        double tol = gemmTolerance(o);
        for (var act : List.of(Activation.RELU, Activation.leakyRelu(0.3f))) {
            try (var scope = TensorScope.open()) {
                String what = o + " fused " + act + " x " + java.util.Arrays.toString(xDims);
                var x = randn(seed, xDims);
                var w = randn(seed + 1, cout, xDims[1], kernel, kernel);
                var b = randn(seed + 2, cout);
                var gx = gpu.copyOf(x);
                var gw = gpu.copyOf(w);
                var y = CPU.activationForward(act, CPU.conv2dForward(x, w, b, spec));
                close(what + " conv+bias", gpu.conv2dForward(gx, gw, gpu.copyOf(b), spec, act), y, tol);
                close(what + " conv", gpu.conv2dForward(gx, gw, null, spec, act), CPU.activationForward(act, CPU.conv2dForward(x, w, null, spec)), tol);

                var gamma = uniform(seed + 3, 0.5f, 1.5f, cout);
                var beta = randn(seed + 4, cout);
                var rm = randn(seed + 5, cout);
                var rv = uniform(seed + 6, 0.5f, 2f, cout);
                var grm = gpu.copyOf(rm);
                var grv = gpu.copyOf(rv);
                var h = CPU.conv2dForward(x, w, b, spec);
                var gh = gpu.copyOf(h);
                var cpu = CPU.batchNormTrainForward(h, gamma, beta, rm, rv, 0.1f, 1e-5f);
                var g = gpu.batchNormTrainForward(gh, gpu.copyOf(gamma), gpu.copyOf(beta), grm, grv, 0.1f, 1e-5f, act);
                close(what + " batchnorm train", g.y(), CPU.activationForward(act, cpu.y()), 1e-5);
                close(what + " batchnorm running var", grv, rv, 1e-5);
                close(what + " batchnorm inference", gpu.batchNormInference(gh, gpu.copyOf(gamma), gpu.copyOf(beta), grm, grv, 1e-5f, act),
                        CPU.activationForward(act, CPU.batchNormInference(h, gamma, beta, rm, rv, 1e-5f)), 1e-5);
            }
        }
    }

    /** Transposed-conv shapes where output padding shows only in xShape: 7 -> 14 at stride 2. */
    @ParameterizedTest @MethodSource("configs")
    void transposedConvWithOutputPadding(CudaOptions o) {
        var gpu = GpuTestSupport.backend(o);
        var spec = new Conv2dSpec(2, 2);
        try (var scope = TensorScope.open()) {
            var x = randn(77, 3, 6, 7, 7);        // transposed-conv input
            var w = randn(78, 6, 4, 5, 5);        // (Cin, Cout, k, k)
            var outShape = spec.transposedOutputShape("test", x.shape(), w.shape(), 1);
            assertEquals(Shape.of(3, 4, 14, 14), outShape);
            close(o + " transposed forward", gpu.conv2dBackwardData(gpu.copyOf(x), gpu.copyOf(w), outShape, spec),
                    CPU.conv2dBackwardData(x, w, outShape, spec), gemmTolerance(o));
        }
    }

    @Test void nativeAndCudnnConvAgree() {
        var a = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0));
        var b = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(1));
        assertEquals(ConvImpl.NATIVE, a.options().conv());
        assertEquals(ConvImpl.CUDNN, b.options().conv());
        for (var c : CONV_CASES) {
            var spec = new Conv2dSpec(c[6], c[7]);
            try (var scope = TensorScope.open()) {
                var x = randn(c[1] * 13L + c[4], c[0], c[1], c[2], c[3]);
                var w = randn(c[1] * 17L + c[4], c[4], c[1], c[5], c[5]);
                var y = a.conv2dForward(a.copyOf(x), a.copyOf(w), null, spec);
                var dy = randn(5, y.shape().dims());
                close("native vs cuDNN forward " + java.util.Arrays.toString(c), y, b.conv2dForward(b.copyOf(x), b.copyOf(w), null, spec), 1e-5);
                close("native vs cuDNN backward data", a.conv2dBackwardData(a.copyOf(dy), a.copyOf(w), x.shape(), spec),
                        b.conv2dBackwardData(b.copyOf(dy), b.copyOf(w), x.shape(), spec), 1e-5);
                close("native vs cuDNN backward filter", a.conv2dBackwardFilter(a.copyOf(dy), a.copyOf(x), w.shape(), spec),
                        b.conv2dBackwardFilter(b.copyOf(dy), b.copyOf(x), w.shape(), spec), 1e-5);
            }
        }
    }

    static final int[][] BN_SHAPES = {
            {3, 5, 3, 3}, {2, 1, 1, 1}, {4, 37, 5, 7}, {7, 37}, {64, 12544},
            {16, 128, 7, 7}, {16, 64, 14, 14}, {16, 32, 14, 14}, {16, 64, 7, 7}, {8, 32, 28, 28}, {1, 3, 4, 4},
    };

    static Stream<Arguments> bnCases() {
        var out = new ArrayList<Arguments>();
        for (var o : GpuTestSupport.CONFIGS) for (var s : BN_SHAPES) for (float eps : new float[] {1e-5f, 1e-3f}) out.add(Arguments.of(o, s, eps));
        return out.stream();
    }

    @ParameterizedTest @MethodSource("bnCases")
    void batchNormMatchesCpu(CudaOptions o, int[] dims, float eps) {
        var gpu = GpuTestSupport.backend(o);
        int c = dims[1];
        long seed = dims[0] * 1009L + c;
        String what = o + " batchnorm " + java.util.Arrays.toString(dims) + " eps " + eps;
        try (var scope = TensorScope.open()) {
            var x = randn(seed, dims);
            var gamma = uniform(seed + 1, 0.5f, 1.5f, c);
            var beta = randn(seed + 2, c);
            var rm = randn(seed + 3, c);
            var rv = uniform(seed + 4, 0.5f, 2f, c);
            var grm = gpu.copyOf(rm);
            var grv = gpu.copyOf(rv);
            var gx = gpu.copyOf(x);
            var ggamma = gpu.copyOf(gamma);
            var cpu = CPU.batchNormTrainForward(x, gamma, beta, rm, rv, 0.1f, eps);
            var g = gpu.batchNormTrainForward(gx, ggamma, gpu.copyOf(beta), grm, grv, 0.1f, eps);
            close(what + " y", g.y(), cpu.y(), 1e-5);
            close(what + " mean", g.saveMean(), cpu.saveMean(), 1e-5);
            close(what + " invstd", g.saveInvStd(), cpu.saveInvStd(), 1e-5);
            close(what + " running mean", grm, rm, 1e-5);
            close(what + " running var (unbiased)", grv, rv, 1e-5);
            var dy = randn(seed + 5, dims);
            var cg = CPU.batchNormBackward(dy, x, gamma, cpu.saveMean(), cpu.saveInvStd());
            var gg = gpu.batchNormBackward(gpu.copyOf(dy), gx, ggamma, g.saveMean(), g.saveInvStd());
            close(what + " dx", gg.dx(), cg.dx(), 1e-4);
            close(what + " dgamma", gg.dgamma(), cg.dgamma(), 1e-5);
            close(what + " dbeta", gg.dbeta(), cg.dbeta(), 1e-5);
            close(what + " inference", gpu.batchNormInference(gx, ggamma, gpu.copyOf(beta), grm, grv, eps),
                    CPU.batchNormInference(x, gamma, beta, rm, rv, eps), 1e-5);
        }
    }

    @Test void nativeAndCudnnBatchNormAgree() {
        var a = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0));
        var b = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(1));
        assertEquals(BatchNormImpl.NATIVE, a.options().batchNorm());
        assertEquals(BatchNormImpl.CUDNN, b.options().batchNorm());
        for (var dims : BN_SHAPES) {
            int c = dims[1];
            try (var scope = TensorScope.open()) {
                var x = randn(c * 3L, dims);
                var gamma = uniform(c, 0.5f, 1.5f, c);
                var beta = randn(c + 1, c);
                var ya = a.batchNormTrainForward(a.copyOf(x), a.copyOf(gamma), a.copyOf(beta), a.zeros(Shape.of(c)), a.full(Shape.of(c), 1f), 0.1f, 1e-5f);
                var yb = b.batchNormTrainForward(b.copyOf(x), b.copyOf(gamma), b.copyOf(beta), b.zeros(Shape.of(c)), b.full(Shape.of(c), 1f), 0.1f, 1e-5f);
                close("native vs cuDNN batchnorm " + java.util.Arrays.toString(dims), ya.y(), yb.y(), 1e-5);
            }
        }
    }

    static final int[][] LINEAR_CASES = {
            {4, 100, 12}, {1, 7, 3}, {5, 37, 3}, {64, 100, 12544}, {64, 6272, 1}, {64, 3136, 32}, {64, 32, 3136}, {3, 1, 1},
    };

    static Stream<Arguments> linearCases() {
        var out = new ArrayList<Arguments>();
        for (var o : GpuTestSupport.CONFIGS) for (var c : LINEAR_CASES) out.add(Arguments.of(o, c));
        return out.stream();
    }

    @ParameterizedTest @MethodSource("linearCases")
    void linearMatchesCpu(CudaOptions o, int[] c) {
        var gpu = GpuTestSupport.backend(o);
        double tol = gemmTolerance(o);
        long seed = c[0] * 31L + c[1] * 7L + c[2];
        String what = o + " linear " + java.util.Arrays.toString(c);
        try (var scope = TensorScope.open()) {
            var x = randn(seed, c[0], c[1]);
            var w = randn(seed + 1, c[2], c[1]);
            var b = randn(seed + 2, c[2]);
            var dy = randn(seed + 3, c[0], c[2]);
            var gx = gpu.copyOf(x);
            var gw = gpu.copyOf(w);
            var gdy = gpu.copyOf(dy);
            close(what + " forward+bias", gpu.linearForward(gx, gw, gpu.copyOf(b)), CPU.linearForward(x, w, b), tol);
            close(what + " forward", gpu.linearForward(gx, gw, null), CPU.linearForward(x, w, null), tol);
            close(what + " backward data", gpu.linearBackwardData(gdy, gw), CPU.linearBackwardData(dy, w), tol);
            close(what + " backward weight", gpu.linearBackwardWeight(gdy, gx), CPU.linearBackwardWeight(dy, x), tol);
            close(what + " bias gradient", gpu.biasGradient(gdy), CPU.biasGradient(dy), 1e-5);
        }
    }

    static final List<Activation> ACTIVATIONS = List.of(Activation.IDENTITY, Activation.RELU, Activation.leakyRelu(0.3f),
            Activation.TANH, Activation.SIGMOID);

    @ParameterizedTest @MethodSource("configs")
    void addBiasInPlaceMatchesCpu(CudaOptions o) {
        var gpu = GpuTestSupport.backend(o);
        for (int[] dims : new int[][] {{1, 1, 1, 1}, {3, 5, 7, 9}, {64, 64, 14, 14}, {5, 37}}) {
            try (var scope = TensorScope.open()) {
                var y = randn(dims[0] + 31L, dims);
                var b = randn(dims[1] + 7L, dims[1]);
                var gy = gpu.copyOf(y);
                gpu.addBiasInPlace(gy, gpu.copyOf(b));
                CPU.addBiasInPlace(y, b);
                close("addBiasInPlace " + java.util.Arrays.toString(dims), gy, y, 1e-7);
            }
        }
    }

    @ParameterizedTest @MethodSource("configs")
    void pointwiseOpsMatchCpu(CudaOptions o) {
        var gpu = GpuTestSupport.backend(o);
        for (int n : new int[] {1, 7, 1000, 4097, 100_003}) {
            try (var scope = TensorScope.open()) {
                var x = randn(n, n);
                var y = randn(n + 1, n);
                var gx = gpu.copyOf(x);
                var gy = gpu.copyOf(y);
                for (var act : ACTIVATIONS) {
                    var f = CPU.activationForward(act, x);
                    var gf = gpu.activationForward(act, gx);
                    close(act + " forward n=" + n, gf, f, 1e-6);
                    close(act + " backward n=" + n, gpu.activationBackward(act, gx, gf, gy), CPU.activationBackward(act, x, f, y), 1e-6);
                }
                close("add", gpu.add(gx, gy), CPU.add(x, y), 1e-7);
                close("scale", gpu.scale(gx, -0.37f), CPU.scale(x, -0.37f), 1e-7);
                var acc = gpu.copyOf(x);
                var cacc = CPU.copyOf(x);
                gpu.addInPlace(acc, gy);
                CPU.addInPlace(cacc, y);
                close("addInPlace", acc, cacc, 1e-7);
                // a sum of random signs cancels: bound the error by the sum's natural scale, sqrt(sum x^2)
                double scale = 0;
                for (float v : x.toArray()) scale += (double) v * v;
                scale = Math.sqrt(scale);
                float cs = CPU.sum(x).item(), gs = gpu.sum(gx).item();
                assertTrue(Math.abs(gs - cs) <= 1e-5 * Math.max(Math.abs(cs), scale), "sum n=" + n + ": " + gs + " vs " + cs);
                float cmn = CPU.mean(x).item(), gmn = gpu.mean(gx).item();
                assertTrue(Math.abs(gmn - cmn) <= 1e-5 * Math.max(Math.abs(cmn), scale / n), "mean n=" + n + ": " + gmn + " vs " + cmn);
                assertEquals(Shape.scalar(), gpu.sum(gx).shape());
                var copy = gpu.empty(x.shape());
                gpu.copyInto(gx, copy);
                assertArrayEquals(x.toArray(), copy.toArray(), "copyInto");
                gpu.fill(copy, 2.5f);
                assertArrayEquals(CPU.full(x.shape(), 2.5f).toArray(), copy.toArray(), "fill");
                assertArrayEquals(new float[n], gpu.zeros(x.shape()).toArray(), "zeros");
                assertArrayEquals(x.toArray(), CPU.copyOf(gx).toArray(), "copyOf to host");
            }
        }
    }

    @ParameterizedTest @MethodSource("configs")
    void randomNumbersMatchCpuBitwise(CudaOptions o) {
        var gpu = GpuTestSupport.backend(o);
        long[][] keys = {{0, 0}, {42, 0}, {42, 5}, {0xDEADBEEFCAFEL, 1L << 40}, {-1L, 123456789L}};
        for (var k : keys) {
            for (int n : new int[] {1, 3, 4, 5, 4099, 65536}) {
                try (var scope = TensorScope.open()) {
                    var shape = Shape.of(n);
                    assertArrayEquals(CPU.rand(shape, k[0], k[1]).toArray(), gpu.rand(shape, k[0], k[1]).toArray(), "rand seed " + k[0] + " offset " + k[1] + " n " + n);
                    var cn = CPU.randn(shape, k[0], k[1]).toArray();
                    var gn = gpu.randn(shape, k[0], k[1]).toArray();
                    for (int i = 0; i < n; i++) {
                        assertTrue(Math.abs(cn[i] - gn[i]) <= 1e-6 * Math.max(1, Math.abs(cn[i])), "randn element " + i + ": " + gn[i] + " vs " + cn[i]);
                    }
                    var x = randn(n * 3L, n);
                    for (float p : new float[] {0f, 0.3f, 0.5f, 0.9f}) {
                        var c = CPU.dropoutForward(x, p, k[0], k[1]).toArray();
                        var g = gpu.dropoutForward(gpu.copyOf(x), p, k[0], k[1]).toArray();
                        var cb = CPU.dropoutBackward(x, p, k[0], k[1]).toArray();
                        var gb = gpu.dropoutBackward(gpu.copyOf(x), p, k[0], k[1]).toArray();
                        for (int i = 0; i < n; i++) {
                            assertEquals(c[i] == 0f, g[i] == 0f, "dropout mask element " + i + " p " + p);
                            assertEquals(cb[i] == 0f, gb[i] == 0f, "dropout backward mask element " + i + " p " + p);
                            assertTrue(Math.abs(c[i] - g[i]) <= 1e-6f * Math.abs(c[i]), "dropout value " + i + ": " + g[i] + " vs " + c[i]);
                        }
                    }
                    // non-finite inputs: a dropped NaN or infinity is NaN on both, a dropped finite value +0
                    float[] special = x.toArray();
                    for (int i = 0; i < n; i += 3) special[i] = i % 2 == 0 ? Float.NaN : Float.POSITIVE_INFINITY;
                    var xs = Tensor.wrap(special, shape);
                    var cs = CPU.dropoutForward(xs, 0.5f, k[0], k[1]).toArray();
                    var gs = gpu.dropoutForward(gpu.copyOf(xs), 0.5f, k[0], k[1]).toArray();
                    for (int i = 0; i < n; i++) {
                        assertEquals(Float.isNaN(cs[i]), Float.isNaN(gs[i]), "dropout of " + special[i] + " at " + i + ": " + gs[i] + " vs " + cs[i]);
                        if (cs[i] == 0f) assertEquals(Float.floatToRawIntBits(cs[i]), Float.floatToRawIntBits(gs[i]), "dropped sign at " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest @MethodSource("configs")
    void vaeOpsMatchCpu(CudaOptions o) {
        var gpu = GpuTestSupport.backend(o);
        for (int[] dims : new int[][] {{1, 1}, {4, 32}, {64, 32}, {7, 5}}) {
            try (var scope = TensorScope.open()) {
                var mu = randn(dims[0] * 5L, dims);
                var logvar = uniform(dims[0] * 7L, -2f, 1f, dims);
                var dz = randn(dims[0] * 11L, dims);
                var gmu = gpu.copyOf(mu);
                var glv = gpu.copyOf(logvar);
                var c = CPU.reparamForward(mu, logvar, 9L, 1234L);
                var g = gpu.reparamForward(gmu, glv, 9L, 1234L);
                close("reparam eps", g.eps(), c.eps(), 1e-6);
                close("reparam z", g.z(), c.z(), 1e-5);
                close("reparam z (eps given)", gpu.reparamForward(gmu, glv, gpu.copyOf(c.eps())), CPU.reparamForward(mu, logvar, c.eps()), 1e-6);
                for (float kl : new float[] {0f, 0.5f, 1f}) {
                    var cg = CPU.reparamBackward(dz, mu, logvar, c.eps(), kl);
                    var gg = gpu.reparamBackward(gpu.copyOf(dz), gmu, glv, gpu.copyOf(c.eps()), kl);
                    close("reparam dmu kl " + kl, gg.dmu(), cg.dmu(), 1e-6);
                    close("reparam dlogvar kl " + kl, gg.dlogvar(), cg.dlogvar(), 1e-6);
                }
                close("kl", gpu.klDivergence(gmu, glv), CPU.klDivergence(mu, logvar), 1e-5);
                var ck = CPU.klBackward(mu, logvar, 0.25f);
                var gk = gpu.klBackward(gmu, glv, 0.25f);
                close("kl dmu", gk.dmu(), ck.dmu(), 1e-6);
                close("kl dlogvar", gk.dlogvar(), ck.dlogvar(), 1e-6);
            }
        }
    }

    @ParameterizedTest @MethodSource("configs")
    void lossesMatchCpu(CudaOptions o) {
        var gpu = GpuTestSupport.backend(o);
        for (int[] dims : new int[][] {{1, 1}, {8, 1}, {64, 1}, {3, 1, 28, 28}, {64, 1, 28, 28}}) {
            try (var scope = TensorScope.open()) {
                var logits = randn(dims.length * 100L + dims[0], dims);
                var targets = uniform(dims[0] * 3L, 0f, 1f, dims);
                var gl = gpu.copyOf(logits);
                var gt = gpu.copyOf(targets);
                for (var r : Reduction.values()) {
                    String what = "dims " + java.util.Arrays.toString(dims) + " " + r;
                    close("bce " + what, gpu.bceWithLogits(gl, gt, r), CPU.bceWithLogits(logits, targets, r), 1e-5);
                    close("bce backward " + what, gpu.bceWithLogitsBackward(gl, gt, r, 0.7f), CPU.bceWithLogitsBackward(logits, targets, r, 0.7f), 1e-6);
                    close("mse " + what, gpu.mse(gl, gt, r), CPU.mse(logits, targets, r), 1e-5);
                    close("mse backward " + what, gpu.mseBackward(gl, gt, r, 1.3f), CPU.mseBackward(logits, targets, r, 1.3f), 1e-6);
                }
            }
        }
    }

    @ParameterizedTest @MethodSource("configs")
    void adamMatchesCpu(CudaOptions o) {
        var gpu = GpuTestSupport.backend(o);
        int[] sizes = {1, 37, 12544, 3, 6272};
        for (var cfg : List.of(AdamConfig.of(1e-3f, 0.9f, 0.999f), new AdamConfig(1e-4f, 0.5f, 0.99f, 1e-6f, 0.01f, false),
                new AdamConfig(2e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, true))) {
            try (var scope = TensorScope.open()) {
                List<Tensor> cp = new ArrayList<>(), cg = new ArrayList<>(), cm = new ArrayList<>(), cv = new ArrayList<>();
                List<Tensor> gp = new ArrayList<>(), gg = new ArrayList<>(), gm = new ArrayList<>(), gv = new ArrayList<>();
                for (int i = 0; i < sizes.length; i++) {
                    var p = randn(100 + i, sizes[i]);
                    cp.add(p);
                    gp.add(gpu.copyOf(p));
                    cm.add(CPU.zeros(p.shape()));
                    cv.add(CPU.zeros(p.shape()));
                    gm.add(gpu.zeros(p.shape()));
                    gv.add(gpu.zeros(p.shape()));
                }
                for (int step = 1; step <= 4; step++) {
                    cg.clear();
                    gg.clear();
                    for (int i = 0; i < sizes.length; i++) {
                        var g = randn(1000L * step + i, sizes[i]);
                        cg.add(g);
                        gg.add(gpu.copyOf(g));
                    }
                    CPU.adamStep(cp, cg, cm, cv, cfg, step);
                    gpu.adamStep(gp, gg, gm, gv, cfg, step);
                }
                for (int i = 0; i < sizes.length; i++) {
                    close(cfg + " param " + i, gp.get(i), cp.get(i), 1e-6);
                    close(cfg + " m " + i, gm.get(i), cm.get(i), 1e-6);
                    close(cfg + " v " + i, gv.get(i), cv.get(i), 1e-6);
                }
            }
        }
    }

    @Test void badShapesAreIllegalArgumentsNamingTheOp() {
        var gpu = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0));
        try (var scope = TensorScope.open()) {
            var x = gpu.zeros(Shape.of(2, 3, 8, 8));
            var w = gpu.zeros(Shape.of(4, 5, 3, 3));
            var e = assertThrows(IllegalArgumentException.class, () -> gpu.conv2dForward(x, w, null, new Conv2dSpec(1, 1)));
            assertTrue(e.getMessage().contains("conv2dForward"), e.getMessage());
            var e2 = assertThrows(IllegalArgumentException.class, () -> gpu.add(gpu.zeros(Shape.of(3)), gpu.zeros(Shape.of(4))));
            assertTrue(e2.getMessage().contains("add"), e2.getMessage());
            var e3 = assertThrows(IllegalArgumentException.class, () -> gpu.linearForward(gpu.zeros(Shape.of(2, 5)), gpu.zeros(Shape.of(3, 4)), null));
            assertTrue(e3.getMessage().contains("linearForward"), e3.getMessage());
            var host = Tensor.zeros(3);
            var e4 = assertThrows(IllegalArgumentException.class, () -> gpu.scale(host, 2f));
            assertTrue(e4.getMessage().contains("cpu"), e4.getMessage());
            var closed = gpu.zeros(Shape.of(3));
            closed.close();
            assertThrows(IllegalStateException.class, () -> gpu.scale(closed, 2f));
            assertEquals(Device.cuda(0), x.device());
        }
    }

    @Test void describeNamesDeviceAndLibraries() {
        var gpu = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(1));
        String d = gpu.describe();
        assertTrue(d.startsWith("cuda:0: "), d);
        assertTrue(d.contains("cuBLAS") && d.contains("cuDNN 9"), d);
        assertEquals("cuda", gpu.name());
        assertEquals(MathMode.FP32, gpu.mathMode());
        Backend b = gpu;
        assertEquals(Device.cuda(0), b.device());
    }
}
