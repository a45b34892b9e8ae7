package io.genten.backend.cuda;

/** The CUDA backend cannot run here; the message says why (no library, no driver, no device, no cuBLAS/cuDNN). */
public class CudaUnavailableException extends IllegalStateException {
    /**
     * An exception saying why.
     *
     * @param message the reason
     */
    public CudaUnavailableException(String message) { super(message); }

    /**
     * An exception saying why, with the failure underneath.
     *
     * @param message the reason
     * @param cause   the failure
     */
    public CudaUnavailableException(String message, Throwable cause) { super(message, cause); }
}
