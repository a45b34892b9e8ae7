package io.genten.backend.cuda;

/**
 * The device ran out of memory: in the caching allocator even after it emptied its cache and tried
 * again, or in a kernel's own workspace (cudaMallocAsync). The message names the op, the request
 * and what the allocator held at the failure ({@link #allocatorStats()}).
 *
 * <p>When {@link CudaBackend} throws it, the allocator's cache and the kernels' cached scratch have
 * been returned to the device and the backend stays usable: the caller may free tensors and go on,
 * e.g. at a smaller batch. What the failed op would have written is undefined; in training, the
 * step that failed may have updated some parameters and not others, so go on from the last
 * committed training state rather than from the models in memory.
 */
public class CudaOutOfMemoryException extends CudaException {
    /** The request that failed, in bytes, or -1 when unknown (part of the serialized form). */
    private final long requestedBytes;
    /** The allocator's statistics at the failure, or null when unknown (part of the serialized form). */
    private final CachingAllocator.Stats allocatorStats;

    /**
     * An out-of-memory exception.
     *
     * @param message        names the op and the request
     * @param status         the raw status
     * @param requestedBytes the request that failed, or -1 when unknown
     */
    public CudaOutOfMemoryException(String message, int status, long requestedBytes) {
        this(message, status, requestedBytes, null);
    }

    /**
     * An out-of-memory exception with the allocator's statistics at the failure.
     *
     * @param message        names the op, the request and the allocator's holdings
     * @param status         the raw status
     * @param requestedBytes the request that failed, or -1 when unknown (a kernel's workspace)
     * @param allocatorStats the allocator's statistics when the request failed, or null
     */
    public CudaOutOfMemoryException(String message, int status, long requestedBytes, CachingAllocator.Stats allocatorStats) {
        super(message, status);
        this.requestedBytes = requestedBytes;
        this.allocatorStats = allocatorStats;
    }

    /**
     * The request that failed.
     *
     * @return bytes, or -1 when unknown (a kernel's workspace, sized inside the library)
     */
    public long requestedBytes() { return requestedBytes; }

    /**
     * What the caching allocator held when the request failed (before its cache was emptied).
     *
     * @return the statistics, or null when unknown
     */
    public CachingAllocator.Stats allocatorStats() { return allocatorStats; }
}
