package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** PyTorch's nn.Conv2d with a square kernel: weight (out, in, k, k), cross-correlation, zero padding. */
public final class Conv2d extends Module {
    private final Conv2dSpec spec;
    private final Parameter weight;
    private final Parameter bias;
    private Activation fused = Activation.IDENTITY; // applied in the conv's epilogue (Sequential.fuseActivations)
    private Tensor x, y;

    /**
     * A convolution with PyTorch's initialization.
     *
     * @param backend the backend
     * @param in      input channels
     * @param out     output channels
     * @param k       kernel size (square)
     * @param stride  stride
     * @param padding zero padding on every side
     * @param bias    whether to add a bias
     * @param init    the initializer (draws the weights in order)
     */
    public Conv2d(Backend backend, int in, int out, int k, int stride, int padding, boolean bias, Init init) {
        super(backend);
        if (in < 1 || out < 1 || k < 1) throw new IllegalArgumentException("Conv2d: in=" + in + " out=" + out + " k=" + k + " must be positive");
        this.spec = new Conv2dSpec(stride, padding);
        int fanIn = in * k * k;
        this.weight = registerParameter("weight", init.kaimingUniform(backend, Shape.of(out, in, k, k), fanIn));
        this.bias = bias ? registerParameter("bias", init.biasUniform(backend, Shape.of(out), fanIn)) : null;
    }

    /**
     * The weight (out, in, k, k).
     *
     * @return the parameter
     */
    public Parameter weight() { return weight; }

    /**
     * The bias (out), or null.
     *
     * @return the parameter, or null without bias
     */
    public Parameter bias() { return bias; }

    /**
     * Stride and padding.
     *
     * @return the spec
     */
    public Conv2dSpec spec() { return spec; }

    /** Applies {@code act} (ReLU or LeakyReLU: its backward is read off the output) in the conv's epilogue. */
    void fuse(Activation act) { fused = FusedActivation.check("Conv2d", act); }

    /**
     * The activation applied in the conv's epilogue ({@link Sequential#fuseActivations()}).
     *
     * @return IDENTITY unless fused
     */
    public Activation fusedActivation() { return fused; }

    @Override public Tensor forward(Tensor x) {
        var out = infer(x);
        this.x = x;
        this.y = out;
        return out;
    }

    @Override public Tensor infer(Tensor x) {
        return backend.conv2dForward(x, weight.value(), bias == null ? null : bias.value(), spec, fused);
    }

    @Override public Tensor backward(Tensor dy) {
        var g = parameterGradients(dy);
        return backend.conv2dBackwardData(g, weight.value(), x.shape(), spec);
    }

    @Override public void backwardParameters(Tensor dy) { parameterGradients(dy); }

    /** Accumulates the weight's and bias's gradients; returns dy through the fused activation. */
    private Tensor parameterGradients(Tensor dy) {
        if (x == null) throw noForward("Conv2d");
        var w = weight.value();
        var expected = spec.outputShape("Conv2d.backward", x.shape(), w.shape());
        if (!dy.shape().equals(expected)) throw new IllegalArgumentException("Conv2d.backward: dy " + dy.shape() + " but the forward output was " + expected);
        dy = FusedActivation.backward(backend, fused, y, dy);
        if (weight.requiresGrad()) accumulate(weight, backend.conv2dBackwardFilter(dy, x, w.shape(), spec));
        if (bias != null && bias.requiresGrad()) accumulate(bias, backend.biasGradient(dy));
        return dy;
    }
}
