package io.genten.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The workload the {@code genten} launcher records the JDK's AOT cache from (once per build): the
 * main job, {@code genten train vae} and {@code genten train gan}, on a few batches of the embedded
 * digits, into a temporary folder that is deleted after. The cache keeps the classes it loaded,
 * linked, and the method profiles it gathered, so a later JVM starts compiling our kernels at once
 * instead of profiling them first: see README, "A faster first step".
 *
 * <p>Not a command of {@link Main}: users never need it; the launcher runs it with
 * {@code -XX:AOTCacheOutput}.
 */
public final class AotTraining {
    private AotTraining() {}

    /**
     * Trains both models briefly; exits non-zero if either run fails.
     *
     * @param args unused
     * @throws IOException when the temporary folder cannot be made or removed
     */
    public static void main(String[] args) throws IOException {
        CliLogging.configure();
        var dir = Files.createTempDirectory("genten-aot-training-");
        int code;
        try {
            code = run(dir);
        } finally {
            deleteTree(dir);
        }
        System.exit(code);
    }

    /** The main job on both models, writing under {@code dir}; the worst exit code of the two. */
    static int run(Path dir) {
        int code = 0;
        for (String model : new String[] {"vae", "gan"}) {
            // three batches of 64 and one epoch: each step's code runs (and is profiled) several times
            code = Math.max(code, Main.run("train", model, "--limit", "192", "--epochs", "1", "--out", dir.resolve(model).toString()));
        }
        return code;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
