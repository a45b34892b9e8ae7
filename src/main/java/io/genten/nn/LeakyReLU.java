package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;

/** max(x, alpha x), PyTorch's negative_slope = alpha. */
public final class LeakyReLU extends Pointwise {
    /**
     * A LeakyReLU layer.
     *
     * @param backend the backend
     * @param alpha   the slope for negative inputs
     */
    public LeakyReLU(Backend backend, float alpha) { super(backend, Activation.leakyRelu(alpha)); }
}
