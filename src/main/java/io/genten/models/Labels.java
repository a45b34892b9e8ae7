package io.genten.models;

import io.genten.backend.Backend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** Digit labels as tensors on a backend: one-hot rows (N, classes) and constant label planes (N, classes, H, W). */
public final class Labels {
    /** The number of digit classes, 0 to 9. */
    public static final int DIGITS = 10;

    private Labels() {}

    private static void check(String op, int[] labels, int classes) {
        if (labels == null || labels.length == 0) throw new IllegalArgumentException(op + ": no labels");
        for (int l : labels) {
            if (l < 0 || l >= classes) throw new IllegalArgumentException(op + ": label " + l + " is not in [0, " + classes + ")");
        }
    }

    /**
     * (N, classes) with a 1 in each row's label column.
     *
     * @param backend the backend to put the tensor on
     * @param labels  the label of each row, in [0, classes)
     * @param classes the number of classes
     * @return the one-hot rows (N, classes)
     */
    public static Tensor oneHot(Backend backend, int[] labels, int classes) {
        check("Labels.oneHot", labels, classes);
        var v = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) v[i * classes + labels[i]] = 1f;
        try (var host = Tensor.wrap(v, Shape.of(labels.length, classes))) {
            return backend.copyOf(host);
        }
    }

    /**
     * (N, classes, h, w): plane {@code labels[i]} of image i all ones, the others zero (the one-hot as input channels).
     *
     * @param backend the backend to put the tensor on
     * @param labels  the label of each image, in [0, classes)
     * @param classes the number of classes
     * @param h       the planes' height
     * @param w       the planes' width
     * @return the label planes (N, classes, h, w)
     */
    public static Tensor planes(Backend backend, int[] labels, int classes, int h, int w) {
        check("Labels.planes", labels, classes);
        int plane = h * w;
        var v = new float[labels.length * classes * plane];
        for (int i = 0; i < labels.length; i++) java.util.Arrays.fill(v, (i * classes + labels[i]) * plane, (i * classes + labels[i] + 1) * plane, 1f);
        try (var host = Tensor.wrap(v, Shape.of(labels.length, classes, h, w))) {
            return backend.copyOf(host);
        }
    }
}
