package io.genten;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Batches;
import io.genten.data.Dataset;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.io.PngGrid;
import io.genten.models.Checkpoint;
import io.genten.models.ConvVae;
import io.genten.models.VaeTrainer;
import io.genten.tensor.TensorScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java API example of README.md, kept compiling and running here. */
class ReadmeExampleTest {
    @TempDir Path dir;

    @Test void readmeExampleRuns() throws Exception {
        // ---- README example begins
        var backend = CpuBackend.get();                 // or new CudaBackend(CudaOptions.defaults())
        var vae = new ConvVae(backend, 42);             // PyTorch's init, Philox-seeded
        var trainer = new VaeTrainer(vae);              // Adam(1e-3), loss = (BCE + KL) / N
        var digits = Datasets.embedded(Scaling.UNIT);     // the 10k digits shipped in the jar
        digits = firstImages(digits, 256);              // (test only: a short epoch)
        var batches = Batches.forTraining(digits, 64, 42);
        for (var it = batches.epoch(0); it.hasNext(); ) {
            try (var scope = TensorScope.open(); var batch = it.next()) {   // frees the step's temporaries
                var losses = trainer.step(backend.copyOf(batch.images()));
                if (batch.index() % 50 == 0) System.out.println(losses);
            }
        }
        try (var samples = vae.sample(64, 7)) {
            PngGrid.write(dir.resolve("samples.png"), samples, 8, 0f, 1f);
        }
        Checkpoint.save(dir.resolve("vae.safetensors"), vae, Map.of());
        // ---- README example ends
        assertTrue(Files.size(dir.resolve("samples.png")) > 0 && Files.size(dir.resolve("vae.safetensors")) > 0);
    }

    private static Dataset firstImages(Dataset d, int n) {
        return new Dataset(Arrays.copyOf(d.images(), n * d.imageSize()), Arrays.copyOf(d.labels(), n), n, d.rows(), d.cols(), d.scaling());
    }
}
