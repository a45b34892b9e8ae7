package io.genten.backend.cuda;

import java.lang.foreign.MemorySegment;

/** Turns raw statuses of libgenten_cuda into exceptions that name the op and the shapes. */
final class CudaStatus {
    /** cudaErrorMemoryAllocation */
    static final int OUT_OF_MEMORY = 2;
    static final int INVALID_ARGUMENT = 10001;
    static final int UNSUPPORTED = 10002;

    private CudaStatus() {}

    /**
     * The sticky errors of a faulted kernel (cudaError_t): illegal address 700, device assert 710,
     * hardware stack error 714, illegal instruction 715, misaligned address 716, invalid address
     * space 717, invalid PC 718, launch failure 719 (also the emulator's __trap, deadlock and
     * out-of-range access).
     */
    static boolean isKernelFault(int status) {
        return status == 700 || status == 710 || (status >= 714 && status <= 719);
    }

    /** genten_error_string(status): names CUDA errors and genten codes alike. */
    static String errorString(int status) {
        MemorySegment s = Native.errorString(status);
        if (s.address() == 0) return "unknown status " + status;
        return s.reinterpret(4096).getString(0);
    }

    /** Throws a {@link CudaException} (or {@link CudaOutOfMemoryException}) unless status is 0. */
    static void check(int status, String op, String detail) {
        if (status == 0) return;
        String message = op + (detail.isEmpty() ? "" : " " + detail) + ": " + errorString(status) + " (status " + status + ")";
        if (status == OUT_OF_MEMORY) throw new CudaOutOfMemoryException(message, status, -1);
        throw new CudaException(message, status);
    }

    static void check(int status, String op) { check(status, op, ""); }
}
