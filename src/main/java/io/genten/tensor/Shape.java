package io.genten.tensor;

import java.util.Arrays;

/** An immutable tensor shape (NCHW order at the API). A rank-0 shape holds one scalar. */
public final class Shape {
    private final int[] dims;
    private final long numel;

    private Shape(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            n = Math.multiplyExact(n, d);
        }
        this.dims = dims;
        this.numel = n;
    }

    /**
     * A shape.
     *
     * @param dims the dimensions, none negative (copied)
     * @return the shape
     */
    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    /**
     * The rank-0 shape of a scalar.
     *
     * @return the shape ()
     */
    public static Shape scalar() {
        return new Shape(new int[0]);
    }

    /**
     * The number of dimensions.
     *
     * @return the rank
     */
    public int rank() { return dims.length; }

    /**
     * Dimension i; negative i counts from the end as in PyTorch.
     *
     * @param i the axis (-rank to rank - 1)
     * @return its size
     */
    public int dim(int i) {
        int k = i < 0 ? dims.length + i : i;
        if (k < 0 || k >= dims.length) throw new IndexOutOfBoundsException("dim " + i + " of shape " + this);
        return dims[k];
    }

    /**
     * The number of elements.
     *
     * @return the product of the dimensions
     */
    public long numel() { return numel; }

    /**
     * numel as an int, for backends whose storage is indexed by int.
     *
     * @return the number of elements
     * @throws IllegalStateException above 2^31 - 1 elements
     */
    public int size() {
        if (numel > Integer.MAX_VALUE) throw new IllegalStateException("shape " + this + " has more than 2^31-1 elements");
        return (int) numel;
    }

    /**
     * The dimensions.
     *
     * @return a copy of the dimensions
     */
    public int[] dims() { return dims.clone(); }

    /**
     * Product of the dimensions after the first: the per-sample size.
     *
     * @return the number of elements per sample
     */
    public int sampleSize() {
        long n = 1;
        for (int i = 1; i < dims.length; i++) n *= dims[i];
        return Math.toIntExact(n);
    }

    /**
     * The same shape with dimension 0 replaced.
     *
     * @param n the new batch size
     * @return the shape
     */
    public Shape withBatch(int n) {
        int[] d = dims.clone();
        d[0] = n;
        return new Shape(d);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return Arrays.toString(dims); }
}
