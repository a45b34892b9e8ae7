package io.genten.backend;

import io.genten.tensor.Shape;

/** Stride and symmetric zero padding of a square-kernel 2-D convolution (cross-correlation, as PyTorch).
 *
 * @param stride  the step, &gt;= 1
 * @param padding zero padding on every side, &gt;= 0
 */
public record Conv2dSpec(int stride, int padding) {
    /** Checks the ranges. */
    public Conv2dSpec {
        if (stride < 1 || padding < 0) throw new IllegalArgumentException("conv2d: stride " + stride + " and padding " + padding + " must be >= 1 and >= 0");
    }

    /**
     * Output shape of conv2d forward.
     *
     * @param op the op name for messages
     * @param x  the input shape (N, C, H, W)
     * @param w  the weight shape (Cout, Cin, K, K)
     * @return (N, Cout, OH, OW)
     * @throws IllegalArgumentException naming the op and shapes when they do not fit
     */
    public Shape outputShape(String op, Shape x, Shape w) {
        Checks.rank(op, "x", x, 4);
        Checks.rank(op, "w", w, 4);
        if (x.dim(1) != w.dim(1)) {
            throw new IllegalArgumentException(op + ": input " + x + " has " + x.dim(1) + " channels but weight " + w + " expects " + w.dim(1));
        }
        if (w.dim(2) != w.dim(3)) throw new IllegalArgumentException(op + ": weight " + w + " is not square");
        int k = w.dim(2);
        int oh = (x.dim(2) + 2 * padding - k) / stride + 1;
        int ow = (x.dim(3) + 2 * padding - k) / stride + 1;
        if (x.dim(2) + 2 * padding < k || x.dim(3) + 2 * padding < k) {
            throw new IllegalArgumentException(op + ": kernel " + k + " larger than padded input " + x + " (padding " + padding + ")");
        }
        return Shape.of(x.dim(0), w.dim(0), oh, ow);
    }

    /**
     * Output shape of a transposed conv: (in-1)*stride - 2*pad + k + outputPadding, PyTorch's rule.
     *
     * @param op            the op name for messages
     * @param x             the input shape (N, Cin, H, W)
     * @param w             the transposed weight shape (Cin, Cout, K, K)
     * @param outputPadding extra rows and columns, in [0, stride)
     * @return (N, Cout, OH, OW)
     * @throws IllegalArgumentException naming the op and shapes when they do not fit
     */
    public Shape transposedOutputShape(String op, Shape x, Shape w, int outputPadding) {
        Checks.rank(op, "x", x, 4);
        Checks.rank(op, "w", w, 4);
        if (x.dim(1) != w.dim(0)) {
            throw new IllegalArgumentException(op + ": input " + x + " has " + x.dim(1) + " channels but transposed weight " + w + " expects " + w.dim(0));
        }
        if (outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException(op + ": output padding " + outputPadding + " must be smaller than stride " + stride);
        }
        int k = w.dim(2);
        int oh = (x.dim(2) - 1) * stride - 2 * padding + k + outputPadding;
        int ow = (x.dim(3) - 1) * stride - 2 * padding + k + outputPadding;
        if (oh <= 0 || ow <= 0) throw new IllegalArgumentException(op + ": empty output for input " + x + " and weight " + w);
        return Shape.of(x.dim(0), w.dim(1), oh, ow);
    }
}
