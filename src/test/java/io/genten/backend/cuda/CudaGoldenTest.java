package io.genten.backend.cuda;

import static io.genten.backend.cuda.GpuTestSupport.close;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.Reduction;
import io.genten.io.SafeTensors;
import io.genten.tensor.TensorScope;
import io.genten.testing.Golden;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** PyTorch's golden op values on CUDA, strict FP32 (our kernels and cuDNN). */
@Tag("gpu")
class CudaGoldenTest {
    private static final double TOL = 1e-5;

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    static Stream<CudaOptions> strict() { return GpuTestSupport.CONFIGS.stream().filter(o -> o.math() != io.genten.backend.MathMode.TF32); }

    private static int meta(SafeTensors.Contents f, String c, String key) {
        var m = Pattern.compile(key + "=(\\d+)").matcher(f.metadata().get(c));
        if (!m.find()) throw new AssertionError(c + ": no " + key + " in " + f.metadata().get(c));
        return Integer.parseInt(m.group(1));
    }

    private static float metaFloat(SafeTensors.Contents f, String c, String key) {
        var m = Pattern.compile(key + "=([0-9.e-]+)").matcher(f.metadata().get(c));
        if (!m.find()) throw new AssertionError(c + ": no " + key + " in " + f.metadata().get(c));
        return Float.parseFloat(m.group(1));
    }

    private static List<String> cases(SafeTensors.Contents f) {
        var out = new ArrayList<String>();
        for (int i = 0; f.metadata().containsKey("case" + i); i++) out.add("case" + i);
        return out;
    }

    @ParameterizedTest @MethodSource("strict")
    void conv2d(CudaOptions o) {
        var g = GpuTestSupport.backend(o);
        try (var f = Golden.op("conv2d"); var scope = TensorScope.open()) {
            for (var c : cases(f)) {
                var spec = new Conv2dSpec(meta(f, c, "stride"), meta(f, c, "pad"));
                var x = g.copyOf(f.get(c + ".x"));
                var w = g.copyOf(f.get(c + ".w"));
                var dy = g.copyOf(f.get(c + ".dy"));
                close(c + " y", g.conv2dForward(x, w, g.copyOf(f.get(c + ".b")), spec), f.get(c + ".y"), TOL);
                close(c + " dx", g.conv2dBackwardData(dy, w, x.shape(), spec), f.get(c + ".dx"), TOL);
                close(c + " dw", g.conv2dBackwardFilter(dy, x, w.shape(), spec), f.get(c + ".dw"), TOL);
                close(c + " db", g.biasGradient(dy), f.get(c + ".db"), TOL);
            }
        }
    }

    @ParameterizedTest @MethodSource("strict")
    void convTranspose2d(CudaOptions o) {
        var g = GpuTestSupport.backend(o);
        try (var f = Golden.op("conv_transpose2d"); var scope = TensorScope.open()) {
            for (var c : cases(f)) {
                var spec = new Conv2dSpec(meta(f, c, "stride"), meta(f, c, "pad"));
                var x = g.copyOf(f.get(c + ".x"));
                var w = g.copyOf(f.get(c + ".w"));
                var dy = g.copyOf(f.get(c + ".dy"));
                var yShape = f.get(c + ".y").shape();
                // a transposed conv is the backward-data of the conv with the same weight
                close(c + " y", g.conv2dBackwardData(x, w, yShape, spec), f.get(c + ".y"), TOL);
                close(c + " dx", g.conv2dForward(dy, w, null, spec), f.get(c + ".dx"), TOL);
                close(c + " dw", g.conv2dBackwardFilter(x, dy, w.shape(), spec), f.get(c + ".dw"), TOL);
            }
        }
    }

    @ParameterizedTest @MethodSource("strict")
    void batchNorm(CudaOptions o) {
        var g = GpuTestSupport.backend(o);
        try (var f = Golden.op("batchnorm"); var scope = TensorScope.open()) {
            for (var c : cases(f)) {
                float eps = metaFloat(f, c, "eps");
                var x = g.copyOf(f.get(c + ".x"));
                var gamma = g.copyOf(f.get(c + ".gamma"));
                var beta = g.copyOf(f.get(c + ".beta"));
                int ch = x.dim(1);
                var rm = g.zeros(io.genten.tensor.Shape.of(ch));
                var rv = g.full(io.genten.tensor.Shape.of(ch), 1f);
                var out = g.batchNormTrainForward(x, gamma, beta, rm, rv, 0.1f, eps);
                close(c + " y", out.y(), f.get(c + ".y"), TOL);
                close(c + " running_mean", rm, f.get(c + ".running_mean"), TOL);
                close(c + " running_var", rv, f.get(c + ".running_var"), TOL);
                var grads = g.batchNormBackward(g.copyOf(f.get(c + ".dy")), x, gamma, out.saveMean(), out.saveInvStd());
                close(c + " dx", grads.dx(), f.get(c + ".dx"), 1e-4);
                close(c + " dgamma", grads.dgamma(), f.get(c + ".dgamma"), TOL);
                close(c + " dbeta", grads.dbeta(), f.get(c + ".dbeta"), TOL);
                close(c + " y_inference", g.batchNormInference(x, gamma, beta, rm, rv, eps), f.get(c + ".y_inference"), TOL);
            }
        }
    }

    @ParameterizedTest @MethodSource("strict")
    void linearActivationsLossesReparamAdam(CudaOptions o) {
        var g = GpuTestSupport.backend(o);
        try (var scope = TensorScope.open()) {
            try (var f = Golden.op("linear")) {
                for (var c : cases(f)) {
                    var x = g.copyOf(f.get(c + ".x"));
                    var w = g.copyOf(f.get(c + ".w"));
                    var dy = g.copyOf(f.get(c + ".dy"));
                    close(c + " linear y", g.linearForward(x, w, g.copyOf(f.get(c + ".b"))), f.get(c + ".y"), TOL);
                    close(c + " linear dx", g.linearBackwardData(dy, w), f.get(c + ".dx"), TOL);
                    close(c + " linear dw", g.linearBackwardWeight(dy, x), f.get(c + ".dw"), TOL);
                    close(c + " linear db", g.biasGradient(dy), f.get(c + ".db"), TOL);
                }
            }
            try (var f = Golden.op("activations")) {
                var acts = List.of(Activation.RELU, Activation.leakyRelu(0.3f), Activation.TANH, Activation.SIGMOID);
                for (int i = 0; i < acts.size(); i++) {
                    String c = "case" + i;
                    var x = g.copyOf(f.get(c + ".x"));
                    var y = g.activationForward(acts.get(i), x);
                    close(c + " " + acts.get(i) + " y", y, f.get(c + ".y"), 1e-6);
                    close(c + " " + acts.get(i) + " dx", g.activationBackward(acts.get(i), x, y, g.copyOf(f.get(c + ".dy"))), f.get(c + ".dx"), 1e-6);
                }
            }
            try (var f = Golden.op("losses")) {
                for (int i = 0; i < 3; i++) {
                    String c = "case" + i;
                    var r = i == 0 ? Reduction.MEAN : Reduction.SUM;
                    var l = g.copyOf(f.get(c + ".logits"));
                    var t = g.copyOf(f.get(c + ".target"));
                    close(c + " bce", g.bceWithLogits(l, t, r).reshape(1), f.get(c + ".loss"), TOL);
                    close(c + " dbce", g.bceWithLogitsBackward(l, t, r, 1f), f.get(c + ".dlogits"), TOL);
                }
                var mu = g.copyOf(f.get("case3.mu"));
                var lv = g.copyOf(f.get("case3.logvar"));
                close("kl", g.klDivergence(mu, lv).reshape(1), f.get("case3.loss"), TOL);
                var kb = g.klBackward(mu, lv, 1f);
                close("kl dmu", kb.dmu(), f.get("case3.dmu"), TOL);
                close("kl dlogvar", kb.dlogvar(), f.get("case3.dlogvar"), TOL);
            }
            try (var f = Golden.op("reparam")) {
                var mu = g.copyOf(f.get("case0.mu"));
                var lv = g.copyOf(f.get("case0.logvar"));
                var eps = g.copyOf(f.get("case0.eps"));
                close("reparam z", g.reparamForward(mu, lv, eps), f.get("case0.z"), TOL);
                var gr = g.reparamBackward(g.copyOf(f.get("case0.dz")), mu, lv, eps, 0f);
                close("reparam dmu", gr.dmu(), f.get("case0.dmu"), TOL);
                close("reparam dlogvar", gr.dlogvar(), f.get("case0.dlogvar"), TOL);
            }
            try (var f = Golden.op("adam")) {
                for (var c : cases(f)) {
                    float lr = metaFloat(f, c, "lr");
                    var p = g.copyOf(f.get(c + ".p0"));
                    var m = g.zeros(p.shape());
                    var v = g.zeros(p.shape());
                    for (int s = 1; s <= 3; s++) {
                        g.adamStep(List.of(p), List.of(g.copyOf(f.get(c + ".g" + s))), List.of(m), List.of(v), AdamConfig.of(lr, 0.9f, 0.999f), s);
                        close(c + " adam step " + s, p, f.get(c + ".p" + s), TOL);
                    }
                }
            }
        }
    }

}
