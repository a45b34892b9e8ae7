package io.genten.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.genten.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Jazzer fuzz target for the safetensors reader: any bytes must give tensors or a
 * {@link CheckpointException}, nothing else (no overflow, no OutOfMemoryError, no
 * StackOverflowError, no raw runtime exception). In a plain test run it replays the committed
 * corpus under {@code src/test/resources/io/genten/io/SafeTensorsFuzzTestInputs/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes coverage-guided and adds what it finds there.
 */
class SafeTensorsFuzzTest {
    private static final Path DIR = scratch();

    @FuzzTest(maxDuration = "60s")
    void readAnyBytes(byte[] data) throws IOException {
        var file = Files.write(scratchFile(), data);
        read(file);
    }

    /** Reads a file; only a clean {@link CheckpointException} may come out. */
    static void read(Path file) throws IOException {
        try (var c = SafeTensors.read(file)) {
            for (Tensor t : c.tensors().values()) t.toArray();
        } catch (CheckpointException expected) {
            if (expected.getMessage().chars().anyMatch(ch -> ch < 0x20)) throw new AssertionError("control character in: " + expected.getMessage());
        }
    }

    private static final java.util.Set<Path> SCRATCH_FILES = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** One scratch file per thread, deleted when the JVM exits. */
    private static Path scratchFile() {
        var file = DIR.resolve("fuzz-" + Thread.currentThread().threadId() + ".safetensors");
        if (SCRATCH_FILES.add(file)) file.toFile().deleteOnExit();
        return file;
    }

    private static Path scratch() {
        try {
            var shm = Path.of("/dev/shm"); // memory-backed: the fuzzer writes a file per input
            var dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "genten-fuzz") : Files.createTempDirectory("genten-fuzz");
            dir.toFile().deleteOnExit(); // after the files (deleteOnExit runs in reverse order)
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
