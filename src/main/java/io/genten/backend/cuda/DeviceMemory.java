package io.genten.backend.cuda;

/**
 * Raw device memory, as the caching allocator sees it: the real one calls genten_malloc and
 * genten_free; tests use a fake on the host.
 */
public interface DeviceMemory {
    /**
     * A device address of at least {@code bytes}.
     *
     * @param bytes the size
     * @return the address
     * @throws CudaOutOfMemoryException when the device is full
     */
    long malloc(long bytes);

    /**
     * Frees an address {@link #malloc} returned.
     *
     * @param address the address
     */
    void free(long address);
}
