package io.genten.backend.cuda;

/**
 * A failed CUDA, cuBLAS or cuDNN call: names the op, the shapes and the library's error string.
 * {@link #status()} is the raw status (a cudaError_t, a GENTEN_ERR_* code, or a cuBLAS/cuDNN status).
 */
public class CudaException extends RuntimeException {
    private final int status;

    public CudaException(String message, int status) {
        super(message);
        this.status = status;
    }

    public int status() { return status; }
}
