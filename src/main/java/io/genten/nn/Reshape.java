package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.Arrays;

/** Views each sample as {@code dims} (the batch dimension is kept); no copy. */
public final class Reshape extends Module {
    private final int[] dims;
    private Shape inputShape;

    /**
     * A reshape layer.
     *
     * @param backend the backend
     * @param dims    the dimensions of each sample (their product must be the input's per-sample size)
     */
    public Reshape(Backend backend, int... dims) {
        super(backend);
        this.dims = dims.clone();
    }

    @Override public Tensor forward(Tensor x) {
        var y = infer(x);
        inputShape = x.shape();
        return y;
    }

    @Override public Tensor infer(Tensor x) {
        int[] target = new int[dims.length + 1];
        target[0] = x.dim(0);
        System.arraycopy(dims, 0, target, 1, dims.length);
        long perSample = 1;
        for (int d : dims) perSample *= d;
        if (perSample != x.shape().sampleSize()) {
            throw new IllegalArgumentException("Reshape" + Arrays.toString(dims) + ": input " + x.shape() + " has " + x.shape().sampleSize() + " values per sample");
        }
        return x.reshape(target);
    }

    @Override public Tensor backward(Tensor dy) {
        if (inputShape == null) throw noForward("Reshape");
        return dy.reshape(inputShape);
    }
}
