package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.tensor.Tensor;

/**
 * The activations a layer may apply in its own pass: ReLU and LeakyReLU (alpha > 0), whose output has
 * the sign of their input, so their backward needs only the output and no pre-activation tensor is kept.
 */
final class FusedActivation {
    private FusedActivation() {}

    static boolean fusable(Activation act) {
        return switch (act) {
            case Activation.Identity i -> true;
            case Activation.Relu r -> true;
            case Activation.LeakyRelu l -> l.alpha() > 0;
            default -> false;
        };
    }

    static Activation check(String layer, Activation act) {
        if (!fusable(act)) throw new IllegalArgumentException(layer + ": cannot fuse " + act + " (only ReLU and LeakyReLU with alpha > 0)");
        return act;
    }

    /** dL/d(pre-activation) from the fused output y: the output stands in for the input (same sign). */
    static Tensor backward(Backend backend, Activation act, Tensor y, Tensor dy) {
        return act instanceof Activation.Identity ? dy : backend.activationBackward(act, y, y, dy);
    }
}
