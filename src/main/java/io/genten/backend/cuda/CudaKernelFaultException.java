package io.genten.backend.cuda;

/**
 * A kernel faulted on the device ({@code __trap}, an illegal address, a failed device assertion, or
 * on the CPU emulator also a barrier or warp operation that can never complete). The message names
 * the Backend op, its shapes and the library's description of the fault (on the emulator: the
 * kernel, the launch site, the block and the thread).
 *
 * <p>Such an error is sticky, as CUDA specifies: the context, and with it the backend and every
 * tensor on it, is unusable for the rest of the process. On a GPU a fault is reported by the next
 * launch or synchronization after it, which may belong to a later op; the message then lists the
 * ops queued before it, and {@code -Dgenten.cuda.syncEachOp=true} pins the fault to its op.
 */
public class CudaKernelFaultException extends CudaException {
    /** The Backend op that reported the fault (part of the serialized form). */
    private final String op;

    /**
     * A kernel-fault exception.
     *
     * @param message names the op, its shapes and the fault
     * @param status  the raw status (a sticky cudaError_t, e.g. cudaErrorLaunchFailure)
     * @param op      the Backend op that reported it
     */
    public CudaKernelFaultException(String message, int status, String op) {
        super(message, status);
        this.op = op;
    }

    /**
     * The Backend op that reported the fault (on a GPU without syncEachOp, possibly one queued after the faulting kernel).
     *
     * @return the op's name
     */
    public String op() { return op; }
}
