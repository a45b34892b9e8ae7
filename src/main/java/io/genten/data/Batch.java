package io.genten.data;

import io.genten.tensor.Tensor;

/**
 * One mini-batch: a host tensor (B, 1, rows, cols), the labels of its images and where it sits in
 * its epoch. The caller owns the tensor (or the {@link io.genten.tensor.TensorScope} open when it was made).
 */
public record Batch(Tensor images, int[] labels, int epoch, int index) implements AutoCloseable {
    public int size() { return labels.length; }

    @Override public void close() { images.close(); }
}
