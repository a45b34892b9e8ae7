package io.genten.data;

import java.util.Arrays;

/**
 * Single-channel images as scaled floats plus their labels. {@code images} holds
 * {@code count * rows * cols} values, image after image, row-major; {@code labels} one class per
 * image. The arrays are shared, not copied: treat them as read-only.
 *
 * @param images  the pixels, scaled
 * @param labels  one label per image
 * @param count   the number of images
 * @param rows    image height
 * @param cols    image width
 * @param scaling how the bytes were scaled to floats
 */
public record Dataset(float[] images, int[] labels, int count, int rows, int cols, Scaling scaling) {
    /** Checks that the arrays match the sizes. */
    public Dataset {
        if (count <= 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("Dataset: dimensions must be positive, got count " + count + ", " + rows + "x" + cols);
        }
        if (images.length != (long) count * rows * cols) {
            throw new IllegalArgumentException("Dataset: " + images.length + " values for " + count + " images of " + rows + "x" + cols);
        }
        if (labels.length != count) {
            throw new IllegalArgumentException("Dataset: " + labels.length + " labels for " + count + " images");
        }
    }

    /**
     * A dataset from an IDX image file's contents and its labels.
     *
     * @param images  the images
     * @param labels  one label byte per image
     * @param scaling how to scale the pixel bytes
     * @return the dataset
     */
    public static Dataset of(IdxImages images, byte[] labels, Scaling scaling) {
        if (images.count() != labels.length) {
            throw new IllegalArgumentException("Dataset: " + images.count() + " images but " + labels.length + " labels");
        }
        var l = new int[labels.length];
        for (int i = 0; i < l.length; i++) l[i] = labels[i] & 0xFF;
        return new Dataset(scaling.apply(images.pixels()), l, images.count(), images.rows(), images.cols(), scaling);
    }

    /**
     * Pixels per image.
     *
     * @return rows * cols
     */
    public int imageSize() { return rows * cols; }

    /**
     * A copy of image {@code i}.
     *
     * @param i the image index
     * @return its scaled pixels, row-major
     */
    public float[] image(int i) {
        int n = imageSize();
        int from = checkIndex(i) * n;
        return Arrays.copyOfRange(images, from, from + n);
    }

    /**
     * The label of image {@code i}.
     *
     * @param i the image index
     * @return its label
     */
    public int label(int i) { return labels[checkIndex(i)]; }

    /**
     * How many images carry each label 0..max label.
     *
     * @return counts indexed by label
     */
    public int[] labelCounts() {
        int max = 0;
        for (int l : labels) max = Math.max(max, l);
        var counts = new int[max + 1];
        for (int l : labels) counts[l]++;
        return counts;
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException("image " + i + " of a dataset of " + count);
        return i;
    }

    @Override public String toString() {
        return "Dataset[" + count + " images " + rows + "x" + cols + ", " + scaling + "]";
    }
}
