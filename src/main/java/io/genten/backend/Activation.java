package io.genten.backend;

/** Pointwise activations with a closed-form derivative. */
public sealed interface Activation {
    record Identity() implements Activation {}
    record Relu() implements Activation {}
    /** max(x, alpha x); PyTorch's negative_slope. */
    record LeakyRelu(float alpha) implements Activation {}
    record Tanh() implements Activation {}
    record Sigmoid() implements Activation {}

    Activation IDENTITY = new Identity();
    Activation RELU = new Relu();
    Activation TANH = new Tanh();
    Activation SIGMOID = new Sigmoid();

    static Activation leakyRelu(float alpha) { return new LeakyRelu(alpha); }

    /** The scalar function, shared by every backend's reference path. */
    default float apply(float x) {
        return switch (this) {
            case Identity i -> x;
            case Relu r -> x > 0 ? x : 0f;
            case LeakyRelu l -> x > 0 ? x : l.alpha() * x;
            case Tanh t -> (float) Math.tanh(x);
            case Sigmoid s -> (float) (1.0 / (1.0 + Math.exp(-x)));
        };
    }

    /** dL/dx from the input x, the output y = f(x) and dL/dy. */
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
