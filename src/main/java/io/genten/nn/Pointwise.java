package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.tensor.Tensor;

/** A parameter-free pointwise activation; backward uses the cached input and output. */
public sealed class Pointwise extends Module permits ReLU, LeakyReLU, Tanh, Sigmoid {
    private final Activation act;
    private boolean absorbed; // the layer before applies this activation (Sequential.fuseActivations)
    private Tensor x, y;

    Pointwise(Backend backend, Activation act) {
        super(backend);
        this.act = act;
    }

    /**
     * The function this layer applies.
     *
     * @return the activation
     */
    public Activation activation() { return act; }

    /** From now on the preceding layer applies this activation: forward and backward pass through. */
    void absorb() { absorbed = true; }

    /**
     * Whether the preceding layer applies this activation (see {@link Sequential#fuseActivations()}).
     *
     * @return true when fused away
     */
    public boolean isAbsorbed() { return absorbed; }

    @Override public Tensor forward(Tensor x) {
        if (absorbed) {
            this.x = x;
            return x;
        }
        var y = backend.activationForward(act, x);
        this.x = x;
        this.y = y;
        return y;
    }

    @Override public Tensor infer(Tensor x) {
        return absorbed ? x : backend.activationForward(act, x);
    }

    @Override public Tensor backward(Tensor dy) {
        if (x == null) throw noForward(act.toString());
        return absorbed ? dy : backend.activationBackward(act, x, y, dy);
    }
}
