package io.genten.tensor;

/**
 * The memory behind one or more tensors (a tensor and its reshaped views share it).
 * Host storage is a Java float array; device storage is implemented by a backend.
 */
public interface Storage {
    /**
     * Where the memory lives.
     *
     * @return the device
     */
    Device device();

    /**
     * Capacity in float32 elements.
     *
     * @return the number of floats the storage holds
     */
    long length();

    /**
     * Copies {@code count} floats starting at element {@code from} into {@code dst[dstOffset..]}.
     * Synchronizes with the device.
     *
     * @param from      the first element to read
     * @param dst       the destination array
     * @param dstOffset where in {@code dst} to start writing
     * @param count     how many floats
     */
    void read(long from, float[] dst, int dstOffset, int count);

    /**
     * Copies {@code count} floats from {@code src[srcOffset..]} to element {@code to}.
     *
     * @param to        the first element to write
     * @param src       the source array
     * @param srcOffset where in {@code src} to start reading
     * @param count     how many floats
     */
    void write(long to, float[] src, int srcOffset, int count);

    /** Frees the memory (or returns it to a pool). Called once, by the owning tensor. */
    void free();
}
