package io.genten.data;

import io.genten.tensor.Tensor;

/**
 * One mini-batch: a host tensor (B, 1, rows, cols), the labels of its images and where it sits in
 * its epoch. The caller owns the tensor (or the {@link io.genten.tensor.TensorScope} open when it was made).
 *
 * @param images the images (B, 1, rows, cols), scaled
 * @param labels their labels
 * @param epoch  the epoch, from 0
 * @param index  the batch's index in its epoch, from 0
 */
public record Batch(Tensor images, int[] labels, int epoch, int index) implements AutoCloseable {
    /**
     * The number of images.
     *
     * @return B
     */
    public int size() { return labels.length; }

    @Override public void close() { images.close(); }
}
