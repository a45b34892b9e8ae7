package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A layer or network with an explicit backward (no tape): {@link #forward} caches what
 * {@link #backward} needs, and backward returns the input gradient and accumulates parameter
 * gradients. Build modules outside any {@link io.genten.tensor.TensorScope}: their parameters and
 * buffers must outlive the step scopes in which forward and backward run.
 *
 * <p>State-dict names are PyTorch's: a module's own parameters, then its buffers, then each
 * child's entries prefixed with the child's name and a dot.
 */
public abstract class Module {
    protected final Backend backend;
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    protected Module(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("module: backend is null");
        this.backend = backend;
    }

    public Backend backend() { return backend; }

    /** The output for input {@code x}; caches what backward needs (until the next forward). */
    public abstract Tensor forward(Tensor x);

    /** The gradient with respect to the last forward's input; parameter gradients accumulate. */
    public abstract Tensor backward(Tensor dy);

    // ---- registration ----------------------------------------------------------------------

    protected final Parameter registerParameter(String name, Tensor value) {
        checkFree(name);
        var p = new Parameter(name, value);
        params.put(name, p);
        return p;
    }

    protected final Tensor registerBuffer(String name, Tensor value) {
        checkFree(name);
        buffers.put(name, value);
        return value;
    }

    protected final <M extends Module> M registerModule(String name, M child) {
        checkFree(name);
        if (child.backend != backend) throw new IllegalArgumentException("module '" + name + "' runs on " + child.backend.name() + " but its parent on " + backend.name());
        children.put(name, child);
        ((Module) child).setTraining(training);
        return child;
    }

    private void checkFree(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("module: invalid name '" + name + "'");
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("module: name '" + name + "' registered twice");
        }
    }

    // ---- traversal -----------------------------------------------------------------------------

    public Map<String, Module> children() { return Map.copyOf(children); }

    /** Every parameter of this module and its children, by full state-dict name, in order. */
    public Map<String, Parameter> namedParameters() {
        var out = new LinkedHashMap<String, Parameter>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collectParameters(prefix + n + ".", out));
    }

    public List<Parameter> parameters() { return new ArrayList<>(namedParameters().values()); }

    /** Parameters and buffers by PyTorch state-dict name; the live tensors, not copies. */
    public Map<String, Tensor> stateDict() {
        var out = new LinkedHashMap<String, Tensor>();
        collectState("", out);
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        params.forEach((n, p) -> out.put(prefix + n, p.value()));
        buffers.forEach((n, b) -> out.put(prefix + n, b));
        children.forEach((n, c) -> c.collectState(prefix + n + ".", out));
    }

    /**
     * Copies the values in (from any device). The names must match exactly and every shape must
     * agree, else an {@link IllegalArgumentException} lists the missing, unexpected and misshapen
     * names and nothing is changed.
     */
    public void loadStateDict(Map<String, Tensor> state) {
        var mine = stateDict();
        var missing = new TreeSet<String>();
        var unexpected = new TreeSet<String>(state.keySet());
        var misshapen = new ArrayList<String>();
        for (var e : mine.entrySet()) {
            var given = state.get(e.getKey());
            unexpected.remove(e.getKey());
            if (given == null) missing.add(e.getKey());
            else if (!given.shape().equals(e.getValue().shape())) {
                misshapen.add(e.getKey() + " " + given.shape() + " (expected " + e.getValue().shape() + ")");
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misshapen.isEmpty()) {
            throw new IllegalArgumentException("loadStateDict into " + getClass().getSimpleName() + ": "
                    + (missing.isEmpty() ? "" : "missing " + missing + "; ")
                    + (unexpected.isEmpty() ? "" : "unexpected " + unexpected + "; ")
                    + (misshapen.isEmpty() ? "" : "wrong shape " + misshapen));
        }
        for (var e : mine.entrySet()) copyInto(state.get(e.getKey()), e.getValue());
    }

    private void copyInto(Tensor src, Tensor dst) {
        if (src.device().equals(backend.device())) {
            backend.copyInto(src, dst);
        } else {
            try (var moved = backend.copyOf(src)) {
                backend.copyInto(moved, dst);
            }
        }
    }

    // ---- modes and gradients --------------------------------------------------------------

    public final Module train() { setTraining(true); return this; }

    public final Module eval() { setTraining(false); return this; }

    public final boolean isTraining() { return training; }

    private void setTraining(boolean on) {
        training = on;
        children.values().forEach(c -> c.setTraining(on));
    }

    public final void zeroGrad() { parameters().forEach(Parameter::zeroGrad); }

    /** Turns parameter gradients on or off for the whole subtree (input gradients still flow). */
    public final void requiresGrad(boolean on) { parameters().forEach(p -> p.setRequiresGrad(on)); }

    /** Shorthand for layers: records (or adds to) the gradient of {@code p}. */
    protected final void accumulate(Parameter p, Tensor g) {
        p.accumulateGrad(backend, g);
    }

    protected static IllegalStateException noForward(String layer) {
        return new IllegalStateException(layer + ".backward called without a training-mode forward before it");
    }
}
