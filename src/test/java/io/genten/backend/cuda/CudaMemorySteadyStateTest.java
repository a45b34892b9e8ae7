package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import io.genten.models.GanPairTrainer;
import io.genten.models.MlpGan;
import io.genten.tensor.TensorScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Device memory stays flat over a long training run: the MLP GAN (the cheapest whole model: both
 * networks, both Adams, every step synchronized for its losses) at batch 4, with the allocator's
 * statistics read after step 100 and after the last. Bytes and blocks in use, bytes reserved from
 * the device and device allocations must be equal; allocations served (from the cache) must grow
 * by the same count every step.
 *
 * <p>Steps: {@code -Dgenten.test.steadySteps=N}; default 10,000 on a GPU and 1,000 on the CPU
 * emulator (measured 2026-12-01 on the shared 2-core VM: about 20 ms a step emulated; pass
 * {@code -Dgenten.test.steadySteps=10000} for the full run there).
 */
@Tag("gpu")
class CudaMemorySteadyStateTest {
    /** Steps before the first reading ({@code -Dgenten.test.steadyWarm}, 100 unless told; fewer only for a quick timing run). */
    private static final int WARM = Integer.getInteger("genten.test.steadyWarm", 100);

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    @Test void memoryIsFlatOverManyTrainingSteps() {
        int steps = Integer.getInteger("genten.test.steadySteps", GpuTestSupport.emulated() ? 200 : 10_000);
        assertTrue(steps > WARM + 1, "genten.test.steadySteps must exceed " + (WARM + 1));
        // not poisoned: the test measures the training loop, not the NaN fill of each new tensor
        var gpu = GpuTestSupport.backend(new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, LinearImpl.NATIVE, false));
        var gan = new MlpGan(gpu, MlpGan.simple(), 3);
        long t0 = System.nanoTime();
        try (var trainer = new GanPairTrainer(gan, 4, 0.9f, AdamConfig.of(1e-4f, 0.9f, 0.999f));
             var images = gpu.copyOf(GpuTestSupport.uniform(5, 0f, 1f, 4, 1, 28, 28))) {
            CachingAllocator.Stats atWarm = null, afterWarm = null;
            long deviceFreeAtWarm = 0;
            for (int i = 1; i <= steps; i++) {
                try (var scope = TensorScope.open()) {
                    var l = trainer.step(images, null);
                    assertTrue(Float.isFinite(l.discriminator()) && Float.isFinite(l.generator()), "step " + i + ": " + l);
                }
                if (i == WARM) {
                    atWarm = gpu.memoryStats();
                    deviceFreeAtWarm = gpu.deviceMemoryInfo()[0];
                }
                if (i == WARM + 1) afterWarm = gpu.memoryStats();
            }
            var last = gpu.memoryStats();
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("CudaMemorySteadyStateTest: %d steps in %.1f s (%.2f ms a step); after step %d: %s; after step %d: %s%n",
                    steps, seconds, 1e3 * seconds / steps, WARM, atWarm, steps, last);
            String both = "after step " + WARM + ": " + atWarm + "; after step " + steps + ": " + last;
            assertEquals(atWarm.allocatedBytes(), last.allocatedBytes(), "bytes in use, " + both);
            assertEquals(atWarm.blocksInUse(), last.blocksInUse(), "blocks in use, " + both);
            assertEquals(atWarm.reservedBytes(), last.reservedBytes(), "bytes reserved from the device, " + both);
            assertEquals(atWarm.peakAllocatedBytes(), last.peakAllocatedBytes(), "peak, " + both);
            assertEquals(atWarm.mallocCalls(), last.mallocCalls(), "device allocations after warm-up, " + both);
            long perStep = afterWarm.allocations() - atWarm.allocations();
            assertTrue(perStep > 0, "a step allocates its temporaries: " + both);
            assertEquals((long) perStep * (steps - WARM), last.allocations() - atWarm.allocations(),
                    "allocations served grow by the same " + perStep + " every step, " + both);
            if (GpuTestSupport.emulated()) {
                // the emulator's device is this process's alone: its free memory (scratch included) is flat too
                assertEquals(deviceFreeAtWarm, gpu.deviceMemoryInfo()[0], "device free bytes, " + both);
            }
        } finally {
            gan.close();
        }
    }
}
