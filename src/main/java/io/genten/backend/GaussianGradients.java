package io.genten.backend;

import io.genten.tensor.Tensor;

/**
 * Gradients with respect to the mean and log-variance of a diagonal Gaussian.
 *
 * @param dmu     with respect to mu
 * @param dlogvar with respect to logvar
 */
public record GaussianGradients(Tensor dmu, Tensor dlogvar) {}
