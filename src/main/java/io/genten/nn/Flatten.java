package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** (N, ...) -> (N, everything else), a view. */
public final class Flatten extends Module {
    private Shape inputShape;

    /**
     * A flatten layer.
     *
     * @param backend the backend
     */
    public Flatten(Backend backend) { super(backend); }

    @Override public Tensor forward(Tensor x) {
        inputShape = x.shape();
        return x.reshape(x.dim(0), x.shape().sampleSize());
    }

    @Override public Tensor infer(Tensor x) { return x.reshape(x.dim(0), x.shape().sampleSize()); }

    @Override public Tensor backward(Tensor dy) {
        if (inputShape == null) throw noForward("Flatten");
        return dy.reshape(inputShape);
    }
}
