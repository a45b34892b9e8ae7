package io.genten.data;

/**
 * The contents of an IDX image file: {@code count} images of {@code rows x cols} unsigned bytes,
 * row-major, image after image. The array is shared, not copied.
 *
 * @param count  the number of images
 * @param rows   image height
 * @param cols   image width
 * @param pixels the bytes, {@code count * rows * cols}
 */
public record IdxImages(int count, int rows, int cols, byte[] pixels) {
    /** Checks that the array matches the sizes. */
    public IdxImages {
        if (count <= 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("IdxImages: dimensions must be positive, got count " + count + ", " + rows + "x" + cols);
        }
        if (pixels.length != (long) count * rows * cols) {
            throw new IllegalArgumentException("IdxImages: " + pixels.length + " pixels for " + count + " images of " + rows + "x" + cols);
        }
    }

    /**
     * Pixels per image.
     *
     * @return rows * cols
     */
    public int imageSize() { return rows * cols; }

    /**
     * Pixel value 0..255 of image {@code i} at ({@code r}, {@code c}).
     *
     * @param i the image
     * @param r the row
     * @param c the column
     * @return the unsigned value
     */
    public int pixel(int i, int r, int c) {
        return pixels[(i * rows + r) * cols + c] & 0xFF;
    }
}
