package io.genten.io;

import io.genten.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Writes single-channel images as one grayscale PNG grid, like torchvision's {@code make_grid}:
 * {@code columns} tiles per row, {@link #PADDING} pixels of gray {@link #PAD_GRAY} between tiles and
 * around the edge. A value v maps to round(255 * (v - lo) / (hi - lo)), clamped to 0..255; NaN maps to 0.
 * The file is written atomically (temp file, then rename).
 */
public final class PngGrid {
    /** Gray pixels between images. */
    public static final int PADDING = 2;
    /** Mid gray: separates tiles whose background is black (MNIST) or white alike. */
    public static final int PAD_GRAY = 128;

    private PngGrid() {}

    /**
     * Writes images of shape (N, 1, H, W), on any device, as a grid PNG.
     *
     * @param file    the PNG to write (atomically)
     * @param images  the images
     * @param columns images per row
     * @param lo      the value drawn black
     * @param hi      the value drawn white
     * @throws IOException when the file cannot be written
     */
    public static void write(Path file, Tensor images, int columns, float lo, float hi) throws IOException {
        var s = images.shape();
        if (s.rank() != 4 || s.dim(1) != 1) {
            throw new IllegalArgumentException("PngGrid.write: images must have shape (N, 1, H, W) but have shape " + s);
        }
        write(file, images.toArray(), s.dim(0), s.dim(2), s.dim(3), columns, lo, hi);
    }

    /**
     * Writes {@code n} images of {@code h x w} values, image after image, row-major, as a grid PNG.
     *
     * @param file    the PNG to write (atomically)
     * @param values  the values
     * @param n       the number of images
     * @param h       image height
     * @param w       image width
     * @param columns images per row
     * @param lo      the value drawn black
     * @param hi      the value drawn white
     * @throws IOException when the file cannot be written
     */
    public static void write(Path file, float[] values, int n, int h, int w, int columns, float lo, float hi) throws IOException {
        var img = render(values, n, h, w, columns, lo, hi);
        AtomicFiles.write(file, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("PngGrid.write: no PNG writer in this JRE");
        });
    }

    /**
     * The grid as an 8-bit grayscale image, without writing it.
     *
     * @param values  the values, image after image, row-major
     * @param n       the number of images
     * @param h       image height
     * @param w       image width
     * @param columns images per row
     * @param lo      the value drawn black
     * @param hi      the value drawn white
     * @return the image
     */
    public static BufferedImage render(float[] values, int n, int h, int w, int columns, float lo, float hi) {
        if (n <= 0 || h <= 0 || w <= 0 || columns <= 0) {
            throw new IllegalArgumentException("PngGrid: need n, h, w, columns > 0 but got n " + n + ", " + h + "x" + w + ", columns " + columns);
        }
        if ((long) n * h * w != values.length) {
            throw new IllegalArgumentException("PngGrid: " + values.length + " values for " + n + " images of " + h + "x" + w);
        }
        if (!(hi > lo) || !Float.isFinite(lo) || !Float.isFinite(hi)) {
            throw new IllegalArgumentException("PngGrid: value range [" + lo + ", " + hi + "] must be finite with lo < hi");
        }
        int cols = Math.min(columns, n);
        int rows = (n + cols - 1) / cols;
        int width = cols * (w + PADDING) + PADDING, height = rows * (h + PADDING) + PADDING;
        var gray = new byte[width * height];
        java.util.Arrays.fill(gray, (byte) PAD_GRAY);
        double scale = 255.0 / ((double) hi - lo);
        for (int i = 0; i < n; i++) {
            int x0 = PADDING + (i % cols) * (w + PADDING), y0 = PADDING + (i / cols) * (h + PADDING);
            for (int y = 0; y < h; y++) {
                int src = (i * h + y) * w, dst = (y0 + y) * width + x0;
                for (int x = 0; x < w; x++) gray[dst + x] = (byte) toByte(values[src + x], lo, scale);
            }
        }
        var img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, width, height, gray);
        return img;
    }

    private static int toByte(float v, float lo, double scale) {
        if (Float.isNaN(v)) return 0;
        long q = Math.round((v - (double) lo) * scale);
        return (int) Math.max(0, Math.min(255, q));
    }
}
