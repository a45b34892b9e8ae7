package io.genten.models;

import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Batches;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import java.io.IOException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A quick CPU throughput reading at batch 64 (not an assertion, not a benchmark: no JMH, few
 * steps). Runs only with -Dgenten.probe=true.
 */
class ThroughputProbe {
    private static final int BATCH = 64, WARMUP = 3, STEPS = 10;

    @Test void trainingImagesPerSecond() throws IOException {
        Assumptions.assumeTrue(Boolean.getBoolean("genten.probe"), "set -Dgenten.probe=true to measure throughput");
        var cpu = CpuBackend.get();
        System.out.println("backend: " + cpu.describe());
        try (var t = new VaeTrainer(new ConvVae(cpu, 1))) {
            report("VAE", Scaling.UNIT, b -> t.step(b));
        }
        try (var t = new GanTrainer(new Dcgan(cpu, 1), 1)) {
            report("GAN (D and G steps)", Scaling.SYMMETRIC, b -> t.step(b));
        }
    }

    private static void report(String what, Scaling scaling, Consumer<io.genten.tensor.Tensor> step) throws IOException {
        var it = Batches.forTraining(Datasets.embedded(scaling), BATCH, 1).epoch(0);
        long start = 0;
        for (int s = 0; s < WARMUP + STEPS; s++) {
            if (s == WARMUP) start = System.nanoTime();
            try (var batch = it.next()) {
                step.accept(batch.images());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s: %.1f images/s (%d steps of %d in %.2f s)%n", what, STEPS * BATCH / seconds, STEPS, BATCH, seconds);
    }
}
