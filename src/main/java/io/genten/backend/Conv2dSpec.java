package io.genten.backend;

import io.genten.tensor.Shape;

/** Stride and symmetric zero padding of a square-kernel 2-D convolution (cross-correlation, as PyTorch). */
public record Conv2dSpec(int stride, int padding) {
    public Conv2dSpec {
        if (stride < 1 || padding < 0) throw new IllegalArgumentException("conv2d: stride " + stride + " and padding " + padding + " must be >= 1 and >= 0");
    }

    /** Output shape of conv2d forward for input x (N,C,H,W) and weight w (Cout,Cin,K,K). */
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

    /** Output shape of a transposed conv: (in-1)*stride - 2*pad + k + outputPadding, PyTorch's rule. */
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
