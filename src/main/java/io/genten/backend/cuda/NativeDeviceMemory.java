package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** genten_malloc / genten_free. */
final class NativeDeviceMemory implements DeviceMemory {
    @Override public long malloc(long bytes) {
        try (var arena = Arena.ofConfined()) {
            var out = arena.allocate(ADDRESS);
            int status = Native.malloc(out, bytes);
            if (status == CudaStatus.OUT_OF_MEMORY) {
                // a failed cudaMalloc leaves cudaErrorMemoryAllocation as the "last error", which the
                // next launch's cudaGetLastError check would report: read it off here (result ignored)
                Native.streamCheck(MemorySegment.NULL);
                throw new CudaOutOfMemoryException("genten_malloc of " + bytes + " bytes: " + CudaStatus.errorString(status),
                        status, bytes);
            }
            CudaStatus.check(status, "genten_malloc", "of " + bytes + " bytes");
            return out.get(ADDRESS, 0).address();
        }
    }

    @Override public void free(long address) {
        CudaStatus.check(Native.free(MemorySegment.ofAddress(address)), "genten_free");
    }
}
