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

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public static Shape scalar() {
        return new Shape(new int[0]);
    }

    public int rank() { return dims.length; }

    /** Dimension i; negative i counts from the end as in PyTorch. */
    public int dim(int i) {
        int k = i < 0 ? dims.length + i : i;
        if (k < 0 || k >= dims.length) throw new IndexOutOfBoundsException("dim " + i + " of shape " + this);
        return dims[k];
    }

    public long numel() { return numel; }

    /** numel as an int, for backends whose storage is indexed by int. */
    public int size() {
        if (numel > Integer.MAX_VALUE) throw new IllegalStateException("shape " + this + " has more than 2^31-1 elements");
        return (int) numel;
    }

    public int[] dims() { return dims.clone(); }

    /** Product of the dimensions after the first: the per-sample size. */
    public int sampleSize() {
        long n = 1;
        for (int i = 1; i < dims.length; i++) n *= dims[i];
        return Math.toIntExact(n);
    }

    /** The same shape with dimension 0 replaced. */
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
