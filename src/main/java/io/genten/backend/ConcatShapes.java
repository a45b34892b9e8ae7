package io.genten.backend;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.List;

/**
 * Shape rules of {@link Backend#concat}, {@link Backend#slice} and the softmax cross-entropy, shared
 * by every backend so that they accept and refuse exactly the same arguments.
 *
 * <p>A tensor of rank r >= 2 is viewed as (outer = dim 0, dim 1, inner = product of the dims after
 * 1): concatenation and slicing along dimension 1 are then copies of contiguous blocks of
 * {@code dim1 * inner} floats, one per outer index.
 */
public final class ConcatShapes {
    private ConcatShapes() {}

    /**
     * Floats per unit of dimension 1: the product of the dims after 1.
     *
     * @param s the shape, of rank at least 2
     * @return the product of the dimensions after 1 (1 for rank 2)
     */
    public static int inner(Shape s) {
        int inner = 1;
        for (int d = 2; d < s.rank(); d++) inner *= s.dim(d);
        return inner;
    }

    /**
     * The shape of the concatenation, or an exception naming the op and every shape.
     *
     * @param op    the op's name, for the exception message
     * @param parts the tensors to concatenate along dimension 1
     * @return the shape of the concatenation
     * @throws IllegalArgumentException if the parts are missing, null or do not agree in every dimension but 1
     */
    public static Shape concat(String op, List<Tensor> parts) {
        if (parts == null || parts.isEmpty()) throw new IllegalArgumentException(op + ": no tensors to concatenate");
        var first = parts.getFirst();
        if (first == null) throw new IllegalArgumentException(op + ": a part is null");
        if (first.rank() < 2) throw new IllegalArgumentException(op + ": parts must have rank >= 2 (concatenation is along dimension 1) but the first has shape " + first.shape());
        long total = 0;
        for (var t : parts) {
            if (t == null) throw new IllegalArgumentException(op + ": a part is null");
            boolean fits = t.rank() == first.rank() && t.dim(0) == first.dim(0);
            for (int d = 2; fits && d < t.rank(); d++) fits = t.dim(d) == first.dim(d);
            if (!fits) {
                throw new IllegalArgumentException(op + ": shapes " + parts.stream().map(p -> p == null ? "null" : p.shape().toString()).toList()
                        + " must agree in every dimension but 1");
            }
            total += t.dim(1);
        }
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": " + total + " along dimension 1 is too many");
        var dims = first.shape().dims();
        dims[1] = (int) total;
        return Shape.of(dims);
    }

    /**
     * The shape of {@code x[:, start : start + length]}, or an exception naming the op and the shape.
     *
     * @param op     the op's name, for the exception message
     * @param x      the tensor to slice, of rank at least 2
     * @param start  the first index of dimension 1 to keep
     * @param length how many indices of dimension 1 to keep, at least 1
     * @return the shape of the slice
     * @throws IllegalArgumentException if x is null, of rank below 2, or the range is not within dimension 1
     */
    public static Shape slice(String op, Tensor x, int start, int length) {
        if (x == null) throw new IllegalArgumentException(op + ": x is null");
        if (x.rank() < 2) throw new IllegalArgumentException(op + ": x must have rank >= 2 (slicing is along dimension 1) but has shape " + x.shape());
        if (start < 0 || length < 1 || (long) start + length > x.dim(1)) {
            throw new IllegalArgumentException(op + ": [" + start + ", " + ((long) start + length) + ") is not a non-empty range of dimension 1 of " + x.shape());
        }
        var dims = x.shape().dims();
        dims[1] = length;
        return Shape.of(dims);
    }

    /**
     * Checks that logits and targets are both (N, C) with N, C >= 1.
     *
     * @param op        the op's name, for the exception message
     * @param logits    the unnormalized scores
     * @param targets   the class probabilities
     * @param reduction the reduction, which must not be null
     * @throws IllegalArgumentException if an argument is null or the shapes do not fit
     */
    public static void classification(String op, Tensor logits, Tensor targets, Reduction reduction) {
        if (logits == null || targets == null || reduction == null) throw new IllegalArgumentException(op + ": logits, targets and reduction must not be null");
        Checks.rank(op, "logits", logits.shape(), 2);
        Checks.sameShape(op, logits, targets);
        if (logits.dim(0) < 1 || logits.dim(1) < 1) throw new IllegalArgumentException(op + ": logits " + logits.shape() + " must have at least one row and one class");
    }
}
