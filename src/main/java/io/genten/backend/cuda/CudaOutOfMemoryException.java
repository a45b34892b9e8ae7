package io.genten.backend.cuda;

/**
 * The device ran out of memory even after the caching allocator emptied its cache. The caller may
 * catch it, free tensors and go on: the backend stays usable.
 */
public class CudaOutOfMemoryException extends CudaException {
    private final long requestedBytes;

    public CudaOutOfMemoryException(String message, int status, long requestedBytes) {
        super(message, status);
        this.requestedBytes = requestedBytes;
    }

    public long requestedBytes() { return requestedBytes; }
}
