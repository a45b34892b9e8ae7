package io.genten.cli;

import io.genten.backend.cuda.CudaKernelFaultException;
import io.genten.backend.cuda.CudaOutOfMemoryException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code genten train} says when the GPU fails inside a step. Out of device memory stops the
 * run (exit 1) rather than going on at a smaller batch: the step that failed may have updated the
 * discriminator and not the generator, a smaller batch is another run (its learning-rate and
 * batch-norm behaviour differ, and {@code --resume} refuses a changed batch), and going on silently
 * would leave a checkpoint no command line reproduces. The last committed training state and
 * checkpoint stay as they were, byte for byte; the line says which batch failed and suggests half.
 */
final class DeviceFaults {
    private DeviceFaults() {}

    /** The out-of-memory at {@code step} (1-based) of a run at {@code batch}, as the run's one-line reason. */
    static CudaOutOfMemoryException outOfMemory(CudaOutOfMemoryException e, int batch, long step, Path state, Path checkpoint) {
        String advice = batch > 1
                ? "rerun with --batch " + Math.max(1, batch / 2) + " (or continue the saved run with --resume --force-resume --batch " + Math.max(1, batch / 2) + ")"
                : "the model does not fit the device even at --batch 1";
        return new CudaOutOfMemoryException("out of device memory at step " + step + " with --batch " + batch + "; stopped, " + kept(state, checkpoint)
                + "; " + advice + ". Cause: " + e.getMessage(), e.status(), e.requestedBytes(), e.allocatorStats());
    }

    /** A kernel fault at {@code step}: the context is lost, so the run stops; the saved state is intact. */
    static CudaKernelFaultException kernelFault(CudaKernelFaultException e, long step, Path state, Path checkpoint) {
        return new CudaKernelFaultException("GPU kernel fault at step " + step + "; stopped, " + kept(state, checkpoint) + ". Cause: " + e.getMessage(),
                e.status(), e.op());
    }

    private static String kept(Path state, Path checkpoint) {
        return Files.exists(state) ? "the last good training state " + state + " and checkpoint " + checkpoint + " are kept" : "nothing was saved yet";
    }
}
