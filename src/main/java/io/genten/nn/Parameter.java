package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.backend.Checks;
import io.genten.tensor.Tensor;

/**
 * A trainable tensor and the gradient the last backward left for it. The value lives outside
 * any step scope (it is made when the module is built); the gradient is made inside the step
 * and dies with it, so a closed gradient counts as no gradient.
 */
public final class Parameter {
    private final String name;
    private final Tensor value;
    private Tensor grad;
    private boolean requiresGrad = true;

    /**
     * A parameter with no gradient yet.
     *
     * @param name  its state-dict name (for messages)
     * @param value its value, owned by the parameter's module
     */
    public Parameter(String name, Tensor value) {
        this.name = name;
        this.value = value;
    }

    /**
     * The name given at registration.
     *
     * @return the name within its module
     */
    public String name() { return name; }

    /**
     * The current value (updated in place by the optimizer).
     *
     * @return the live tensor
     */
    public Tensor value() { return value; }

    /**
     * The gradient of the current step, or null when backward has not reached this parameter.
     *
     * @return the gradient, or null
     */
    public Tensor grad() {
        return grad == null || grad.isClosed() ? null : grad;
    }

    /**
     * Whether backward computes this parameter's gradient (off while a network is only a loss for another).
     *
     * @return true by default
     */
    public boolean requiresGrad() { return requiresGrad; }

    /**
     * Turns this parameter's gradient on or off.
     *
     * @param requiresGrad whether backward computes it
     */
    public void setRequiresGrad(boolean requiresGrad) { this.requiresGrad = requiresGrad; }

    /**
     * Sets the gradient, or adds {@code g} to it (and closes {@code g}) when one is already set this step.
     *
     * @param backend the backend to add on
     * @param g       the gradient of this backward, of the value's shape
     */
    public void accumulateGrad(Backend backend, Tensor g) {
        Checks.shape("gradient of " + name, "gradient", g, value.shape());
        var current = grad();
        if (current == null) {
            grad = g;
        } else {
            backend.addInPlace(current, g);
            g.close();
        }
    }

    /** Closes and forgets the gradient. */
    public void zeroGrad() {
        if (grad != null) grad.close();
        grad = null;
    }

    @Override public String toString() { return "Parameter " + name + " " + value.shape(); }
}
