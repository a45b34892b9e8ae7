package io.genten.tensor;

/** Host memory: a plain float array, which the JIT vectorizes and BLAS reads without copying. */
public final class HostStorage implements Storage {
    private float[] data;

    /**
     * Host memory over {@code data} (not copied).
     *
     * @param data the array to hold
     */
    public HostStorage(float[] data) { this.data = data; }

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

    @Override public void free() { data = null; }
}
