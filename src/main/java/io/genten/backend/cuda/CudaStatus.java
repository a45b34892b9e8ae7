package io.genten.backend.cuda;

import java.lang.foreign.MemorySegment;

/** Turns raw statuses of libgenten_cuda into exceptions that name the op and the shapes. */
final class CudaStatus {
    /** cudaErrorMemoryAllocation */
    static final int OUT_OF_MEMORY = 2;
    static final int INVALID_ARGUMENT = 10001;
    static final int UNSUPPORTED = 10002;

    private CudaStatus() {}

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
