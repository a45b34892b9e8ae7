package io.genten.data;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Mini-batches over a dataset, in a fresh seeded order each epoch ({@link Shuffle#permutation}):
 * the same (seed, epoch) gives the same batches on every machine. By default the last partial batch
 * is dropped, as training wants fixed shapes (and CUDA graphs need them).
 */
public final class Batches {
    private final Dataset data;
    private final int batchSize;
    private final long seed;
    private final boolean dropLast;

    /**
     * Batches of {@code data}.
     *
     * @param data      the dataset
     * @param batchSize images per batch, positive
     * @param seed      the Philox key of the shuffles
     * @param dropLast  whether to drop the last partial batch of an epoch
     */
    public Batches(Dataset data, int batchSize, long seed, boolean dropLast) {
        if (batchSize <= 0) throw new IllegalArgumentException("Batches: batch size must be positive, got " + batchSize);
        if (dropLast && batchSize > data.count()) {
            throw new IllegalArgumentException("Batches: batch size " + batchSize + " exceeds the " + data.count()
                    + " images of the dataset, so dropping the partial batch would leave none");
        }
        this.data = data;
        this.batchSize = batchSize;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    /**
     * Training batches: the last partial batch is dropped.
     *
     * @param data      the dataset
     * @param batchSize images per batch, positive
     * @param seed      the Philox key of the shuffles
     * @return the batches
     */
    public static Batches forTraining(Dataset data, int batchSize, long seed) {
        return new Batches(data, batchSize, seed, true);
    }

    /**
     * Images per batch.
     *
     * @return the batch size
     */
    public int batchSize() { return batchSize; }

    /**
     * Whether the last partial batch of an epoch is dropped.
     *
     * @return true for training batches
     */
    public boolean dropLast() { return dropLast; }

    /**
     * The dataset.
     *
     * @return the dataset given at construction
     */
    public Dataset dataset() { return data; }

    /**
     * Batches per epoch.
     *
     * @return the count, counting a partial last batch unless it is dropped
     */
    public int batchesPerEpoch() {
        return dropLast ? data.count() / batchSize : (data.count() + batchSize - 1) / batchSize;
    }

    /**
     * Images seen per epoch (less than the dataset when the partial batch is dropped).
     *
     * @return the count
     */
    public int imagesPerEpoch() {
        return dropLast ? batchesPerEpoch() * batchSize : data.count();
    }

    /**
     * The order of the images in {@code epoch}.
     *
     * @param epoch the epoch, from 0
     * @return a permutation of the image indices
     */
    public int[] order(int epoch) {
        return Shuffle.permutation(data.count(), seed, epoch);
    }

    /**
     * The batches of {@code epoch} (0-based), made lazily one {@code next()} at a time.
     *
     * @param epoch the epoch, from 0
     * @return an iterator over the batches
     */
    public BatchIterator epoch(int epoch) {
        return new BatchIterator(order(epoch), epoch);
    }

    /** Walks one epoch; each {@link #next} allocates a new host tensor that the caller closes. */
    public final class BatchIterator implements Iterator<Batch> {
        private final int[] order;
        private final int epoch;
        private int index;

        private BatchIterator(int[] order, int epoch) {
            this.order = order;
            this.epoch = epoch;
        }

        @Override public boolean hasNext() { return index < batchesPerEpoch(); }

        @Override public Batch next() {
            if (!hasNext()) throw new NoSuchElementException("epoch " + epoch + " has " + batchesPerEpoch() + " batches");
            int start = index * batchSize;
            int b = Math.min(batchSize, order.length - start);
            int n = data.imageSize();
            var values = new float[b * n];
            var labels = new int[b];
            float[] src = data.images();
            for (int k = 0; k < b; k++) {
                int img = order[start + k];
                System.arraycopy(src, img * n, values, k * n, n);
                labels[k] = data.labels()[img];
            }
            var t = Tensor.wrap(values, Shape.of(b, 1, data.rows(), data.cols()));
            return new Batch(t, labels, epoch, index++);
        }

        /**
         * Batches left in this epoch.
         *
         * @return the count
         */
        public int remaining() { return batchesPerEpoch() - index; }
    }
}
