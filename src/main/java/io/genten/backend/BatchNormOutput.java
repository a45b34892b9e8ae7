package io.genten.backend;

import io.genten.tensor.Tensor;

/**
 * Training-mode batchnorm forward: the output and the per-channel batch mean and 1/sqrt(var + eps) that backward needs.
 *
 * @param y          the normalized output
 * @param saveMean   the batch mean per channel
 * @param saveInvStd the batch 1/sqrt(var + eps) per channel
 */
public record BatchNormOutput(Tensor y, Tensor saveMean, Tensor saveInvStd) {}
