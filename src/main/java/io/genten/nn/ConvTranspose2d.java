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
    private Tensor x;

    /**
     * A transposed convolution with PyTorch's initialization.
     *
     * @param backend       the backend
     * @param in            input channels
     * @param out           output channels
     * @param k             kernel size (square)
     * @param stride        stride
     * @param padding       the padding of the equivalent conv (PyTorch's {@code padding})
     * @param outputPadding extra rows and columns at the bottom and right, in [0, stride)
     * @param bias          whether to add a bias
     * @param init          the initializer (draws the weights in order)
     */
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
    }

    /**
     * The weight (in, out, k, k).
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

    @Override public Tensor forward(Tensor x) {
        var y = infer(x);
        this.x = x;
        return y;
    }

    @Override public Tensor infer(Tensor x) {
        var w = weight.value();
        var yShape = spec.transposedOutputShape("ConvTranspose2d", x.shape(), w.shape(), outputPadding);
        var y = backend.conv2dBackwardData(x, w, yShape, spec);
        return bias == null ? y : addBias(y);
    }

    private Tensor addBias(Tensor y) {
        backend.addBiasInPlace(y, bias.value());
        return y;
    }

    @Override public Tensor backward(Tensor dy) {
        if (x == null) throw noForward("ConvTranspose2d");
        var w = weight.value();
        var expected = spec.transposedOutputShape("ConvTranspose2d.backward", x.shape(), w.shape(), outputPadding);
        if (!dy.shape().equals(expected)) throw new IllegalArgumentException("ConvTranspose2d.backward: dy " + dy.shape() + " but the forward output was " + expected);
        var grads = backend.convTranspose2dBackward(dy, x, w, spec, weight.requiresGrad());
        if (grads.dw() != null) accumulate(weight, grads.dw());
        if (bias != null && bias.requiresGrad()) accumulate(bias, backend.biasGradient(dy));
        return grads.dx();
    }
}
