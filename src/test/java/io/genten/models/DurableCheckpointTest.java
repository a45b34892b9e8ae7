package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genten.backend.cpu.CpuBackend;
import io.genten.testing.RecordingFileSystem;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints and training state reach the disk before they replace the previous files. */
class DurableCheckpointTest {
    @TempDir Path dir;

    @Test void checkpointAndTrainingStateAreSyncedBeforeTheRename() throws IOException {
        var fs = new RecordingFileSystem();
        var vae = new ConvVae(CpuBackend.get(), 1);
        var checkpoint = fs.wrap(dir).resolve("vae.safetensors");
        Checkpoint.save(checkpoint, vae, Map.of());
        RecordingFileSystem.assertSyncedBeforeRename(fs.events(), "vae.safetensors");
        try (var trainer = new VaeTrainer(vae)) {
            var state = TrainingState.besides(checkpoint);
            TrainingState.commit(state, trainer, 1, "run", Map.of());
            RecordingFileSystem.assertSyncedBeforeRename(fs.events(), state.getFileName().toString());
        }
        assertEquals("vae", Checkpoint.load(dir.resolve("vae.safetensors"), CpuBackend.get()).model().kind());
    }
}
