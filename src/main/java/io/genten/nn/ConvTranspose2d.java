package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * PyTorch's nn.ConvTranspose2d with a square kernel: weight (in, out, k, k). It is the adjoint of
 * a conv2d from {@code out} to {@code in} channels with the same weight, so forward is that conv's
 * backward-data, backward-data is its forward, and the weight gradient is its backward-filter
 * with the roles of input and output gradient swapped.
 *
 * <p>PyTorch computes the init fan_in from weight dimension 1: fan_in = out * k * k.
 */
public final class ConvTranspose2d extends Module {
    private final int outputPadding;
    private final Conv2dSpec spec;
    private final Parameter weight;
    private final Parameter bias;
    private final Tensor identity; // (out, out, 1, 1): adds the bias through conv2dForward, see addBias
    private Tensor x;

    public ConvTranspose2d(Backend backend, int in, int out, int k, int stride, int padding, int outputPadding, boolean bias, Init init) {
        super(backend);
        if (in < 1 || out < 1 || k < 1) throw new IllegalArgumentException("ConvTranspose2d: in=" + in + " out=" + out + " k=" + k + " must be positive");
        this.spec = new Conv2dSpec(stride, padding);
        if (outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("ConvTranspose2d: output padding " + outputPadding + " must be in [0, stride " + stride + ")");
        }
        this.outputPadding = outputPadding;
        int fanIn = out * k * k;
        this.weight = registerParameter("weight", init.kaimingUniform(backend, Shape.of(in, out, k, k), fanIn));
        this.bias = bias ? registerParameter("bias", init.biasUniform(backend, Shape.of(out), fanIn)) : null;
        this.identity = bias ? identityKernel(backend, out) : null;
    }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }

    @Override public Tensor forward(Tensor x) {
        var w = weight.value();
        var yShape = spec.transposedOutputShape("ConvTranspose2d", x.shape(), w.shape(), outputPadding);
        this.x = x;
        var y = backend.conv2dBackwardData(x, w, yShape, spec);
        return bias == null ? y : addBias(y);
    }

    /**
     * The Backend has no broadcast bias-add and conv2dBackwardData takes no bias, so the bias
     * goes through a 1x1 identity convolution: exact (each output is 1 * y + bias), at the cost of
     * out^2 multiply-adds per pixel. A fused backend op would remove that cost.
     */
    private Tensor addBias(Tensor y) {
        try (var plain = y) {
            return backend.conv2dForward(plain, identity, bias.value(), IDENTITY_SPEC);
        }
    }

    private static final Conv2dSpec IDENTITY_SPEC = new Conv2dSpec(1, 0);

    private static Tensor identityKernel(Backend backend, int c) {
        var values = new float[c * c];
        for (int i = 0; i < c; i++) values[i * c + i] = 1f;
        try (var host = Tensor.wrap(values, Shape.of(c, c, 1, 1))) {
            return backend.copyOf(host);
        }
    }

    @Override public Tensor backward(Tensor dy) {
        if (x == null) throw noForward("ConvTranspose2d");
        var w = weight.value();
        var expected = spec.transposedOutputShape("ConvTranspose2d.backward", x.shape(), w.shape(), outputPadding);
        if (!dy.shape().equals(expected)) throw new IllegalArgumentException("ConvTranspose2d.backward: dy " + dy.shape() + " but the forward output was " + expected);
        if (weight.requiresGrad()) accumulate(weight, backend.conv2dBackwardFilter(x, dy, w.shape(), spec));
        if (bias != null && bias.requiresGrad()) accumulate(bias, backend.biasGradient(dy));
        return backend.conv2dForward(dy, w, null, spec);
    }
}
