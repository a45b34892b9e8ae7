package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.backend.Checks;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** y = x w^T + b with x (N, in), w (out, in) as PyTorch's nn.Linear. */
public final class Linear extends Module {
    private final int in, out;
    private final Parameter weight;
    private final Parameter bias;
    private Tensor x;

    /**
     * A fully connected layer with PyTorch's initialization.
     *
     * @param backend the backend
     * @param in      input features
     * @param out     output features
     * @param bias    whether to add a bias
     * @param init    the initializer (draws the weights in order)
     */
    public Linear(Backend backend, int in, int out, boolean bias, Init init) {
        super(backend);
        if (in < 1 || out < 1) throw new IllegalArgumentException("Linear: sizes in=" + in + " out=" + out + " must be positive");
        this.in = in;
        this.out = out;
        this.weight = registerParameter("weight", init.kaimingUniform(backend, Shape.of(out, in), in));
        this.bias = bias ? registerParameter("bias", init.biasUniform(backend, Shape.of(out), in)) : null;
    }

    /**
     * The weight (out, in).
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
        Checks.rank("Linear(" + in + ", " + out + ")", "x", x.shape(), 2);
        if (x.dim(1) != in) throw new IllegalArgumentException("Linear(" + in + ", " + out + "): input " + x.shape() + " has " + x.dim(1) + " features");
        return backend.linearForward(x, weight.value(), bias == null ? null : bias.value());
    }

    @Override public Tensor backward(Tensor dy) {
        parameterGradients(dy);
        return backend.linearBackwardData(dy, weight.value());
    }

    @Override public void backwardParameters(Tensor dy) { parameterGradients(dy); }

    private void parameterGradients(Tensor dy) {
        if (x == null) throw noForward("Linear");
        Checks.shape("Linear.backward", "dy", dy, Shape.of(x.dim(0), out));
        if (weight.requiresGrad()) accumulate(weight, backend.linearBackwardWeight(dy, x));
        if (bias != null && bias.requiresGrad()) accumulate(bias, backend.biasGradient(dy));
    }
}
