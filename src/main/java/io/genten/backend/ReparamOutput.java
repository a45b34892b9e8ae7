package io.genten.backend;

import io.genten.tensor.Tensor;

/**
 * z = mu + exp(0.5 logvar) * eps, and the noise eps that backward needs.
 *
 * @param z   the sampled codes
 * @param eps the standard normal noise drawn
 */
public record ReparamOutput(Tensor z, Tensor eps) {}
