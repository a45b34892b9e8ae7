package io.genten.tensor;

/**
 * Where a tensor's memory lives.
 *
 * @param kind  host memory or a CUDA GPU
 * @param index the GPU's ordinal (0 for the host)
 */
public record Device(Kind kind, int index) {
    /** The kinds of memory. */
    public enum Kind {
        /** Host memory (Java arrays). */
        CPU,
        /** The memory of an NVIDIA GPU. */
        CUDA
    }

    /** The host. */
    public static final Device CPU = new Device(Kind.CPU, 0);

    /**
     * A GPU.
     *
     * @param index the CUDA device ordinal
     * @return the device
     */
    public static Device cuda(int index) { return new Device(Kind.CUDA, index); }

    /**
     * Whether this is a GPU.
     *
     * @return true for CUDA
     */
    public boolean isCuda() { return kind == Kind.CUDA; }

    @Override public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }
}
