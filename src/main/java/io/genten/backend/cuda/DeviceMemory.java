package io.genten.backend.cuda;

/**
 * Raw device memory, as the caching allocator sees it: the real one calls genten_malloc and
 * genten_free; tests use a fake on the host.
 */
public interface DeviceMemory {
    /** A device address of at least {@code bytes}; throws {@link CudaOutOfMemoryException} when the device is full. */
    long malloc(long bytes);

    void free(long address);
}
