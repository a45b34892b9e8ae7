package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Batches;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.io.CheckpointException;
import io.genten.io.SafeTensors;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import io.genten.testing.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safetensors checkpoints: bitwise round trips, the golden files' names, clear errors. */
class CheckpointTest {
    private final Backend cpu = CpuBackend.get();
    @TempDir Path dir;

    @Test void vaeRoundTripIsBitwise() throws IOException {
        var vae = new ConvVae(cpu, 11);
        try (var trainer = new VaeTrainer(vae); var batch = Batches.forTraining(Datasets.embedded(Scaling.UNIT), 8, 1).epoch(0).next()) {
            trainer.step(batch.images()); // moves weights and running statistics away from their init
            trainer.step(batch.images());
            var file = dir.resolve("vae.safetensors");
            Checkpoint.save(file, vae, Map.of("step", "2", "epoch", "0"));
            var loaded = Checkpoint.load(file, cpu);
            var copy = assertInstanceOf(ConvVae.class, loaded.model());
            assertEquals("vae", loaded.metadata().get("model"));
            assertEquals("2", loaded.metadata().get("step"));
            assertTrue(loaded.metadata().containsKey("genten.version"));
            TrainingTest.snapshot(vae.stateDict()).forEach((k, v) -> assertArrayEquals(v, copy.stateDict().get(k).toArray(), k));
            try (var scope = TensorScope.open()) {
                assertArrayEquals(vae.sample(5, 3).toArray(), copy.sample(5, 3).toArray());
                assertArrayEquals(vae.reconstruct(batch.images()).toArray(), copy.reconstruct(batch.images()).toArray());
            }
        }
    }

    @Test void ganRoundTripIsBitwiseAndHoldsBothNetworks() throws IOException {
        var gan = new Dcgan(cpu, 12);
        try (var trainer = new GanTrainer(gan, 1); var batch = Batches.forTraining(Datasets.embedded(Scaling.SYMMETRIC), 8, 1).epoch(0).next()) {
            trainer.step(batch.images());
            var file = dir.resolve("gan.safetensors");
            Checkpoint.save(file, gan, Map.of("step", "1"));
            var copy = assertInstanceOf(Dcgan.class, Checkpoint.load(file, cpu).model());
            try (var scope = TensorScope.open()) {
                assertArrayEquals(gan.sample(4, 8).toArray(), copy.sample(4, 8).toArray());
                gan.discriminator().eval();
                copy.discriminator().eval();
                assertArrayEquals(gan.discriminator().forward(batch.images()).toArray(), copy.discriminator().forward(batch.images()).toArray());
            }
        }
    }

    /** Checkpoint names are the golden files' (PyTorch state-dict) names, GAN networks prefixed. */
    @Test void namesAreThoseOfTheGoldenFiles() throws IOException {
        var vaeFile = dir.resolve("v.safetensors");
        Checkpoint.save(vaeFile, new ConvVae(cpu, 1), Map.of());
        try (var golden = Golden.model("conv_vae"); var mine = SafeTensors.read(vaeFile)) {
            assertEquals(new TreeSet<>(GoldenModelTest.withPrefix(golden, "start.").keySet()), new TreeSet<>(mine.tensors().keySet()));
            GoldenModelTest.withPrefix(golden, "start.").forEach((k, v) -> assertEquals(v.shape(), mine.get(k).shape(), k));
        }
        var ganFile = dir.resolve("g.safetensors");
        Checkpoint.save(ganFile, new Dcgan(cpu, 1), Map.of());
        try (var gen = Golden.model("dcgan_generator"); var disc = Golden.model("dcgan_discriminator"); var mine = SafeTensors.read(ganFile)) {
            var expected = new TreeSet<String>();
            GoldenModelTest.withPrefix(gen, "start.").keySet().forEach(k -> expected.add("generator." + k));
            GoldenModelTest.withPrefix(disc, "start.").keySet().forEach(k -> expected.add("discriminator." + k));
            assertEquals(expected, new TreeSet<>(mine.tensors().keySet()));
        }
    }

    @Test void truncatedFileIsAClearError() throws IOException {
        var file = dir.resolve("vae.safetensors");
        Checkpoint.save(file, new ConvVae(cpu, 1), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        var e = assertThrows(CheckpointException.class, () -> Checkpoint.load(file, cpu));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test void mismatchedCheckpointsAreClearErrors() throws IOException {
        var vaeFile = dir.resolve("vae.safetensors");
        var vae = new ConvVae(cpu, 1);
        Checkpoint.save(vaeFile, vae, Map.of());
        var e = assertThrows(CheckpointException.class, () -> Checkpoint.loadInto(vaeFile, new Dcgan(cpu, 1)));
        assertTrue(e.getMessage().contains("\"vae\"") && e.getMessage().contains("\"dcgan\""), e.getMessage());

        var partial = new HashMap<>(vae.stateDict());
        partial.remove("bn3.running_var");
        var missing = dir.resolve("missing.safetensors");
        SafeTensors.write(missing, partial, Map.of("model", "vae"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(missing, cpu));
        assertTrue(e.getMessage().contains("missing [bn3.running_var]"), e.getMessage());

        var wrongShape = new HashMap<String, Tensor>(vae.stateDict());
        wrongShape.put("mu.weight", Tensor.zeros(16, 3136));
        var misshapen = dir.resolve("shape.safetensors");
        SafeTensors.write(misshapen, wrongShape, Map.of("model", "vae"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(misshapen, cpu));
        assertTrue(e.getMessage().contains("mu.weight [16, 3136]"), e.getMessage());

        var gan = dir.resolve("gan.safetensors");
        SafeTensors.write(gan, vae.stateDict(), Map.of("model", "dcgan"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(gan, cpu));
        assertTrue(e.getMessage().contains("generator./discriminator."), e.getMessage());

        var anonymous = dir.resolve("anon.safetensors");
        SafeTensors.write(anonymous, vae.stateDict(), Map.of());
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(anonymous, cpu));
        assertTrue(e.getMessage().contains("not a Genten checkpoint"), e.getMessage());

        var unknown = dir.resolve("unknown.safetensors");
        SafeTensors.write(unknown, vae.stateDict(), Map.of("model", "unet"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(unknown, cpu));
        assertTrue(e.getMessage().contains("unet"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Models.create("unet", cpu, 1));
        assertInstanceOf(ConvVae.class, Models.create("vae", cpu, 1));
    }
}
