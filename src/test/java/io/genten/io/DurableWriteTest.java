package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.testing.RecordingFileSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint write is durable before it is visible: every byte goes to a temp file, the temp
 * file is forced to disk, and only then renamed over the target. Observed through a file system
 * that records the calls (the code under test sees an ordinary Path).
 */
class DurableWriteTest {
    @TempDir Path dir;

    @Test void safeTensorsWriteForcesTheTempFileBeforeTheRename() throws IOException {
        var fs = new RecordingFileSystem();
        var file = fs.wrap(dir).resolve("model.safetensors");
        float[] v = {1.5f, -2f, 3.25f};
        try (var t = Tensor.wrap(v.clone(), Shape.of(3))) {
            SafeTensors.write(file, Map.of("w", t), Map.of("k", "v"));
            SafeTensors.write(file, Map.of("w", t), Map.of("k", "again")); // over an existing file too
        }
        var events = fs.events();
        assertEquals(2, events.stream().filter(e -> e.kind().equals("move")).count(), events.toString());
        RecordingFileSystem.assertSyncedBeforeRename(events.subList(0, indexOfFirstMove(events) + 1), "model.safetensors");
        RecordingFileSystem.assertSyncedBeforeRename(events, "model.safetensors");
        try (var c = SafeTensors.read(dir.resolve("model.safetensors"))) {
            assertArrayEquals(v, c.get("w").toArray());
            assertEquals("again", c.metadata().get("k"));
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of("model.safetensors"), files.map(p -> p.getFileName().toString()).toList(), "no temp file left");
        }
    }

    private static int indexOfFirstMove(List<RecordingFileSystem.Event> events) {
        for (int i = 0; i < events.size(); i++) if (events.get(i).kind().equals("move")) return i;
        return -1;
    }
}
