package io.genten.djlpeer;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.BatchNorm;

/** The few composite ops both models share, each as a DJL user would write it. */
final class Ops {
    private Ops() {}

    static final float BN_EPS = 1e-5f;

    /**
     * Training-mode batch norm over axis 1 with batch statistics; updates the running statistics
     * with PyTorch's momentum 0.1. DJL's axis -1 is libtorch's own batch_norm (which normalizes
     * axis 1): any other axis makes DJL swap axes around it, two copies a call.
     */
    static NDArray batchNorm(NDArray x, NDArray gamma, NDArray beta, NDArray runningMean, NDArray runningVar) {
        // DJL's momentum is the running statistics' weight: PyTorch's 0.1 is DJL's 0.9
        return BatchNorm.batchNorm(x, runningMean, runningVar, gamma, beta, -1, 0.9f, BN_EPS, true).singletonOrThrow();
    }

    static NDArray leakyRelu(NDArray x, float slope) { return Activation.leakyRelu(x, slope); }

    /** Elementwise BCE with logits: max(l, 0) - l * t + log(1 + exp(-|l|)), the stable form. */
    static NDArray bceWithLogits(NDArray logits, NDArray target) {
        return Activation.relu(logits).sub(logits.mul(target)).add(Activation.softPlus(logits.abs().neg()));
    }

    /** BCE with logits against a constant target, averaged (PyTorch's reduction="mean"). */
    static NDArray bceWithLogitsMean(NDArray logits, float target) {
        return Activation.relu(logits).sub(logits.mul(target)).add(Activation.softPlus(logits.abs().neg())).mean();
    }
}
