package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;

/** max(x, 0). */
public final class ReLU extends Pointwise {
    /**
     * A ReLU layer.
     *
     * @param backend the backend
     */
    public ReLU(Backend backend) { super(backend, Activation.RELU); }
}
