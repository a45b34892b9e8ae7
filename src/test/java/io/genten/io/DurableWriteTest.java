package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** After each rename the folder itself is forced, so that the new name survives a power loss too. */
    @Test void safeTensorsWriteSyncsTheFolderAfterEachRename() throws IOException {
        var fs = new RecordingFileSystem();
        var folder = fs.wrap(dir);
        var file = folder.resolve("model.safetensors");
        try (var t = Tensor.wrap(new float[] {1f, 2f}, Shape.of(2))) {
            SafeTensors.write(file, Map.of("w", t), Map.of());
            SafeTensors.write(file, Map.of("w", t), Map.of());
        }
        var events = fs.events();
        String folderName = dir.getFileName().toString();
        int moves = 0;
        for (int i = 0; i < events.size(); i++) {
            if (!events.get(i).kind().equals("move")) continue;
            moves++;
            boolean synced = false;
            for (int j = i + 1; j < events.size() && !events.get(j).kind().equals("move"); j++) {
                var e = events.get(j);
                if (e.kind().equals("force") && e.file().equals(folderName)) synced = true;
            }
            assertTrue(synced, "no force of the folder " + folderName + " after rename " + moves + ": " + events);
        }
        assertEquals(2, moves, events.toString());
    }

    private static int indexOfFirstMove(List<RecordingFileSystem.Event> events) {
        for (int i = 0; i < events.size(); i++) if (events.get(i).kind().equals("move")) return i;
        return -1;
    }
}
