package io.genten.backend;

import io.genten.tensor.Tensor;

/** z = mu + exp(0.5 logvar) * eps, and the noise eps that backward needs. */
public record ReparamOutput(Tensor z, Tensor eps) {}
