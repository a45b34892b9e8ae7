package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;

public final class ReLU extends Pointwise {
    public ReLU(Backend backend) { super(backend, Activation.RELU); }
}
