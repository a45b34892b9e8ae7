package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.ConvImpl;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import io.genten.testing.Assertions2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What {@link CudaBackend} itself decides, beside the op families: that each math mode reaches the
 * kernels (TF32 rounds its inputs, FP32 and 3xTF32 do not: the CPU-comparison tests' tolerances
 * cannot tell them apart), the devices and libraries it refuses to open on, its description, and its
 * memory ops' checks.
 */
@Tag("gpu")
class CudaBackendChecksTest {
    private static final CpuBackend CPU = CpuBackend.get();

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    private static CudaBackend backend(MathMode math) {
        return GpuTestSupport.backend(GpuTestSupport.CONFIGS.stream()
                .filter(o -> o.math() == math && o.conv() == ConvImpl.NATIVE && o.linear() == LinearImpl.NATIVE).findFirst().orElseThrow());
    }

    private static double error(Tensor gpu, Tensor cpu) {
        assertEquals(cpu.shape(), gpu.shape());
        return Assertions2.relativeL2(gpu.toArray(), cpu.toArray());
    }

    /** TF32 keeps 10 mantissa bits of each operand (a relative error near 1e-4 on random data); FP32 and 3xTF32 about 1e-7. */
    @Test void eachMathModeReachesTheKernels() {
        try (var scope = TensorScope.open()) {
            var x = GpuTestSupport.randn(1, 37, 53);
            var w = GpuTestSupport.randn(2, 41, 53);
            var cx = GpuTestSupport.randn(3, 2, 32, 9, 11);
            var cw = GpuTestSupport.randn(4, 64, 32, 3, 3);
            var spec = new Conv2dSpec(1, 1);
            var linear = CPU.linearForward(x, w, null);
            var conv = CPU.conv2dForward(cx, cw, null, spec);
            for (var math : MathMode.values()) {
                var gpu = backend(math);
                assertEquals(math, gpu.mathMode());
                double el = error(gpu.linearForward(gpu.copyOf(x), gpu.copyOf(w), null), linear);
                double ec = error(gpu.conv2dForward(gpu.copyOf(cx), gpu.copyOf(cw), null, spec), conv);
                if (math == MathMode.TF32) {
                    assertTrue(el > 2e-5 && el < 5e-3, "TF32 linear rounds its operands: relative error " + el);
                    assertTrue(ec > 2e-5 && ec < 5e-3, "TF32 conv rounds its operands: relative error " + ec);
                } else {
                    assertTrue(el < 2e-6, math + " linear: relative error " + el);
                    assertTrue(ec < 2e-6, math + " conv: relative error " + ec);
                }
            }
        }
    }

    @Test void opensOnlyOnADeviceThatExists() {
        int count = CudaAvailability.get().deviceCount();
        var e = assertThrows(IllegalArgumentException.class,
                () -> new CudaBackend(new CudaOptions(count, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.NATIVE, true)));
        assertTrue(e.getMessage().contains("device " + count + " requested but " + count + " present"), e.getMessage());
    }

    /** The emulator has no cuBLAS or cuDNN: asking for either says so instead of opening half a backend. */
    @Test void theEmulatorRefusesNvidiasLibrariesByName() {
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "a real GPU has cuBLAS and cuDNN");
        var cublas = assertThrows(CudaUnavailableException.class,
                () -> new CudaBackend(new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.CUBLAS, true)));
        assertTrue(cublas.getMessage().contains("cuBLAS"), cublas.getMessage());
        for (var o : new CudaOptions[] {new CudaOptions(0, MathMode.FP32, ConvImpl.CUDNN, BatchNormImpl.NATIVE, LinearImpl.NATIVE, true),
                new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.CUDNN, LinearImpl.NATIVE, true)}) {
            var cudnn = assertThrows(CudaUnavailableException.class, () -> new CudaBackend(o));
            assertTrue(cudnn.getMessage().contains("cuDNN (conv " + o.conv() + ", batchnorm " + o.batchNorm() + ")"), cudnn.getMessage());
        }
    }

    @Test void describesTheEmulatedDeviceAndTheChoices() {
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "the emulator's description");
        var gpu = backend(MathMode.TF32);
        String d = gpu.describe();
        assertTrue(d.startsWith("cuda:0: Genten SIMT emulator") && d.contains("(emulated on the CPU)"), d);
        assertTrue(d.contains("cuBLAS unused (our GEMM)") && d.contains("cuDNN absent") && d.contains("math TF32, conv NATIVE, batchnorm NATIVE, linear NATIVE"), d);
        assertEquals("cuda", gpu.name());
    }

    /** A new backend's random counter is 0 (its block is fresh device memory, NaN-filled on the emulator), so its draws equal the CPU's. */
    @Test void aNewBackendStartsItsRandomCounterAtZero() {
        try (var b = new CudaBackend(GpuTestSupport.CONFIGS.getFirst()); var scope = TensorScope.open()) {
            assertFalse(b.isClosed());
            assertEquals(0L, b.randomOffset());
            Assertions2.assertClose("rand of a new backend", b.rand(Shape.of(7), 3, 5).toArray(), CPU.rand(Shape.of(7), 3, 5).toArray(), 0);
            b.advanceRandomOffset(6);
            assertEquals(6L, b.randomOffset());
            var e = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(b, b::resetRandomOffset));
            assertTrue(e.getMessage().startsWith("resetRandomOffset"), e.getMessage());
            b.resetRandomOffset();
            assertEquals(0L, b.randomOffset());
        }
    }

    /** Every factory, copy and reduction of an empty tensor: no launch with n = 0 (the kernels refuse it). */
    @Test void emptyTensorsFromEveryFactory() {
        var gpu = backend(MathMode.FP32);
        try (var scope = TensorScope.open()) {
            var shape = Shape.of(0, 3);
            for (var t : new Tensor[] {gpu.empty(shape), gpu.zeros(shape), gpu.full(shape, 2f), gpu.randn(shape, 1, 0), gpu.rand(shape, 1, 0),
                    gpu.copyOf(Tensor.zeros(0, 3)), gpu.copyOf(gpu.empty(shape))}) {
                assertEquals(shape, t.shape());
                assertEquals(0, t.toArray().length);
            }
            gpu.copyInto(gpu.empty(shape), gpu.empty(Shape.of(3, 0)));
            gpu.fill(gpu.empty(shape), 1f);
        }
    }

    /** After close, the memory ops are refused instead of reaching a destroyed stream. */
    @Test void aClosedBackendRefusesItsMemoryOps() {
        var b = new CudaBackend(GpuTestSupport.CONFIGS.getFirst());
        b.close();
        assertTrue(b.isClosed());
        for (Runnable call : new Runnable[] {b::emptyCache, b::deviceMemoryInfo, () -> b.setEmulatedMemoryLimit(1 << 30), b::synchronize,
                () -> b.empty(Shape.of(2))}) {
            var e = assertThrows(IllegalStateException.class, call::run);
            assertTrue(e.getMessage().contains("after close"), e.getMessage());
        }
    }

    /** Closing gives back every byte the backend took (its tensors, Adam's launch tables, its random counter). */
    @Test void closingABackendGivesBackItsDeviceMemory() {
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "exact byte counts on the emulator's device only");
        var other = backend(MathMode.FP32);
        long free = other.deviceMemoryInfo()[0];
        try (var b = CudaBackend.create()) {
            assertEquals(CudaOptions.defaults(), b.options());
            assertTrue(b.availability() == CudaAvailability.get());
            try (var scope = TensorScope.open()) {
                var p = b.randn(Shape.of(37), 1, 0);
                b.adamStep(java.util.List.of(p), java.util.List.of(b.randn(Shape.of(37), 2, 0)), java.util.List.of(b.zeros(Shape.of(37))),
                        java.util.List.of(b.zeros(Shape.of(37))), io.genten.backend.AdamConfig.of(1e-3f, 0.9f, 0.999f), 1);
            }
            assertTrue(other.deviceMemoryInfo()[0] < free, "the backend holds memory while open");
        }
        assertEquals(free, other.deviceMemoryInfo()[0], "device bytes free before and after");
    }

    @Test void emptyCacheReturnsTheCachedBlocks() {
        var gpu = backend(MathMode.FP32);
        gpu.randn(Shape.of(1000), 1, 0).close();
        assertTrue(gpu.memoryStats().cachedBytes() > 0, gpu.memoryStats().toString());
        gpu.emptyCache();
        assertEquals(0L, gpu.memoryStats().cachedBytes(), gpu.memoryStats().toString());
    }

    @Test void theEmulatedMemoryLimitIsSetAndRestored() {
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "the emulator's memory size");
        var gpu = backend(MathMode.FP32);
        long total = gpu.deviceMemoryInfo()[1];
        try {
            gpu.setEmulatedMemoryLimit(3L << 30);
            assertEquals(3L << 30, gpu.deviceMemoryInfo()[1]);
        } finally {
            gpu.setEmulatedMemoryLimit(0); // 0: the default again
        }
        assertEquals(total, gpu.deviceMemoryInfo()[1]);
    }

    @Test void memoryOpsRefuseWhatDoesNotFit() {
        var gpu = backend(MathMode.FP32);
        try (var scope = TensorScope.open()) {
            var src = gpu.randn(Shape.of(2, 3), 1, 0);
            var e = assertThrows(IllegalArgumentException.class, () -> gpu.copyInto(src, gpu.empty(Shape.of(5))));
            assertTrue(e.getMessage().startsWith("copyInto"), e.getMessage());
            var host = assertThrows(IllegalArgumentException.class, () -> gpu.copyInto(CPU.randn(Shape.of(2, 3), 2, 0), gpu.empty(Shape.of(6))));
            assertTrue(host.getMessage().startsWith("copyInto") && host.getMessage().contains("cpu"), host.getMessage());
            // the same size in another shape is a flat copy, as on the CPU
            var dst = gpu.empty(Shape.of(3, 2));
            gpu.copyInto(src, dst);
            Assertions2.assertClose("copyInto another shape", dst.toArray(), src.toArray(), 0);
            if (GpuTestSupport.emulated()) {
                assertThrows(IllegalArgumentException.class, () -> gpu.setEmulatedMemoryLimit(-1));
            } else {
                assertThrows(UnsupportedOperationException.class, () -> gpu.setEmulatedMemoryLimit(1 << 30));
            }
            long[] info = gpu.deviceMemoryInfo();
            assertTrue(info[0] >= 0 && info[0] <= info[1] && info[1] > 0, info[0] + " free of " + info[1]);
        }
    }
}
