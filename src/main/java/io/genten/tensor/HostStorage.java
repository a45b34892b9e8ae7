package io.genten.tensor;

/** Host memory: a plain float array, which the JIT vectorizes and BLAS reads without copying. */
public final class HostStorage implements Storage {
    private float[] data;
    /** Receives the array when the storage is freed (a pool's), or null. */
    private final java.util.function.Consumer<float[]> onFree;

    /**
     * Host memory over {@code data} (not copied).
     *
     * @param data the array to hold
     */
    public HostStorage(float[] data) { this(data, null); }

    /**
     * Host memory over {@code data} that hands the array to {@code onFree} when freed, once: how
     * the CPU backend recycles the arrays of closed tensors. Whoever still holds the array after
     * that (from {@link #array()}) sees it reused.
     *
     * @param data   the array to hold
     * @param onFree receives {@code data} at the first {@link #free()}; null for none
     */
    public HostStorage(float[] data, java.util.function.Consumer<float[]> onFree) {
        this.data = data;
        this.onFree = onFree;
    }

    /**
     * The backing array; only the CPU backend and tests should touch it.
     *
     * @return the array
     * @throws IllegalStateException after {@link #free()}
     */
    public float[] array() {
        if (data == null) throw new IllegalStateException("host storage used after free");
        return data;
    }

    @Override public Device device() { return Device.CPU; }

    @Override public long length() { return data == null ? 0 : data.length; }

    @Override public void read(long from, float[] dst, int dstOffset, int count) {
        System.arraycopy(array(), Math.toIntExact(from), dst, dstOffset, count);
    }

    @Override public void write(long to, float[] src, int srcOffset, int count) {
        System.arraycopy(src, srcOffset, array(), Math.toIntExact(to), count);
    }

    @Override public void free() {
        var d = data;
        data = null;
        if (d != null && onFree != null) onFree.accept(d);
    }
}
