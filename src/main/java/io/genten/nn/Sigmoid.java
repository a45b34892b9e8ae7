package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;

/** 1 / (1 + exp(-x)). */
public final class Sigmoid extends Pointwise {
    /**
     * A Sigmoid layer.
     *
     * @param backend the backend
     */
    public Sigmoid(Backend backend) { super(backend, Activation.SIGMOID); }
}
