package io.genten.backend.cuda;

import static io.genten.backend.cuda.SimtFailures.LAUNCH_FAILURE;
import static io.genten.backend.cuda.SimtFailures.LAUNCH_OUT_OF_RESOURCES;
import static io.genten.backend.cuda.SimtFailures.MEMORY_ALLOCATION;
import static io.genten.backend.cuda.SimtFailures.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.TensorScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every native status the Java side checks, made to fail on the CPU emulator (GENTEN_SIMT_FAIL,
 * {@link SimtFailures}): a failed allocation, copy, launch or synchronization becomes a
 * {@link CudaException} that names the op and the CUDA error, never a crash and never a result
 * computed from memory nobody wrote; and the backend goes on afterwards (these injected failures
 * are not sticky). No passing test reached these checks before: mutation testing could remove any
 * of them unseen.
 */
@Tag("gpu")
class CudaInjectedFailuresTest {
    private static final CpuBackend CPU = CpuBackend.get();
    /** Without the NaN poison, an op's first launch is its own kernel, not the fill of its result. */
    private static final CudaOptions PLAIN = new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.NATIVE, false);
    private static CudaBackend gpu;

    @BeforeAll static void open() {
        GpuTestSupport.requireGpu();
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "a runtime call is made to fail only on the CPU emulator (GENTEN_SIMT_FAIL)");
        gpu = new CudaBackend(PLAIN);
    }

    @AfterAll static void close() {
        if (gpu != null) gpu.close();
    }

    /** {@code call} throws {@code type} with a message that starts with {@code op} while {@code function}'s next call fails. */
    private static <T extends CudaException> T failsNamed(Class<T> type, String op, String function, int status, Executable call) {
        T e;
        try (var f = SimtFailures.fail(function, 1, status)) {
            e = assertThrows(type, call, op + " with " + function + " failing");
        }
        assertTrue(e.getMessage().startsWith(op), op + ": " + e.getMessage());
        assertEquals(status, e.status(), e.getMessage());
        return e;
    }

    /** After a failure the backend goes on: an op on fresh random inputs equals the CPU's. */
    private static void stillComputes(CudaBackend b, long seed) {
        try (var scope = TensorScope.open()) {
            var x = GpuTestSupport.randn(seed, 5, 7);
            var y = GpuTestSupport.randn(seed + 1, 5, 7);
            GpuTestSupport.close("add after a failure", b.add(b.copyOf(x), b.copyOf(y)), CPU.add(x, y), 1e-7);
        }
    }

    @Test void everyOpNamesAFailedLaunch() {
        try (var scope = TensorScope.open()) {
            for (var e : CudaContractTest.ops(gpu).entrySet()) {
                String op = e.getKey().split(" ")[0];
                var input = gpu.randn(CudaContractTest.firstShape(e.getKey()), 11, 0);
                var ex = failsNamed(CudaException.class, op, "cudaLaunchKernel", LAUNCH_OUT_OF_RESOURCES, () -> e.getValue().apply(input));
                assertTrue(ex.getMessage().contains("too many resources requested for launch"), ex.getMessage());
                // Adam's launch covers a list of parameters: it names their count and the largest instead
                boolean named = op.equals("adamStep") ? ex.getMessage().contains("1 parameters") : ex.getMessage().contains(input.shape().toString());
                assertTrue(named, "names the shapes: " + ex.getMessage());
            }
        }
        stillComputes(gpu, 31);
    }

    /**
     * A failed op leaves no device memory behind: what it allocated (its outputs, its scratch) is
     * freed before the exception leaves, so a caller outside a TensorScope leaks nothing. Measured
     * by the allocator's bytes in use around each op made to fail at its first launch.
     */
    @Test void aFailedOpFreesWhatItAllocated() {
        try (var scope = TensorScope.open()) {
            for (var e : CudaContractTest.ops(gpu).entrySet()) {
                String op = e.getKey().split(" ")[0];
                var input = gpu.randn(CudaContractTest.firstShape(e.getKey()), 14, 0);
                e.getValue().apply(input); // once as it should go: what an op keeps on purpose (Adam's slot table) is made now
                long before = gpu.memoryStats().allocatedBytes();
                failsNamed(CudaException.class, op, "cudaLaunchKernel", LAUNCH_OUT_OF_RESOURCES, () -> e.getValue().apply(input));
                assertEquals(before, gpu.memoryStats().allocatedBytes(), op + " left device memory allocated after its failure");
            }
        }
        stillComputes(gpu, 51);
    }

    /** An op made of two (the transposed conv's backward: a conv forward and a filter gradient) frees both outputs whichever launch fails. */
    @Test void aFailedTransposedConvBackwardFreesBothOutputs() {
        try (var scope = TensorScope.open()) {
            var x = gpu.randn(Shape.of(2, 4, 5, 5), 15, 0);
            var w = gpu.randn(Shape.of(4, 3, 3, 3), 16, 0);
            var spec = new io.genten.backend.Conv2dSpec(2, 1);
            var dy = gpu.randn(Shape.of(2, 3, 10, 10), 17, 0); // the gradient of the transposed conv's output (2, 3, 10, 10)
            int failed = 0;
            for (int nth = 1; nth <= 12; nth++) {
                long before = gpu.memoryStats().allocatedBytes();
                try (var f = SimtFailures.fail("cudaLaunchKernel", nth, LAUNCH_OUT_OF_RESOURCES)) {
                    gpu.convTranspose2dBackward(dy, x, w, spec, true);
                    break; // fewer launches than nth: every launch has been failed once
                } catch (CudaException ex) {
                    failed++;
                    assertEquals(before, gpu.memoryStats().allocatedBytes(), "launch " + nth + " failed: " + ex.getMessage());
                }
            }
            assertTrue(failed >= 2, "both of its ops were made to fail: " + failed + " launches");
        }
        stillComputes(gpu, 52);
    }

    /** A linear layer without input features is the bias alone: a fill, then the bias launch, whose failure is named too. */
    @Test void theBiasOfALinearLayerWithoutInputsNamesItsFailure() {
        try (var scope = TensorScope.open()) {
            var x = gpu.empty(Shape.of(3, 0));
            var w = gpu.empty(Shape.of(5, 0));
            var bias = gpu.randn(Shape.of(5), 13, 0);
            CudaException e;
            try (var f = SimtFailures.fail("cudaLaunchKernel", 2, LAUNCH_OUT_OF_RESOURCES)) {
                e = assertThrows(CudaException.class, () -> gpu.linearForward(x, w, bias));
            }
            assertTrue(e.getMessage().startsWith("linearForward"), e.getMessage());
        }
    }

    /** With syncEachOp a kernel's failure is pinned to its op at the synchronization after it. */
    @Test void withSyncEachOpAFailedKernelNamesItsOp() {
        String before = System.getProperty("genten.cuda.syncEachOp");
        System.setProperty("genten.cuda.syncEachOp", "true"); // read once, when a backend opens
        CudaBackend synced;
        try {
            synced = new CudaBackend(PLAIN);
        } finally {
            if (before == null) System.clearProperty("genten.cuda.syncEachOp");
            else System.setProperty("genten.cuda.syncEachOp", before);
        }
        try (synced; var scope = TensorScope.open()) {
            for (var e : CudaContractTest.ops(synced).entrySet()) {
                String op = e.getKey().split(" ")[0];
                var input = synced.randn(CudaContractTest.firstShape(e.getKey()), 12, 0);
                var ex = failsNamed(CudaKernelFaultException.class, op, "cudaStreamSynchronize", LAUNCH_FAILURE, () -> e.getValue().apply(input));
                assertTrue(ex.getMessage().contains("(kernel)") && ex.getMessage().contains("failed on purpose"), ex.getMessage());
            }
            stillComputes(synced, 41);
        }
    }

    @Test void failedCopiesAndSynchronizationsNameWhatFailed() {
        try (var scope = TensorScope.open()) {
            var host = GpuTestSupport.randn(21, 3, 5);
            var x = gpu.copyOf(host);
            var y = gpu.randn(Shape.of(3, 5), 22, 0);
            var yBefore = y.toArray();
            var fault = failsNamed(CudaKernelFaultException.class, "synchronize", "cudaStreamSynchronize", LAUNCH_FAILURE, gpu::synchronize);
            // the emulator reports a kernel's fault at its own launch: no list of earlier suspects, as a GPU's message has
            assertTrue(!fault.getMessage().contains("queued before"), fault.getMessage());
            failsNamed(CudaException.class, "cuda (set device 0)", "cudaSetDevice", UNKNOWN, gpu::makeCurrent);
            failsNamed(CudaException.class, "deviceMemoryInfo", "cudaMemGetInfo", UNKNOWN, gpu::deviceMemoryInfo);
            failsNamed(CudaKernelFaultException.class, "synchronize", "cudaStreamSynchronize", LAUNCH_FAILURE, x::toArray);
            failsNamed(CudaException.class, "copy to host", "cudaMemcpyAsync", UNKNOWN, x::toArray);
            failsNamed(CudaException.class, "copy to device", "cudaMemcpyAsync", UNKNOWN, () -> gpu.copyOf(host));
            failsNamed(CudaException.class, "copyOf", "cudaMemcpyAsync", UNKNOWN, () -> gpu.copyOf(x));
            failsNamed(CudaException.class, "copyInto", "cudaMemcpyAsync", UNKNOWN, () -> gpu.copyInto(x, y));
            failsNamed(CudaException.class, "randomOffset", "cudaMemcpyAsync", UNKNOWN, gpu::randomOffset);
            failsNamed(CudaException.class, "resetRandomOffset", "cudaMemcpyAsync", UNKNOWN, gpu::resetRandomOffset);
            failsNamed(CudaException.class, "advanceRandomOffset", "cudaLaunchKernel", LAUNCH_OUT_OF_RESOURCES, () -> gpu.advanceRandomOffset(3));
            failsNamed(CudaException.class, "full", "cudaLaunchKernel", LAUNCH_OUT_OF_RESOURCES, () -> gpu.full(Shape.of(4), 2f));
            failsNamed(CudaException.class, "fill", "cudaLaunchKernel", LAUNCH_OUT_OF_RESOURCES, () -> gpu.fill(y, 2f));
            failsNamed(CudaException.class, "randn", "cudaLaunchKernel", LAUNCH_OUT_OF_RESOURCES, () -> gpu.randn(Shape.of(9), 1, 0));
            failsNamed(CudaException.class, "rand", "cudaLaunchKernel", LAUNCH_OUT_OF_RESOURCES, () -> gpu.rand(Shape.of(9), 1, 0));
            // the failed copies and fills wrote nothing
            assertArrayEquals(host.toArray(), x.toArray(), "x after its failed copies");
            assertArrayEquals(yBefore, y.toArray(), "y after a failed copyInto and fill");
            assertEquals(0L, gpu.randomOffset(), "the counter after a failed advance");
        }
        stillComputes(gpu, 51);
    }

    @Test void aFailedDeviceAllocationNamesTheOp() {
        try (var scope = TensorScope.open()) {
            var a = GpuTestSupport.randn(61, 5, 7);
            var b = GpuTestSupport.randn(62, 5, 7);
            var ga = gpu.copyOf(a);
            var gb = gpu.copyOf(b);
            // an empty cache: the result's block is a cudaMalloc
            gpu.emptyCache();
            var e = failsNamed(CudaException.class, "add", "cudaMalloc", UNKNOWN, () -> gpu.add(ga, gb));
            assertTrue(e.getMessage().contains("[5, 7]") && e.getMessage().contains("unknown error"), e.getMessage());

            // out of memory once: the allocator empties its cache, retries, and the op computes
            gpu.emptyCache();
            long retries = gpu.memoryStats().oomRetries();
            try (var f = SimtFailures.fail("cudaMalloc", 1, MEMORY_ALLOCATION)) {
                GpuTestSupport.close("add after a retried allocation", gpu.add(ga, gb), CPU.add(a, b), 1e-7);
            }
            assertEquals(retries + 1, gpu.memoryStats().oomRetries(), "one retry");

            // out of memory for good: the op is named, and the backend goes on once memory is back
            gpu.emptyCache();
            try (var f = SimtFailures.failEvery("cudaMalloc", MEMORY_ALLOCATION)) {
                var oom = assertThrows(CudaOutOfMemoryException.class, () -> gpu.add(ga, gb));
                assertTrue(oom.getMessage().startsWith("add: out of device memory for a result of shape [5, 7] (140 bytes)"), oom.getMessage());
                // what the device holds, as it is now (nothing was allocated since)
                long[] m = gpu.deviceMemoryInfo();
                String device = String.format("device: %.1f MiB free of %.1f MiB", m[0] / 1048576.0, m[1] / 1048576.0);
                assertTrue(oom.getMessage().contains(device), device + " in " + oom.getMessage());
            }

            // a kernel's workspace (stream-ordered scratch): out of memory names the op and empties the caches
            var dy = GpuTestSupport.randn(63, 3, 4, 5, 5);
            var gdy = gpu.copyOf(dy);
            gpu.randn(Shape.of(1000), 5, 0).close(); // a cached block of a class the op does not take, for the failure to give back
            assertTrue(gpu.memoryStats().cachedBytes() > 0, gpu.memoryStats().toString());
            var ws = failsNamed(CudaOutOfMemoryException.class, "biasGradient", "cudaMallocAsync", MEMORY_ALLOCATION, () -> gpu.biasGradient(gdy));
            assertTrue(ws.getMessage().contains("kernel's workspace") && ws.getMessage().contains("caches were emptied"), ws.getMessage());
            // emptied: the 4,000-byte block is gone; what is cached now is only the op's own result, freed after the emptying
            assertTrue(gpu.memoryStats().cachedBytes() < 4000, "the allocator's cache was emptied: " + gpu.memoryStats());
            GpuTestSupport.close("biasGradient after its workspace failed", gpu.biasGradient(gdy), CPU.biasGradient(dy), 1e-5);
        }
        stillComputes(gpu, 71);
    }

    /** A failure while closing is reported, and the backend is closed all the same: its tensors are refused, not read from freed memory. */
    @Test void aFailedSynchronizationAtCloseIsReportedAndTheBackendStillCloses() {
        var b = new CudaBackend(PLAIN);
        var t = b.randn(Shape.of(3, 4), 1, 0);
        var e = failsNamed(CudaException.class, "cuda backend close", "cudaStreamSynchronize", LAUNCH_FAILURE, b::close);
        assertTrue(e.getMessage().contains("(synchronize)"), e.getMessage());
        assertTrue(b.isClosed());
        var used = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(used.getMessage().contains("after close"), used.getMessage());
        stillComputes(gpu, 91);
    }

    /** A backend whose opening fails after it took device memory (its random counter) gives it back. */
    @Test void aBackendThatFailsToOpenGivesBackItsMemory() {
        long free = gpu.deviceMemoryInfo()[0];
        failsNamed(CudaException.class, "resetRandomOffset", "cudaMemcpyAsync", UNKNOWN, () -> new CudaBackend(PLAIN).close());
        assertEquals(free, gpu.deviceMemoryInfo()[0], "device bytes free before and after");
    }

    @Test void aFailedStreamCreationFailsTheBackendByName() {
        var e = failsNamed(CudaException.class, "cuda backend", "cudaStreamCreateWithFlags", UNKNOWN, () -> new CudaBackend(PLAIN).close());
        assertTrue(e.getMessage().contains("stream create"), e.getMessage());
        stillComputes(gpu, 81);
    }
}
