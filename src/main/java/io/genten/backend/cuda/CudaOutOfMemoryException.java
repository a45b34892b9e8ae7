package io.genten.backend.cuda;

/**
 * The device ran out of memory even after the caching allocator emptied its cache. The caller may
 * catch it, free tensors and go on: the backend stays usable.
 */
public class CudaOutOfMemoryException extends CudaException {
    /** The request that failed, in bytes (part of the serialized form). */
    private final long requestedBytes;

    /**
     * An out-of-memory exception.
     *
     * @param message        names the op and the request
     * @param status         the raw status
     * @param requestedBytes the request that failed
     */
    public CudaOutOfMemoryException(String message, int status, long requestedBytes) {
        super(message, status);
        this.requestedBytes = requestedBytes;
    }

    /**
     * The request that failed.
     *
     * @return bytes
     */
    public long requestedBytes() { return requestedBytes; }
}
