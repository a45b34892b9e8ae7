package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.tensor.Tensor;

/** A parameter-free pointwise activation; backward uses the cached input and output. */
public sealed class Pointwise extends Module permits ReLU, LeakyReLU, Tanh, Sigmoid {
    private final Activation act;
    private Tensor x, y;

    Pointwise(Backend backend, Activation act) {
        super(backend);
        this.act = act;
    }

    public Activation activation() { return act; }

    @Override public Tensor forward(Tensor x) {
        var y = backend.activationForward(act, x);
        this.x = x;
        this.y = y;
        return y;
    }

    @Override public Tensor backward(Tensor dy) {
        if (x == null) throw noForward(act.toString());
        return backend.activationBackward(act, x, y, dy);
    }
}
