package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import io.genten.io.CheckpointException;
import io.genten.io.SafeTensors;
import io.genten.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingStateTest {
    private final CpuBackend cpu = CpuBackend.get();
    @TempDir Path dir;

    @Test void stateFileSitsBesideItsCheckpoint() {
        assertEquals(dir.resolve("vae.optimizer.safetensors"), TrainingState.besides(dir.resolve("vae.safetensors")));
    }

    @Test void vaeStateRoundTripsMomentsStepsAndNoise() throws Exception {
        var vae = new ConvVae(cpu, 5);
        var file = dir.resolve("vae.optimizer.safetensors");
        try (var trainer = new VaeTrainer(vae); var images = Tensor.rand(3, 0, 4, 1, 28, 28)) {
            trainer.step(images);
            trainer.step(images);
            TrainingState.save(file, trainer, 7);
            var moments = new LinkedHashMap<String, float[]>();
            trainer.optimizerState().forEach((k, v) -> moments.put(k, v.toArray()));

            var fresh = new ConvVae(cpu, 5);
            try (var other = new VaeTrainer(fresh)) {
                assertEquals(7, TrainingState.restore(file, other));
                assertEquals(2, other.stepCount());
                assertEquals(vae.noiseOffset(), fresh.noiseOffset());
                other.optimizerState().forEach((k, v) -> assertArrayEquals(moments.get(k), v.toArray(), k));
                assertTrue(moments.keySet().stream().anyMatch(k -> k.equals("enc1.weight.exp_avg_sq")), moments.keySet().toString());
            }
        }
    }

    @Test void aStateOfAnotherModelOrWithMissingMomentsIsRefusedClearly() throws Exception {
        var gan = new Dcgan(cpu, 1);
        var file = dir.resolve("dcgan.optimizer.safetensors");
        try (var trainer = new GanTrainer(gan, 2)) {
            TrainingState.save(file, trainer, 1);
            try (var vaeTrainer = new VaeTrainer(new ConvVae(cpu, 1))) {
                var e = assertThrows(CheckpointException.class, () -> TrainingState.restore(file, vaeTrainer));
                assertTrue(e.getMessage().contains("dcgan") && e.getMessage().contains("vae"), e.getMessage());
            }
            var partial = dir.resolve("partial.safetensors");
            try (var saved = SafeTensors.read(file)) {
                var some = new LinkedHashMap<>(saved.tensors());
                some.remove("generator.fc.weight.exp_avg");
                SafeTensors.write(partial, some, Map.of("model", "dcgan", "steps", "3", "epochs", "1"));
            }
            var e = assertThrows(CheckpointException.class, () -> TrainingState.restore(partial, trainer));
            assertTrue(e.getMessage().contains("generator.fc.weight.exp_avg"), e.getMessage());
            Files.writeString(dir.resolve("junk.safetensors"), "not a safetensors file at all");
            assertThrows(CheckpointException.class, () -> TrainingState.restore(dir.resolve("junk.safetensors"), trainer));
        }
    }
}
