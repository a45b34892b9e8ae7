package io.genten.backend;

import io.genten.tensor.Tensor;

/** Training-mode batchnorm forward: the output and the per-channel batch mean and 1/sqrt(var + eps) that backward needs. */
public record BatchNormOutput(Tensor y, Tensor saveMean, Tensor saveInvStd) {}
