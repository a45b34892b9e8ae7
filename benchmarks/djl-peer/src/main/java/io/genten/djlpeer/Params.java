package io.genten.djlpeer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A network's trainable parameters (PyTorch state-dict names) and its batch-norm running
 * statistics, on one long-lived manager, with DJL's Adam over the parameters.
 * Initialized as PyTorch does: Kaiming-uniform with a = sqrt(5) and biases, both uniform in
 * +-1/sqrt(fan_in); batch-norm weight 1, bias 0.
 */
final class Params implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private final Optimizer adam;

    Params(NDManager parent, float lr) {
        this.manager = parent.newSubManager();
        this.adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(lr)).optBeta1(0.9f).optBeta2(0.999f).optEpsilon(1e-8f).build();
    }

    /** A parameter uniform in +-1/sqrt(fanIn) (PyTorch's default for conv and linear weights and biases). */
    NDArray uniform(String name, Shape shape, long fanIn) {
        float bound = (float) (1 / Math.sqrt(fanIn));
        return param(name, manager.randomUniform(-bound, bound, shape));
    }

    NDArray constant(String name, Shape shape, float value) {
        return param(name, manager.full(shape, value));
    }

    private NDArray param(String name, NDArray a) {
        if (params.containsKey(name)) throw new IllegalArgumentException("Params: " + name + " twice");
        a.setName(name);
        a.setRequiresGradient(true);
        params.put(name, a);
        return a;
    }

    /** A batch-norm running statistic: not trained, not counted as a parameter. */
    NDArray buffer(String name, Shape shape, float value) {
        var a = manager.full(shape, value);
        buffers.put(name, a);
        return a;
    }

    /** Sum of the trainable parameters' sizes (running statistics excluded). */
    long count() {
        return params.values().stream().mapToLong(NDArray::size).sum();
    }

    Map<String, NDArray> parameters() { return Map.copyOf(params); }

    /** Zeroes the accumulated gradients (PyTorch's autograd adds into .grad). */
    void zeroGrad() {
        for (var p : params.values()) JniUtils.zeroGrad((PtNDArray) p);
    }

    /** Switches gradient tracking of every parameter (off: the discriminator during the generator's step). */
    void requiresGrad(boolean on) {
        for (var p : params.values()) p.setRequiresGradient(on);
    }

    /** One Adam step over every parameter with its accumulated gradient (DJL's Adam: one native update per tensor). */
    void adamStep() {
        for (var e : params.entrySet()) {
            try (var g = e.getValue().getGradient()) {
                adam.update(e.getKey(), e.getValue(), g);
            }
        }
    }

    @Override public void close() { manager.close(); }
}
