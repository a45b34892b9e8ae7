package io.genten.models;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.nn.Parameter;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam for the trainers, the same update as {@link io.genten.nn.Adam} (one {@link Backend#adamStep}
 * over all parameters), but over gradient buffers that live as long as the optimizer: each step
 * first copies the parameters' step-local gradients into them. So every tensor the update touches
 * keeps its device address from step to step, which a captured CUDA graph needs (the CUDA backend
 * keys its Adam slot table by those addresses), and the host step count can be moved to account
 * for steps a graph replayed. Build it outside any step scope.
 */
final class TrainerAdam implements AutoCloseable {
    private final Backend backend;
    private final AdamConfig config;
    private final Map<String, Parameter> params;
    private final List<Tensor> values = new ArrayList<>(), grads = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
    private long step;

    TrainerAdam(Backend backend, Map<String, Parameter> params, AdamConfig config) {
        if (params.isEmpty()) throw new IllegalArgumentException("Adam: no parameters");
        this.backend = backend;
        this.config = config;
        this.params = new LinkedHashMap<>(params);
        for (var p : this.params.values()) {
            var shape = p.value().shape();
            values.add(p.value());
            grads.add(backend.zeros(shape));
            m.add(backend.zeros(shape));
            v.add(backend.zeros(shape));
        }
    }

    AdamConfig config() { return config; }

    long stepCount() { return step; }

    void setStepCount(long step) {
        if (step < 0) throw new IllegalArgumentException("Adam: step count " + step + " must be non-negative");
        this.step = step;
    }

    /** Updates every parameter from its current gradient (each must have one); queues only device work. */
    void step() {
        int i = 0;
        for (var e : params.entrySet()) {
            var g = e.getValue().grad();
            if (g == null) {
                throw new IllegalStateException("Adam.step: parameter " + e.getKey() + " " + e.getValue().value().shape()
                        + " has no gradient (backward did not reach it)");
            }
            backend.copyInto(g, grads.get(i++));
        }
        backend.adamStep(values, grads, m, v, config, ++step);
    }

    /** The moments by {@code prefix + name + ".exp_avg"} / {@code ".exp_avg_sq"} (torch.optim.Adam's names): live tensors. */
    Map<String, Tensor> state(String prefix) {
        var out = new LinkedHashMap<String, Tensor>();
        int i = 0;
        for (var name : params.keySet()) {
            out.put(prefix + name + ".exp_avg", m.get(i));
            out.put(prefix + name + ".exp_avg_sq", v.get(i++));
        }
        return out;
    }

    /** Copies moments saved by {@link #state} in; every name must be there with its shape. */
    void loadState(Map<String, Tensor> saved, String prefix, long step) {
        var mine = state(prefix);
        var problems = new ArrayList<String>();
        for (var e : mine.entrySet()) {
            var t = saved.get(e.getKey());
            if (t == null) problems.add("missing " + e.getKey());
            else if (!t.shape().equals(e.getValue().shape())) problems.add(e.getKey() + " has shape " + t.shape() + ", expected " + e.getValue().shape());
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException("Adam state: " + String.join(", ", problems));
        for (var e : mine.entrySet()) {
            try (var copy = backend.copyOf(saved.get(e.getKey()))) {
                backend.copyInto(copy, e.getValue());
            }
        }
        setStepCount(step);
    }

    /** The gradients the last step used, by parameter name (live buffers, overwritten by the next step). */
    Map<String, Tensor> lastGradients() {
        var out = new LinkedHashMap<String, Tensor>();
        int i = 0;
        for (var name : params.keySet()) out.put(name, grads.get(i++));
        return out;
    }

    @Override public void close() {
        grads.forEach(Tensor::close);
        m.forEach(Tensor::close);
        v.forEach(Tensor::close);
    }
}
