package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Shape;
import io.genten.tensor.TensorScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Which exception a failed status becomes (built, not thrown by a real fault: a real one would be
 * sticky and end every later test in this JVM; GpuFaultsCliTest plants one in a child process).
 */
@Tag("gpu")
class CudaFailureTest {
    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    private static CudaBackend fp32() { return GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0)); }

    @Test void stickyStatusesAreKernelFaultsNamingTheOp() {
        var gpu = fp32();
        for (int status : new int[] {700, 710, 714, 715, 716, 717, 718, 719}) {
            var e = gpu.failure(status, "conv2dForward", "[8, 1, 28, 28], [64, 1, 5, 5]");
            var fault = assertInstanceOf(CudaKernelFaultException.class, e, "status " + status);
            assertEquals("conv2dForward", fault.op());
            assertEquals(status, fault.status());
            assertTrue(e.getMessage().startsWith("conv2dForward [8, 1, 28, 28], [64, 1, 5, 5]: a kernel faulted: "), e.getMessage());
            assertTrue(e.getMessage().contains("(status " + status + ")") && e.getMessage().contains("context is lost"), e.getMessage());
        }
        for (int status : new int[] {1, 10001, 701, 713, 720}) {
            var e = gpu.failure(status, "fill", "[3]");
            assertEquals(CudaException.class, e.getClass(), "status " + status + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith("fill [3]: ") && e.getMessage().endsWith("(status " + status + ")"), e.getMessage());
        }
    }

    @Test void outOfMemoryStatusEmptiesTheCacheAndNamesTheOp() {
        var gpu = fp32();
        try (var scope = TensorScope.open()) {
            gpu.empty(Shape.of(1000)).close(); // a block on the free list
        }
        assertTrue(gpu.memoryStats().cachedBytes() > 0, "something cached: " + gpu.memoryStats());
        var e = assertInstanceOf(CudaOutOfMemoryException.class, gpu.failure(CudaStatus.OUT_OF_MEMORY, "biasGradient", "[64, 128, 7, 7]"));
        assertTrue(e.getMessage().startsWith("biasGradient [64, 128, 7, 7]: out of device memory for a kernel's workspace"), e.getMessage());
        assertEquals(-1, e.requestedBytes());
        assertTrue(e.allocatorStats().cachedBytes() > 0, "the holdings before the cache was emptied: " + e.allocatorStats());
        assertEquals(0, gpu.memoryStats().cachedBytes(), "emptied: " + gpu.memoryStats());
    }
}
