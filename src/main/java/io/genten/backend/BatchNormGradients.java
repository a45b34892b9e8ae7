package io.genten.backend;

import io.genten.tensor.Tensor;

public record BatchNormGradients(Tensor dx, Tensor dgamma, Tensor dbeta) {}
