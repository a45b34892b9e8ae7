package io.genten.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Jazzer fuzz target for the IDX reader (raw and gzip, images and labels, from a stream and from
 * a file): any bytes must give a dataset or a {@link DataFormatException}. In a plain test run it
 * replays the committed corpus under {@code src/test/resources/io/genten/data/IdxFuzzTestInputs/};
 * with {@code JAZZER_FUZZ=1} it fuzzes coverage-guided.
 */
class IdxFuzzTest {
    private static final Path DIR = scratch();

    @FuzzTest(maxDuration = "60s")
    void readAnyBytes(byte[] data) throws IOException {
        read(data, scratchFile());
    }

    static void read(byte[] data, Path scratchFile) throws IOException {
        try {
            IdxReader.readImages(new ByteArrayInputStream(data), "fuzz");
        } catch (DataFormatException expected) {
            // clean
        }
        try {
            IdxReader.readLabels(new ByteArrayInputStream(data), "fuzz");
        } catch (DataFormatException expected) {
            // clean
        }
        Files.write(scratchFile, data);
        try {
            IdxReader.readImages(scratchFile);
        } catch (DataFormatException expected) {
            // clean
        }
        try {
            IdxReader.readLabels(scratchFile);
        } catch (DataFormatException expected) {
            // clean
        }
    }

    private static final java.util.Set<Path> SCRATCH_FILES = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** One scratch file per thread, deleted when the JVM exits. */
    private static Path scratchFile() {
        var file = DIR.resolve("fuzz-" + Thread.currentThread().threadId() + ".idx");
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
