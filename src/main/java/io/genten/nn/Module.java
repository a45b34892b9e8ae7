package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
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
 *
 * <p>Two ways to run a module:
 * <ul>
 *   <li>{@link #forward} / {@link #backward} for training: forward caches its inputs (and some
 *       outputs) in the module for the backward that follows, so one module serves one thread.</li>
 *   <li>{@link #infer} for inference: the eval-mode output (running statistics, no dropout) as a
 *       pure function of the input and the weights. It writes nothing into the module, keeps no
 *       activations and allocates per call only the output (and the intermediates it frees before
 *       returning), so one module may serve any number of threads at once, as long as no thread
 *       trains it, loads weights into it or closes it meanwhile. On a backend whose ops are not
 *       safe to call concurrently ({@link Backend#supportsConcurrentCalls()} false, e.g. CUDA), the
 *       models' inference methods serialize their calls on the backend.</li>
 * </ul>
 *
 * <p>A module owns its parameters and buffers: {@link #close()} frees them (and its children's),
 * for instance a model's GPU memory, as a unit.
 */
public abstract class Module implements AutoCloseable, Stateful {
    /** The backend the module was built on, for subclasses' ops. */
    protected final Backend backend;
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /**
     * A module whose parameters live on, and whose ops run on, {@code backend}.
     *
     * @param backend the backend; not null
     */
    protected Module(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("module: backend is null");
        this.backend = backend;
    }

    /**
     * The backend this module's parameters live on and its ops run on.
     *
     * @return the backend given at construction
     */
    public Backend backend() { return backend; }

    /**
     * The output for input {@code x} in the current mode ({@link #train()} or {@link #eval()});
     * caches what {@link #backward} needs until the next forward. Not for concurrent use.
     *
     * @param x the input, on this module's device
     * @return the output (a new tensor, or a view of {@code x} for reshaping layers)
     */
    public abstract Tensor forward(Tensor x);

    /**
     * The gradient with respect to the last forward's input; parameter gradients accumulate.
     *
     * @param dy the gradient of the loss with respect to the last forward's output
     * @return the gradient with respect to the last forward's input
     */
    public abstract Tensor backward(Tensor dy);

    /**
     * {@link #backward} for a caller that does not need the input gradient (the input is data, or
     * a detached tensor, as PyTorch skips the gradient of an input that does not require one):
     * parameter gradients accumulate exactly as there, and layers that can skip the input gradient's
     * work do (a first conv or linear layer's backward-data op, a third of its backward). By
     * default the full backward, its input gradient left to the scope that holds the step.
     *
     * @param dy the gradient of the loss with respect to the last forward's output
     */
    public void backwardParameters(Tensor dy) { backward(dy); }

    /**
     * The eval-mode output for {@code x} (running statistics, no dropout) whatever the current mode,
     * without caching anything in the module: safe to call from many threads at once on one module
     * (see the class comment for the conditions). For the layers of {@code io.genten.nn} and a
     * {@link Sequential} of them the result is, bit for bit, that of {@code eval().forward(x)}; the
     * VAE's is its deterministic counterpart (the decoder at the mean, no noise). A module of your
     * own that should serve inference overrides it.
     *
     * @param x the input, on this module's device; not closed or changed
     * @return the output: a new tensor (or a view of {@code x} for reshaping layers) that the
     *         caller owns, or the open {@link io.genten.tensor.TensorScope} of this thread
     * @throws UnsupportedOperationException when the module has no inference path
     */
    public Tensor infer(Tensor x) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no inference path: override Module.infer");
    }

    // ---- registration ----------------------------------------------------------------------

    /**
     * Registers a parameter under {@code name} (no dots); it appears in the state dict and the optimizer's list.
     *
     * @param name  the state-dict name within this module
     * @param value the initial value, owned by the module from now on
     * @return the parameter
     */
    protected final Parameter registerParameter(String name, Tensor value) {
        checkFree(name);
        var p = new Parameter(name, value);
        params.put(name, p);
        return p;
    }

    /**
     * Registers a buffer (state that is saved but not trained, e.g. running statistics).
     *
     * @param name  the state-dict name within this module
     * @param value the tensor, owned by the module from now on
     * @return {@code value}
     */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkFree(name);
        buffers.put(name, value);
        return value;
    }

    /**
     * Registers a child; its state-dict names are prefixed with {@code name} and a dot. It takes this module's mode.
     *
     * @param <M>   the child's type
     * @param name  the child's name (no dots)
     * @param child a module on the same backend
     * @return {@code child}
     */
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

    /**
     * The registered child modules.
     *
     * @return the children by name (an unmodifiable copy)
     */
    public Map<String, Module> children() { return Map.copyOf(children); }

    /**
     * Every parameter of this module and its children, by full state-dict name, in order.
     *
     * @return a new ordered map from state-dict name to parameter
     */
    public Map<String, Parameter> namedParameters() {
        var out = new LinkedHashMap<String, Parameter>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collectParameters(prefix + n + ".", out));
    }

    /**
     * Every parameter of this module and its children, in state-dict order.
     *
     * @return a new list
     */
    public List<Parameter> parameters() { return new ArrayList<>(namedParameters().values()); }

    /** Parameters and buffers by PyTorch state-dict name; the live tensors, not copies. */
    @Override public Map<String, Tensor> stateDict() {
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
    @Override public void loadStateDict(Map<String, Tensor> state) {
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

    /**
     * Training mode for this module and its children: batch statistics, dropout on.
     *
     * @return this module
     */
    public final Module train() { setTraining(true); return this; }

    /**
     * Eval mode for this module and its children: running statistics, dropout off.
     * {@link #infer} does not need it.
     *
     * @return this module
     */
    public final Module eval() { setTraining(false); return this; }

    /**
     * Whether {@link #forward} runs in training mode.
     *
     * @return true after {@link #train()} (the default), false after {@link #eval()}
     */
    public final boolean isTraining() { return training; }

    private void setTraining(boolean on) {
        training = on;
        children.values().forEach(c -> c.setTraining(on));
    }

    /** Closes and forgets every parameter's gradient in this subtree. */
    public final void zeroGrad() { parameters().forEach(Parameter::zeroGrad); }

    /**
     * Moves the parameter gradients of this subtree that {@code scope} owns out to the enclosing
     * scope: for a pass run in a scope of its own (a GAN step's discriminator passes, whose
     * activations and temporaries then go back to the pool for the next pass), after which the
     * optimizer steps on the gradients.
     *
     * @param scope the pass's scope
     */
    public final void keepGradients(TensorScope scope) {
        for (var p : parameters()) {
            var grad = p.grad();
            if (grad != null) scope.keep(grad);
        }
    }

    /**
     * Turns parameter gradients on or off for the whole subtree (input gradients still flow).
     *
     * @param on whether backward computes parameter gradients
     */
    public final void requiresGrad(boolean on) { parameters().forEach(p -> p.setRequiresGrad(on)); }

    /**
     * Shorthand for layers: records (or adds to) the gradient of {@code p}.
     *
     * @param p a parameter of this module
     * @param g its gradient for this backward (taken over: closed when added to an existing one)
     */
    protected final void accumulate(Parameter p, Tensor g) {
        p.accumulateGrad(backend, g);
    }

    /**
     * The exception for a backward without a forward before it.
     *
     * @param layer the layer's name for the message
     * @return the exception to throw
     */
    protected static IllegalStateException noForward(String layer) {
        return new IllegalStateException(layer + ".backward called without a training-mode forward before it");
    }

    // ---- lifetime ----------------------------------------------------------------------------

    /**
     * Frees every parameter (value and gradient) and buffer of this module and its children, e.g. a
     * model's GPU memory. Idempotent; any later use of the module throws {@link IllegalStateException}
     * (from its closed tensors). Does not close the backend, which other modules may share.
     */
    @Override public void close() {
        params.values().forEach(p -> {
            p.zeroGrad();
            p.value().close();
        });
        buffers.values().forEach(Tensor::close);
        children.values().forEach(Module::close);
    }
}
