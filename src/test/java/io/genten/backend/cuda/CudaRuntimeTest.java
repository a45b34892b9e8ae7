package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.Reduction;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Errors, out-of-memory recovery, the allocator's steady state, CUDA graphs and event timing on the GPU. */
@Tag("gpu")
class CudaRuntimeTest {
    private static final CpuBackend CPU = CpuBackend.get();

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    private static CudaBackend fp32() { return GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0)); }

    private static CudaBackend cudnn() { return GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(1)); }

    /** Our kernels, and on a GPU also the cuDNN/cuBLAS configuration. */
    private static List<CudaBackend> backends() { return GpuTestSupport.emulated() ? List.of(fp32()) : List.of(fp32(), cudnn()); }

    @Test void kernelErrorIsACudaExceptionNamingTheOp() {
        var gpu = fp32();
        try (var scope = TensorScope.open()) {
            var x = gpu.zeros(Shape.of(1, 1, 4, 4));
            // an absurd (negative) size straight through the C ABI, as a broken caller would pass it
            var e = assertThrows(CudaException.class, () -> gpu.check(Native.conv2dForward(MemorySegment.ofAddress(CudaBackend.address(x)),
                    MemorySegment.ofAddress(CudaBackend.address(x)), MemorySegment.NULL, MemorySegment.ofAddress(CudaBackend.address(x)),
                    -5, 1, 4, 4, 1, 3, 1, 1, 4, 4, 0, 0, 0f, gpu.stream()), "conv2dForward", "n=-5"));
            assertTrue(e.getMessage().contains("conv2dForward"), e.getMessage());
            assertTrue(e.status() != 0);
            // the backend still works (the error was not sticky)
            assertArrayEquals(new float[] {3f, 3f}, gpu.full(Shape.of(2), 3f).toArray());
        }
    }

    @Test void oneTerabyteIsACatchableOutOfMemoryAndTheBackendGoesOn() {
        var gpu = fp32();
        var before = gpu.memoryStats();
        var e = assertThrows(CudaOutOfMemoryException.class, () -> gpu.empty(Shape.of(1 << 30, 256)));
        assertTrue(e.getMessage().contains("out of memory"), e.getMessage());
        assertTrue(gpu.memoryStats().oomRetries() > before.oomRetries(), "the cache was emptied and the request retried");
        try (var scope = TensorScope.open()) {
            var x = GpuTestSupport.randn(3, 2, 3, 9, 9);
            var w = GpuTestSupport.randn(4, 5, 3, 3, 3);
            var spec = new Conv2dSpec(1, 1);
            GpuTestSupport.close("conv after OOM", gpu.conv2dForward(gpu.copyOf(x), gpu.copyOf(w), null, spec), CPU.conv2dForward(x, w, null, spec), 1e-5);
        }
    }

    /** A small training-like step: conv, bias, leaky ReLU, dropout, linear, BCE and their backward. */
    private static Tensor[] step(CudaBackend b, Tensor x, Tensor w, Tensor bias, Tensor fc, Tensor target, long seed) {
        var spec = new Conv2dSpec(2, 2);
        var y = b.conv2dForward(x, w, bias, spec);
        var act = Activation.leakyRelu(0.3f);
        var a = b.activationForward(act, y);
        var d = b.dropoutForward(a, 0.3f, seed, 0);
        var flat = d.reshape(x.dim(0), -1);
        var logit = b.linearForward(flat, fc, null);
        var loss = b.bceWithLogits(logit, target, Reduction.MEAN);
        var dlogit = b.bceWithLogitsBackward(logit, target, Reduction.MEAN, 1f);
        var dflat = b.linearBackwardData(dlogit, fc);
        var dfc = b.linearBackwardWeight(dlogit, flat);
        var dd = b.dropoutBackward(dflat.reshape(a.shape()), 0.3f, seed, 0);
        var dy = b.activationBackward(act, y, a, dd);
        var dw = b.conv2dBackwardFilter(dy, x, w.shape(), spec);
        var db = b.biasGradient(dy);
        return new Tensor[] {loss, dw, db, dfc};
    }

    @Test void allocatorReachesASteadyStateWithoutMalloc() {
        for (var gpu : backends()) {
            try (var scope = TensorScope.open()) {
                var x = gpu.copyOf(GpuTestSupport.randn(1, 8, 1, 28, 28));
                var w = gpu.copyOf(GpuTestSupport.randn(2, 64, 1, 5, 5));
                var bias = gpu.copyOf(GpuTestSupport.randn(3, 64));
                var fc = gpu.copyOf(GpuTestSupport.randn(4, 1, 64 * 14 * 14));
                var target = gpu.full(Shape.of(8, 1), 0.9f);
                long mallocs = -1;
                for (int i = 0; i < 5; i++) {
                    try (var s = TensorScope.open()) {
                        step(gpu, x, w, bias, fc, target, 11);
                        gpu.synchronize();
                    }
                    if (i == 1) mallocs = gpu.memoryStats().mallocCalls();
                    if (i > 1) assertEquals(mallocs, gpu.memoryStats().mallocCalls(), "no cudaMalloc in step " + i + ": " + gpu.memoryStats());
                }
            }
        }
    }

    @Test void capturedGraphReplayEqualsEagerResult() {
        for (var gpu : backends()) {
            try (var scope = TensorScope.open()) {
                var x = gpu.copyOf(GpuTestSupport.randn(1, 8, 1, 28, 28));
                var w = gpu.copyOf(GpuTestSupport.randn(2, 64, 1, 5, 5));
                var bias = gpu.copyOf(GpuTestSupport.randn(3, 64));
                var fc = gpu.copyOf(GpuTestSupport.randn(4, 1, 64 * 14 * 14));
                var target = gpu.full(Shape.of(8, 1), 0.9f);
                gpu.resetRandomOffset();
                var out = new Tensor[1][];
                Runnable body = () -> {
                    try (var s = TensorScope.open()) {
                        var r = step(gpu, x, w, bias, fc, target, 5);
                        for (var t : r) s.keep(t);
                        out[0] = r;
                    }
                };
                body.run(); // eager, which also warms the allocator and the cuDNN plans
                var eager = new ArrayList<float[]>();
                for (var t : out[0]) eager.add(t.toArray());
                for (var t : out[0]) t.close();
                try (var graph = CudaGraph.capture(gpu, body)) {
                    var captured = out[0];
                    for (int replay = 0; replay < 3; replay++) {
                        graph.replay();
                        for (int i = 0; i < captured.length; i++) {
                            // not bitwise: a cuDNN backward-filter algorithm may accumulate with atomics
                            io.genten.testing.Assertions2.assertClose(gpu.options() + " replay " + replay + " output " + i,
                                    captured[i].toArray(), eager.get(i), 1e-6);
                        }
                    }
                    for (var t : captured) t.close();
                }
            }
        }
    }

    @Test void graphReplaysAdvanceTheDeviceRandomOffset() {
        var gpu = fp32();
        gpu.resetRandomOffset();
        try (var scope = TensorScope.open()) {
            var shape = Shape.of(1001);
            var out = new Tensor[1];
            Runnable body = () -> {
                out[0] = gpu.rand(shape, 77, 0);
                gpu.advanceRandomOffset(1L << 20);
            };
            body.run();
            out[0].close();
            gpu.resetRandomOffset();
            try (var graph = CudaGraph.capture(gpu, body)) {
                for (int replay = 0; replay < 3; replay++) {
                    graph.replay();
                    assertArrayEquals(CPU.rand(shape, 77, (long) replay << 20).toArray(), out[0].toArray(), "replay " + replay);
                }
                assertEquals(3L << 20, gpu.randomOffset());
                out[0].close();
            }
            gpu.resetRandomOffset();
        }
    }

    @Test void graphReplaysAdvanceTheAdamStep() {
        var gpu = fp32();
        var cfg = AdamConfig.of(1e-2f, 0.9f, 0.999f);
        try (var scope = TensorScope.open()) {
            int[] sizes = {5, 37, 1000};
            List<Tensor> cp = new ArrayList<>(), cg = new ArrayList<>(), cm = new ArrayList<>(), cv = new ArrayList<>();
            List<Tensor> gp = new ArrayList<>(), gg = new ArrayList<>(), gm = new ArrayList<>(), gv = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                var p = GpuTestSupport.randn(10 + i, sizes[i]);
                var g = GpuTestSupport.randn(20 + i, sizes[i]);
                cp.add(p); cg.add(g); cm.add(CPU.zeros(p.shape())); cv.add(CPU.zeros(p.shape()));
                gp.add(gpu.copyOf(p)); gg.add(gpu.copyOf(g)); gm.add(gpu.zeros(p.shape())); gv.add(gpu.zeros(p.shape()));
            }
            gpu.adamStep(gp, gg, gm, gv, cfg, 1); // eager step 1 builds the table
            long[] step = {2};
            try (var graph = CudaGraph.capture(gpu, () -> gpu.adamStep(gp, gg, gm, gv, cfg, step[0]))) {
                for (int s = 2; s <= 4; s++) graph.replay();
            }
            for (int s = 1; s <= 4; s++) CPU.adamStep(cp, cg, cm, cv, cfg, s);
            for (int i = 0; i < sizes.length; i++) GpuTestSupport.close("adam in graph, param " + i, gp.get(i), cp.get(i), 1e-6);
            gpu.adamStep(gp, gg, gm, gv, cfg, 5); // eager again: the host rewrites the step it no longer knows
            CPU.adamStep(cp, cg, cm, cv, cfg, 5);
            for (int i = 0; i < sizes.length; i++) GpuTestSupport.close("adam after graph, param " + i, gp.get(i), cp.get(i), 1e-6);
        }
    }

    @Test void captureWithoutWarmUpFailsCleanly() {
        var gpu = fp32();
        var e = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(gpu, () -> gpu.empty(Shape.of(123_456_789))));
        assertTrue(e.getMessage().contains("warmed allocator"), e.getMessage());
        assertArrayEquals(new float[] {1f}, gpu.full(Shape.of(1), 1f).toArray(), "the stream left capture mode");
    }

    @Test void eventTimerMeasuresDeviceTime() {
        var gpu = fp32();
        try (var scope = TensorScope.open()) {
            // 16M elements on a GPU; the CPU emulator spends ~20 ns per element there, so a quarter million
            var t = gpu.zeros(Shape.of(GpuTestSupport.emulated() ? 1 << 18 : 1 << 24));
            var timing = CudaTimer.time(gpu, 20, () -> gpu.fill(t, 1f));
            assertEquals(20, timing.iterations());
            assertTrue(timing.totalMs() > 0 && timing.totalMs() < 10_000, "total " + timing.totalMs() + " ms");
            assertTrue(timing.perIterationMs() > 0);
        }
    }

    @Test void closedBackendRefusesWork() {
        var gpu = new CudaBackend(CudaOptions.defaults());
        var t = gpu.full(Shape.of(4), 2f);
        assertArrayEquals(new float[] {2f, 2f, 2f, 2f}, t.toArray());
        gpu.close();
        t.close(); // frees directly: the allocator is closed
        assertThrows(IllegalStateException.class, () -> gpu.zeros(Shape.of(1)));
        gpu.close(); // idempotent
    }
    @Test void closingTheBackendDestroysOpenGraphsAndRefusesItsMemory() {
        var gpu = new CudaBackend(CudaOptions.defaults());
        var t = gpu.full(Shape.of(4), 2f);
        Runnable body = () -> gpu.fill(t, 3f);
        body.run();
        var graph = CudaGraph.capture(gpu, body);
        graph.replay();
        assertArrayEquals(new float[] {3f, 3f, 3f, 3f}, t.toArray());
        gpu.close(); // the graph is still open: destroyed here, before the stream
        var e = assertThrows(IllegalStateException.class, graph::replay);
        assertTrue(e.getMessage().contains("backend was closed"), e.getMessage());
        graph.close(); // a no-op, not a synchronize on a destroyed stream
        assertThrows(IllegalStateException.class, t::toArray, "the tensor's memory is not read through a destroyed stream");
        assertThrows(IllegalStateException.class, gpu::synchronize);
        assertThrows(IllegalStateException.class, gpu::randomOffset);
        assertThrows(IllegalStateException.class, () -> gpu.advanceRandomOffset(1));
        assertThrows(IllegalStateException.class, () -> gpu.fill(t, 1f));
        assertThrows(IllegalStateException.class, () -> CudaGraph.capture(gpu, body));
        t.close();
        assertEquals(0, gpu.memoryStats().reservedBytes(), "everything went back to the device");
    }

    /** A conv shape the warm-up never saw: a clear error, not cudnnFind inside the capture. */
    @Test void captureOfAnUnwarmedCudnnShapeFailsCleanly() {
        var gpu = cudnn();
        try (var scope = TensorScope.open()) {
            var x = gpu.copyOf(GpuTestSupport.randn(1, 3, 1, 9, 9));
            var w = gpu.copyOf(GpuTestSupport.randn(2, 4, 1, 3, 3));
            gpu.empty(Shape.of(3, 4, 9, 9)).close(); // the output block is cached: only the algorithm is missing
            var e = assertThrows(IllegalStateException.class,
                    () -> CudaGraph.capture(gpu, () -> gpu.conv2dForward(x, w, null, new Conv2dSpec(1, 1)).close()));
            assertTrue(e.getMessage().contains("cudnnFind"), e.getMessage());
            assertArrayEquals(new float[] {1f}, gpu.full(Shape.of(1), 1f).toArray(), "the stream left capture mode");
        }
    }
    @Test void hostCopiesAndSynchronizeInsideACaptureFailCleanly() {
        var gpu = fp32();
        try (var scope = TensorScope.open()) {
            var t = gpu.full(Shape.of(3), 2f);
            var scalar = gpu.full(Shape.scalar(), 1f);
            for (Runnable bad : List.<Runnable>of(scalar::item, t::toArray, () -> t.copyFrom(new float[] {1f, 2f, 3f}), gpu::synchronize,
                    gpu::randomOffset, () -> gpu.copyOf(Tensor.of(new float[] {1f}, 1)).close())) {
                var e = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(gpu, () -> {
                    gpu.fill(t, 5f);
                    bad.run();
                }));
                assertTrue(e.getMessage().contains("during CUDA graph capture"), e.getMessage());
                assertArrayEquals(new float[] {2f, 2f, 2f}, t.toArray(), "nothing ran and the stream left capture mode");
            }
        }
    }
}
