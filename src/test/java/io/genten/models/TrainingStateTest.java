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
        assertEquals(dir.resolve("vae.train.safetensors"), TrainingState.besides(dir.resolve("vae.safetensors")));
    }

    @Test void vaeStateIsOneFileWithWeightsMomentsStepsNoiseAndSettings() throws Exception {
        var vae = new ConvVae(cpu, 5);
        var file = dir.resolve("vae.train.safetensors");
        try (var trainer = new VaeTrainer(vae); var images = Tensor.rand(3, 0, 4, 1, 28, 28)) {
            trainer.step(images);
            trainer.step(images);
            TrainingState.commit(file, trainer, 7, "run-1", Map.of("batch", "4"));
            var moments = new LinkedHashMap<String, float[]>();
            trainer.optimizerState().forEach((k, v) -> moments.put(k, v.toArray()));
            var weights = new LinkedHashMap<String, float[]>();
            vae.stateDict().forEach((k, v) -> weights.put(k, v.toArray()));

            var peek = TrainingState.peek(file);
            assertEquals(new TrainingState.Saved("vae", 2, 7, "run-1", Map.of("batch", "4")), peek);

            var fresh = new ConvVae(cpu, 6); // other weights: the state must carry them
            try (var other = new VaeTrainer(fresh)) {
                assertEquals(peek, TrainingState.restore(file, other));
                assertEquals(2, other.stepCount());
                assertEquals(vae.noiseOffset(), fresh.noiseOffset());
                other.optimizerState().forEach((k, v) -> assertArrayEquals(moments.get(k), v.toArray(), k));
                fresh.stateDict().forEach((k, v) -> assertArrayEquals(weights.get(k), v.toArray(), k));
                assertTrue(moments.containsKey("enc1.weight.exp_avg_sq"), moments.keySet().toString());
            }
        }
    }

    @Test void aStateOfAnotherModelOrWithMissingMomentsIsRefusedClearly() throws Exception {
        var gan = new Dcgan(cpu, 1);
        var file = dir.resolve("dcgan.train.safetensors");
        try (var trainer = new GanTrainer(gan, 2)) {
            TrainingState.commit(file, trainer, 1, "r", Map.of());
            try (var vaeTrainer = new VaeTrainer(new ConvVae(cpu, 1))) {
                var e = assertThrows(CheckpointException.class, () -> TrainingState.restore(file, vaeTrainer));
                assertTrue(e.getMessage().contains("dcgan") && e.getMessage().contains("vae"), e.getMessage());
            }
            var partial = dir.resolve("partial.safetensors");
            Map<String, String> meta;
            try (var saved = SafeTensors.read(file)) {
                meta = saved.metadata();
                var some = new LinkedHashMap<>(saved.tensors());
                some.remove("optimizer.generator.fc.weight.exp_avg");
                SafeTensors.write(partial, some, meta);
            }
            var e = assertThrows(CheckpointException.class, () -> TrainingState.restore(partial, trainer));
            assertTrue(e.getMessage().contains("missing [optimizer.generator.fc.weight.exp_avg]"), e.getMessage());
            Files.writeString(dir.resolve("junk.safetensors"), "not a safetensors file at all");
            assertThrows(CheckpointException.class, () -> TrainingState.restore(dir.resolve("junk.safetensors"), trainer));
            // an old-style optimizer file is not a training state
            var old = dir.resolve("old.safetensors");
            SafeTensors.write(old, trainer.optimizerState(), Map.of("model", "dcgan", "steps", "3", "epochs", "1"));
            e = assertThrows(CheckpointException.class, () -> TrainingState.restore(old, trainer));
            assertTrue(e.getMessage().contains("not a Genten training state"), e.getMessage());
        }
    }

    @Test void nonFiniteOrNegativeVarianceStatesAreRefusedNamingTheTensor() throws Exception {
        var vae = new ConvVae(cpu, 3);
        var file = dir.resolve("vae.train.safetensors");
        try (var trainer = new VaeTrainer(vae)) {
            TrainingState.commit(file, trainer, 0, "r", Map.of());
            try (var saved = SafeTensors.read(file)) {
                var poisoned = new LinkedHashMap<>(saved.tensors());
                var w = poisoned.get("model.dec1.weight").toArray();
                w[5] = Float.NaN;
                poisoned.put("model.dec1.weight", Tensor.wrap(w, poisoned.get("model.dec1.weight").shape()));
                var bad = dir.resolve("nan.safetensors");
                SafeTensors.write(bad, poisoned, saved.metadata());
                var e = assertThrows(CheckpointException.class, () -> TrainingState.restore(bad, trainer));
                assertTrue(e.getMessage().contains("model.dec1.weight") && e.getMessage().contains("NaN") && e.getMessage().contains("index 5"), e.getMessage());

                var negative = new LinkedHashMap<>(saved.tensors());
                var rv = negative.get("model.bn1.running_var").toArray();
                rv[0] = -0.5f;
                negative.put("model.bn1.running_var", Tensor.wrap(rv, negative.get("model.bn1.running_var").shape()));
                var neg = dir.resolve("neg.safetensors");
                SafeTensors.write(neg, negative, saved.metadata());
                e = assertThrows(CheckpointException.class, () -> TrainingState.restore(neg, trainer));
                assertTrue(e.getMessage().contains("model.bn1.running_var") && e.getMessage().contains("negative variance -0.5"), e.getMessage());
            }
        }
    }

    @Test void aCommitRefusesNonFiniteValuesAndKeepsTheLastGoodFileByteForByte() throws Exception {
        var vae = new ConvVae(cpu, 3);
        var file = dir.resolve("vae.train.safetensors");
        try (var trainer = new VaeTrainer(vae)) {
            TrainingState.commit(file, trainer, 1, "r", Map.of());
            byte[] good = Files.readAllBytes(file);
            var w = vae.stateDict().get("mu.bias");
            var v = w.toArray();
            v[3] = Float.POSITIVE_INFINITY;
            w.copyFrom(v);
            var e = assertThrows(DivergedException.class, () -> TrainingState.commit(file, trainer, 2, "r", Map.of()));
            assertTrue(e.getMessage().contains("model.mu.bias[3] = Infinity"), e.getMessage());
            assertArrayEquals(good, Files.readAllBytes(file));
        }
    }
}
