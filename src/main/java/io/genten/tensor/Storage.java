package io.genten.tensor;

/**
 * The memory behind one or more tensors (a tensor and its reshaped views share it).
 * Host storage is a Java float array; device storage is implemented by a backend.
 */
public interface Storage {
    Device device();

    /** Capacity in float32 elements. */
    long length();

    /** Copies {@code count} floats starting at element {@code from} into {@code dst[dstOffset..]}. Synchronizes with the device. */
    void read(long from, float[] dst, int dstOffset, int count);

    /** Copies {@code count} floats from {@code src[srcOffset..]} to element {@code to}. */
    void write(long to, float[] src, int srcOffset, int count);

    /** Frees the memory (or returns it to a pool). Called once, by the owning tensor. */
    void free();
}
