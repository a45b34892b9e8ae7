package io.genten.backend;

import io.genten.tensor.Tensor;

/**
 * The gradients of a transposed convolution (bias aside: {@link Backend#biasGradient}).
 *
 * @param dx with respect to the input
 * @param dw with respect to the weight, or null when it was not asked for
 */
public record TransposedConvGradients(Tensor dx, Tensor dw) {}
