package io.genten.backend;

import io.genten.tensor.Tensor;

/**
 * The gradients of batch normalization.
 *
 * @param dx     with respect to the input
 * @param dgamma with respect to the scale (C)
 * @param dbeta  with respect to the shift (C)
 */
public record BatchNormGradients(Tensor dx, Tensor dgamma, Tensor dbeta) {}
