package io.genten.backend.cpu;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.BatchNormGradients;
import io.genten.backend.BatchNormOutput;
import io.genten.backend.Checks;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.GaussianGradients;
import io.genten.backend.MathMode;
import io.genten.backend.Reduction;
import io.genten.backend.ReparamOutput;
import io.genten.tensor.Device;
import io.genten.tensor.HostStorage;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * The Java backend: the test oracle for every other backend and the fallback without a GPU.
 * Each op family lives in its own class; this class only routes and checks devices.
 */
public final class CpuBackend implements Backend {
    private static final CpuBackend INSTANCE = new CpuBackend(Gemm.DEFAULT);

    /** The GEMM under conv and linear: OpenBLAS or the Java path; fixed per instance. */
    private final Gemm gemm;

    private CpuBackend(Gemm gemm) { this.gemm = gemm; }

    public static CpuBackend get() { return INSTANCE; }

    /**
     * A backend whose conv and linear layers run the plain-Java GEMM, as on a machine without
     * OpenBLAS: lets the tests cover that path beside the OpenBLAS one in the same JVM.
     */
    static CpuBackend withJavaGemm() { return new CpuBackend(Gemm.JAVA); }

    @Override public String name() { return "cpu"; }

    @Override public Device device() { return Device.CPU; }

    @Override public String describe() {
        return "cpu: " + Parallel.threads() + " threads, " + gemm.describe();
    }

    @Override public MathMode mathMode() { return MathMode.FP32; }

    // ---- memory ------------------------------------------------------------------------

    static Tensor alloc(Shape shape) { return new Tensor(shape, new HostStorage(new float[shape.size()])); }

    @Override public Tensor empty(Shape shape) { return alloc(shape); }

    @Override public Tensor zeros(Shape shape) { return alloc(shape); }

    @Override public Tensor full(Shape shape, float value) {
        var t = alloc(shape);
        Arrays.fill(t.hostArray(), value);
        return t;
    }

    @Override public Tensor copyOf(Tensor t) {
        t.checkOpen();
        var out = alloc(t.shape());
        t.storage().read(0, out.hostArray(), 0, t.shape().size());
        return out;
    }

    @Override public void copyInto(Tensor src, Tensor dst) {
        Checks.on("copyInto", device(), src, dst);
        if (src.numel() != dst.numel()) throw new IllegalArgumentException("copyInto: " + src.shape() + " into " + dst.shape());
        System.arraycopy(src.hostArray(), 0, dst.hostArray(), 0, src.shape().size());
    }

    @Override public void fill(Tensor t, float value) {
        Checks.on("fill", device(), t);
        Arrays.fill(t.hostArray(), 0, t.shape().size(), value);
    }

    @Override public Tensor randn(Shape shape, long seed, long offset) {
        var t = alloc(shape);
        Philox.fillNormal(seed, offset, t.hostArray());
        return t;
    }

    @Override public Tensor rand(Shape shape, long seed, long offset) {
        var t = alloc(shape);
        Philox.fillUniform(seed, offset, t.hostArray());
        return t;
    }

    @Override public void synchronize() {}

    // ---- convolution -----------------------------------------------------------------------

    @Override public Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        Checks.on("conv2dForward", device(), x, w, bias);
        return CpuConv.forward(gemm, x, w, bias, spec);
    }

    @Override public Tensor conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        Checks.on("conv2dBackwardData", device(), dy, w);
        return CpuConv.backwardData(gemm, dy, w, xShape, spec);
    }

    @Override public Tensor conv2dBackwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        Checks.on("conv2dBackwardFilter", device(), dy, x);
        return CpuConv.backwardFilter(gemm, dy, x, wShape, spec);
    }

    @Override public Tensor biasGradient(Tensor dy) {
        Checks.on("biasGradient", device(), dy);
        return CpuConv.biasGradient(dy);
    }

    @Override public void addBiasInPlace(Tensor y, Tensor bias) {
        Checks.on("addBiasInPlace", device(), y, bias);
        CpuBias.addInPlace(y, bias);
    }

    // ---- batchnorm -------------------------------------------------------------------------

    @Override public BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                           Tensor runningVar, float momentum, float eps) {
        Checks.on("batchNormTrainForward", device(), x, gamma, beta, runningMean, runningVar);
        return CpuBatchNorm.trainForward(x, gamma, beta, runningMean, runningVar, momentum, eps);
    }

    @Override public BatchNormGradients batchNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        Checks.on("batchNormBackward", device(), dy, x, gamma, saveMean, saveInvStd);
        return CpuBatchNorm.backward(dy, x, gamma, saveMean, saveInvStd);
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps) {
        Checks.on("batchNormInference", device(), x, gamma, beta, runningMean, runningVar);
        return CpuBatchNorm.inference(x, gamma, beta, runningMean, runningVar, eps);
    }

    // ---- linear ----------------------------------------------------------------------------

    @Override public Tensor linearForward(Tensor x, Tensor w, Tensor bias) {
        Checks.on("linearForward", device(), x, w, bias);
        return CpuLinear.forward(gemm, x, w, bias);
    }

    @Override public Tensor linearBackwardData(Tensor dy, Tensor w) {
        Checks.on("linearBackwardData", device(), dy, w);
        return CpuLinear.backwardData(gemm, dy, w);
    }

    @Override public Tensor linearBackwardWeight(Tensor dy, Tensor x) {
        Checks.on("linearBackwardWeight", device(), dy, x);
        return CpuLinear.backwardWeight(gemm, dy, x);
    }

    // ---- pointwise -------------------------------------------------------------------------

    @Override public Tensor activationForward(Activation act, Tensor x) {
        Checks.on("activationForward", device(), x);
        return CpuPointwise.activationForward(act, x);
    }

    @Override public Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy) {
        Checks.on("activationBackward", device(), x, y, dy);
        return CpuPointwise.activationBackward(act, x, y, dy);
    }

    @Override public Tensor dropoutForward(Tensor x, float p, long seed, long offset) {
        Checks.on("dropoutForward", device(), x);
        return CpuPointwise.dropout(x, p, seed, offset);
    }

    @Override public Tensor dropoutBackward(Tensor dy, float p, long seed, long offset) {
        Checks.on("dropoutBackward", device(), dy);
        return CpuPointwise.dropout(dy, p, seed, offset);
    }

    @Override public Tensor add(Tensor a, Tensor b) {
        Checks.on("add", device(), a, b);
        return CpuPointwise.add(a, b);
    }

    @Override public void addInPlace(Tensor acc, Tensor x) {
        Checks.on("addInPlace", device(), acc, x);
        CpuPointwise.addInPlace(acc, x);
    }

    @Override public Tensor scale(Tensor a, float s) {
        Checks.on("scale", device(), a);
        return CpuPointwise.scale(a, s);
    }

    @Override public Tensor sum(Tensor t) {
        Checks.on("sum", device(), t);
        return CpuPointwise.sum(t);
    }

    @Override public Tensor mean(Tensor t) {
        Checks.on("mean", device(), t);
        return CpuPointwise.mean(t);
    }

    // ---- VAE ---------------------------------------------------------------------------------

    @Override public ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset) {
        Checks.on("reparamForward", device(), mu, logvar);
        return CpuVae.reparamForward(mu, logvar, seed, offset);
    }

    @Override public Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps) {
        Checks.on("reparamForward", device(), mu, logvar, eps);
        return CpuVae.reparamForward(mu, logvar, eps);
    }

    @Override public GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale) {
        Checks.on("reparamBackward", device(), dz, mu, logvar, eps);
        return CpuVae.reparamBackward(dz, mu, logvar, eps, klScale);
    }

    @Override public Tensor klDivergence(Tensor mu, Tensor logvar) {
        Checks.on("klDivergence", device(), mu, logvar);
        return CpuVae.kl(mu, logvar);
    }

    @Override public GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale) {
        Checks.on("klBackward", device(), mu, logvar);
        return CpuVae.klBackward(mu, logvar, scale);
    }

    // ---- losses --------------------------------------------------------------------------------

    @Override public Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction) {
        Checks.on("bceWithLogits", device(), logits, targets);
        return CpuLosses.bceWithLogits(logits, targets, reduction);
    }

    @Override public Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        Checks.on("bceWithLogitsBackward", device(), logits, targets);
        return CpuLosses.bceWithLogitsBackward(logits, targets, reduction, scale);
    }

    @Override public Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
        Checks.on("mse", device(), prediction, target);
        return CpuLosses.mse(prediction, target, reduction);
    }

    @Override public Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale) {
        Checks.on("mseBackward", device(), prediction, target);
        return CpuLosses.mseBackward(prediction, target, reduction, scale);
    }

    // ---- optimizer -----------------------------------------------------------------------------

    @Override public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step) {
        for (var list : List.of(params, grads, m, v)) Checks.on("adamStep", device(), list.toArray(Tensor[]::new));
        CpuAdam.step(params, grads, m, v, config, step);
    }
}
