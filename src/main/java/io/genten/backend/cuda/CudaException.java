package io.genten.backend.cuda;

/**
 * A failed CUDA, cuBLAS or cuDNN call: names the op, the shapes and the library's error string.
 * {@link #status()} is the raw status (a cudaError_t, a GENTEN_ERR_* code, or a cuBLAS/cuDNN status).
 */
public class CudaException extends RuntimeException {
    /** The raw status (part of the serialized form). */
    private final int status;

    /**
     * An exception for a failed call.
     *
     * @param message names the op, the shapes and the error string
     * @param status  the raw status
     */
    public CudaException(String message, int status) {
        super(message);
        this.status = status;
    }

    /**
     * The raw status: a cudaError_t, a GENTEN_ERR_* code, or a cuBLAS/cuDNN status.
     *
     * @return the status
     */
    public int status() { return status; }
}
