package io.genten.backend.cuda;

import static io.genten.testing.Assertions2.relativeL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.models.ConvVae;
import io.genten.models.Dcgan;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The models' inference API on CUDA: the CPU's values within the strict-FP32 model tolerance, and
 * one model shared by 4 threads giving the single thread's bits, with device memory flat.
 */
@Tag("gpu")
class CudaInferenceTest {
    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    private static float[] digits(int n, int from) throws Exception {
        return Arrays.copyOfRange(Datasets.embedded(Scaling.UNIT).images(), from * 784, (from + n) * 784);
    }

    @Test void reconstructAndGenerateMatchTheCpu() throws Exception {
        var cuda = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0));
        var cpu = CpuBackend.get();
        try (var vaeCpu = new ConvVae(cpu, 3); var vaeGpu = new ConvVae(cuda, 3); var ganCpu = new Dcgan(cpu, 3); var ganGpu = new Dcgan(cuda, 3);
             var x = Tensor.wrap(digits(8, 0), Shape.of(8, 1, 28, 28)); var xGpu = cuda.copyOf(x);
             var recCpu = vaeCpu.reconstruct(x); var recGpu = vaeGpu.reconstruct(xGpu);
             var imgCpu = ganCpu.sample(4, 9); var imgGpu = ganGpu.sample(4, 9)) {
            assertTrue(relativeL2(recGpu.toArray(), recCpu.toArray()) < 1e-4, "VAE reconstruct, CUDA vs CPU");
            assertTrue(relativeL2(imgGpu.toArray(), imgCpu.toArray()) < 1e-4, "DCGAN sample, CUDA vs CPU");
        }
    }

    @Test void fourThreadsShareOneModelBitForBit() throws Exception {
        var cuda = GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0));
        try (var vae = new ConvVae(cuda, 4)) {
            int batches = 4, batch = 8; // small: the verify build runs this on the CPU emulator of the kernels
            List<float[]> expected = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                try (var x = cuda.copyOf(Tensor.wrap(digits(batch, b * batch), Shape.of(batch, 1, 28, 28))); var rec = vae.reconstruct(x)) {
                    expected.add(rec.toArray());
                }
            }
            long before = cuda.memoryStats().allocatedBytes();
            try (var pool = Executors.newFixedThreadPool(4)) {
                List<Future<float[]>> results = new ArrayList<>();
                for (int round = 0; round < 2; round++) {
                    for (int b = 0; b < batches; b++) {
                        int from = b * batch;
                        results.add(pool.submit((Callable<float[]>) () -> {
                            try (var host = Tensor.wrap(digits(batch, from), Shape.of(batch, 1, 28, 28));
                                 var x = cuda.copyOf(host); var rec = vae.reconstruct(x)) {
                                return rec.toArray();
                            }
                        }));
                    }
                }
                for (int i = 0; i < results.size(); i++) assertArrayEquals(expected.get(i % batches), results.get(i).get(), "batch " + i % batches);
            }
            assertEquals(before, cuda.memoryStats().allocatedBytes(), "device memory handed out before and after");
        }
    }
}
