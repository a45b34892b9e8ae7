package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;

/** tanh(x), in (-1, 1). */
public final class Tanh extends Pointwise {
    /**
     * A Tanh layer.
     *
     * @param backend the backend
     */
    public Tanh(Backend backend) { super(backend, Activation.TANH); }
}
