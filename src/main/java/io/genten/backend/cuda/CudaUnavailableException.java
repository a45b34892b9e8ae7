package io.genten.backend.cuda;

/** The CUDA backend cannot run here; the message says why (no library, no driver, no device, no cuBLAS/cuDNN). */
public class CudaUnavailableException extends IllegalStateException {
    public CudaUnavailableException(String message) { super(message); }

    public CudaUnavailableException(String message, Throwable cause) { super(message, cause); }
}
