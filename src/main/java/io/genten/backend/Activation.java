package io.genten.backend;

/** Pointwise activations with a closed-form derivative. */
public sealed interface Activation {
    /** f(x) = x. */
    record Identity() implements Activation {}
    /** max(x, 0). */
    record Relu() implements Activation {}
    /**
     * max(x, alpha x); PyTorch's negative_slope.
     *
     * @param alpha the slope for negative x
     */
    record LeakyRelu(float alpha) implements Activation {}
    /** tanh(x). */
    record Tanh() implements Activation {}
    /** 1 / (1 + exp(-x)). */
    record Sigmoid() implements Activation {}

    /** The identity. */
    Activation IDENTITY = new Identity();
    /** ReLU. */
    Activation RELU = new Relu();
    /** tanh. */
    Activation TANH = new Tanh();
    /** The logistic sigmoid. */
    Activation SIGMOID = new Sigmoid();

    /**
     * LeakyReLU.
     *
     * @param alpha the slope for negative x
     * @return the activation
     */
    static Activation leakyRelu(float alpha) { return new LeakyRelu(alpha); }

    /**
     * The scalar function, shared by every backend's reference path.
     *
     * @param x the input
     * @return f(x)
     */
    default float apply(float x) {
        return switch (this) {
            case Identity i -> x;
            case Relu r -> x > 0 ? x : 0f;
            case LeakyRelu l -> x > 0 ? x : l.alpha() * x;
            case Tanh t -> (float) Math.tanh(x);
            case Sigmoid s -> (float) (1.0 / (1.0 + Math.exp(-x)));
        };
    }

    /**
     * dL/dx from the input x, the output y = f(x) and dL/dy.
     *
     * @param x  the input
     * @param y  the output f(x)
     * @param dy dL/dy
     * @return dL/dx
     */
    default float derivative(float x, float y, float dy) {
        return switch (this) {
            case Identity i -> dy;
            case Relu r -> x > 0 ? dy : 0f;
            case LeakyRelu l -> x > 0 ? dy : l.alpha() * dy;
            case Tanh t -> dy * (1f - y * y);
            case Sigmoid s -> dy * y * (1f - y);
        };
    }
}
