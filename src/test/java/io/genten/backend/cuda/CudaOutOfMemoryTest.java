package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Conv2dSpec;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.TensorScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Out of device memory at op level, in both allocation paths: the caching allocator (an op's
 * result) and a kernel's own workspace (the split-K buffer of conv2dBackwardFilter, cudaMallocAsync
 * inside the library). Each is a {@link CudaOutOfMemoryException} that names the op, the request
 * and what the allocator held; the caches are empty afterwards and the backend goes on.
 *
 * <p>The device is made small around the test: on the emulator by its memory limit, on a GPU by a
 * ballast tensor that takes all but the budget.
 */
@Tag("gpu")
class CudaOutOfMemoryTest {
    private static final CpuBackend CPU = CpuBackend.get();

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    private static CudaBackend fp32() { return GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0)); }

    @AfterEach void restoreLimit() {
        if (GpuTestSupport.emulated()) fp32().setEmulatedMemoryLimit(0);
        fp32().emptyCache(); // a GPU's ballast went to the cache: give it back
    }

    /** Leaves {@code budget} bytes free on the device (the caller's scope frees a GPU's ballast). */
    private static void leaveFree(CudaBackend gpu, long budget) {
        gpu.synchronize();
        gpu.emptyCache();
        long[] info = gpu.deviceMemoryInfo();
        if (GpuTestSupport.emulated()) {
            gpu.setEmulatedMemoryLimit(info[1] - info[0] + budget);
        } else {
            // ballast, freed with the caller's scope, in tensors of at most 2^30 floats
            for (long left = (info[0] - budget) / 4; left > 0; left -= 1 << 30) gpu.empty(Shape.of((int) Math.min(left, 1 << 30)));
        }
        long free = gpu.deviceMemoryInfo()[0];
        assertTrue(free <= budget + (1 << 20), "left " + free + " bytes free, wanted about " + budget);
    }

    @Test void anOpsResultBeyondTheDeviceNamesTheOpTheBytesAndTheHoldings() {
        var gpu = fp32();
        var spec = new Conv2dSpec(1, 1);
        var x = GpuTestSupport.randn(7, 16, 8, 28, 28);
        var w = GpuTestSupport.randn(8, 16, 8, 3, 3);
        try (var scope = TensorScope.open()) {
            var dx = gpu.copyOf(x);
            var dw = gpu.copyOf(w);
            long before = gpu.memoryStats().oomRetries();
            leaveFree(gpu, 256 << 10); // the result is 16*16*28*28*4 = 802,816 bytes
            var e = assertThrows(CudaOutOfMemoryException.class, () -> gpu.conv2dForward(dx, dw, null, spec));
            String m = e.getMessage();
            assertTrue(m.startsWith("conv2dForward: out of device memory for a result of shape [16, 16, 28, 28] (802816 bytes)"), m);
            assertTrue(m.contains("allocated ") && m.contains(" blocks") && m.contains("device: "), m);
            assertEquals(802816, e.requestedBytes(), m);
            assertNotNull(e.allocatorStats(), m);
            assertTrue(e.allocatorStats().allocatedBytes() >= 4 * (x.numel() + w.numel()), "the inputs were held: " + e.allocatorStats());
            assertTrue(gpu.memoryStats().oomRetries() > before, "the cache was emptied and the request retried");
            assertEquals(0, gpu.memoryStats().cachedBytes(), "the cache is empty after the failure");
            // the backend goes on at a smaller size, under the same limit
            var small = GpuTestSupport.randn(12, 2, 8, 28, 28);
            GpuTestSupport.close("conv2dForward after OOM", gpu.conv2dForward(gpu.copyOf(small), dw, null, spec), CPU.conv2dForward(small, w, null, spec), 1e-5);
        }
    }

    @Test void aKernelsWorkspaceBeyondTheDeviceNamesTheOpAndTheBackendGoesOn() {
        var gpu = fp32();
        var spec = new Conv2dSpec(1, 1);
        // a long reduction (16*28*28 positions) onto a small filter (16x8x3x3): any split-K policy splits it
        var x = GpuTestSupport.randn(9, 16, 8, 28, 28);
        var dy = GpuTestSupport.randn(10, 16, 16, 28, 28);
        var wShape = Shape.of(16, 8, 3, 3);
        try (var scope = TensorScope.open()) {
            var gx = gpu.copyOf(x);
            var gdy = gpu.copyOf(dy);
            // room for dw (4,608 bytes, one 4,608-byte block) and nothing more: the workspace cannot fit
            leaveFree(gpu, CachingAllocator.sizeClass(4 * wShape.numel()));
            var e = assertThrows(CudaOutOfMemoryException.class, () -> gpu.conv2dBackwardFilter(gdy, gx, wShape, spec));
            String m = e.getMessage();
            assertTrue(m.startsWith("conv2dBackwardFilter [16, 16, 28, 28], [16, 8, 28, 28]: out of device memory for a kernel's workspace"), m);
            assertTrue(m.contains("allocator held: allocated ") && m.contains("the caches were emptied"), m);
            assertEquals(-1, e.requestedBytes(), "sized inside the library");
            assertNotNull(e.allocatorStats(), m);
            // the caches were emptied; what is cached now is dw alone, allocated before the workspace and
            // freed by the failed op itself after the emptying (a failed op leaves nothing allocated)
            assertEquals(CachingAllocator.sizeClass(4 * wShape.numel()), gpu.memoryStats().cachedBytes(), "only dw is cached after the failure");
            // under the same limit, the caller frees a tensor and goes on
            gdy.close();
            var filled = gpu.full(Shape.of(1000), 2.5f).toArray();
            for (float f : filled) assertEquals(2.5f, f);
        }
        // with the memory back, the same op gives the CPU's result
        if (GpuTestSupport.emulated()) gpu.setEmulatedMemoryLimit(0);
        try (var scope = TensorScope.open()) {
            GpuTestSupport.close("conv2dBackwardFilter after OOM", gpu.conv2dBackwardFilter(gpu.copyOf(dy), gpu.copyOf(x), wShape, spec),
                    CPU.conv2dBackwardFilter(dy, x, wShape, spec), 1e-4);
        }
    }

    @Test void theEmulatedLimitIsRefusedOnARealGpu() {
        var gpu = fp32();
        if (GpuTestSupport.emulated()) {
            assertThrows(IllegalArgumentException.class, () -> gpu.setEmulatedMemoryLimit(-1));
        } else {
            assertThrows(UnsupportedOperationException.class, () -> gpu.setEmulatedMemoryLimit(1 << 20));
        }
    }
}
