package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher records its AOT cache from this workload: it must run the main job on both models to the end. */
class AotTrainingTest {
    @Test void trainsBothModelsOfTheMainJob(@TempDir Path dir) {
        assertEquals(0, AotTraining.run(dir));
        assertTrue(Files.isRegularFile(dir.resolve("vae").resolve("vae.safetensors")), "the VAE's checkpoint");
        assertTrue(Files.isRegularFile(dir.resolve("gan").resolve("dcgan.safetensors")), "the DCGAN's checkpoint");
        assertTrue(Files.isRegularFile(dir.resolve("gan").resolve("samples.png")), "the DCGAN's samples");
    }
}
