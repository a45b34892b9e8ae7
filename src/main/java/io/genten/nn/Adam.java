package io.genten.nn;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * torch.optim.Adam over a fixed list of parameters: first and second moments per parameter
 * (made at construction, so build the optimizer outside any step scope), a step counter for the
 * bias correction, and one {@link Backend#adamStep} call over all parameters per step.
 */
public final class Adam implements AutoCloseable {
    private final Backend backend;
    private final AdamConfig config;
    private final List<Parameter> params;
    private final List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
    private long step;

    /**
     * Adam over {@code params} with zeroed moments (allocated now, on {@code backend}).
     *
     * @param backend the backend the parameters live on
     * @param params  the parameters to update, not empty
     * @param config  learning rate, betas, eps and weight decay
     */
    public Adam(Backend backend, List<Parameter> params, AdamConfig config) {
        if (params.isEmpty()) throw new IllegalArgumentException("Adam: no parameters");
        this.backend = backend;
        this.config = config;
        this.params = List.copyOf(params);
        for (var p : this.params) {
            m.add(backend.zeros(p.value().shape()));
            v.add(backend.zeros(p.value().shape()));
        }
    }

    /**
     * The hyperparameters.
     *
     * @return the configuration given at construction
     */
    public AdamConfig config() { return config; }

    /**
     * Steps taken so far.
     *
     * @return the step count (the bias correction's t after the next step minus one)
     */
    public long stepCount() { return step; }

    /**
     * The first moment of parameter i (for checkpoints and tests).
     *
     * @param i the parameter's index in the constructor's list
     * @return the live tensor
     */
    public Tensor firstMoment(int i) { return m.get(i); }

    /**
     * The second moment of parameter i (for checkpoints and tests).
     *
     * @param i the parameter's index in the constructor's list
     * @return the live tensor
     */
    public Tensor secondMoment(int i) { return v.get(i); }

    /** Updates every parameter in place from its current gradient; each must have one. */
    public void step() {
        var values = new ArrayList<Tensor>(params.size());
        var grads = new ArrayList<Tensor>(params.size());
        for (var p : params) {
            var g = p.grad();
            if (g == null) throw new IllegalStateException("Adam.step: parameter " + p.name() + " " + p.value().shape() + " has no gradient (backward did not reach it)");
            values.add(p.value());
            grads.add(g);
        }
        backend.adamStep(values, grads, m, v, config, ++step);
    }

    /** Frees the moments. */
    @Override public void close() {
        m.forEach(Tensor::close);
        v.forEach(Tensor::close);
    }
}
