package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;

public final class Tanh extends Pointwise {
    public Tanh(Backend backend) { super(backend, Activation.TANH); }
}
