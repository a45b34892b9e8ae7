package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;

public final class Sigmoid extends Pointwise {
    public Sigmoid(Backend backend) { super(backend, Activation.SIGMOID); }
}
