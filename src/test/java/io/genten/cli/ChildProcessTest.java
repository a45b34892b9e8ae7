package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only another process shows: the real OutOfMemoryError path and the folder lock between processes. */
class ChildProcessTest {
    @TempDir Path dir;

    private static Process genten(Path log, String... jvmThenArgs) throws IOException {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED"));
        int split = List.of(jvmThenArgs).indexOf("--");
        cmd.addAll(List.of(jvmThenArgs).subList(0, split));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.genten.cli.Main"));
        cmd.addAll(List.of(jvmThenArgs).subList(split + 1, jvmThenArgs.length));
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(log.toFile()).start();
    }

    @Test void runningOutOfHeapIsOneLineThatSaysWhatToDo() throws Exception {
        var log = dir.resolve("err.txt");
        var p = genten(log, "-Xmx200m", "--", "train", "vae", "--batch", "4096", "--limit", "4096", "--device", "cpu", "--no-progress",
                "--out", dir.resolve("oom").toString());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        var err = Files.readAllLines(log);
        assertEquals(1, p.exitValue(), String.join("\n", err));
        assertEquals(1, err.size(), String.join("\n", err));
        assertTrue(err.getFirst().startsWith("genten: out of memory") && err.getFirst().contains("--batch") && err.getFirst().contains("-Xmx"), err.getFirst());
    }

    @Test void aRunInAnotherProcessHoldsTheFolder() throws Exception {
        var out = dir.resolve("shared");
        var p = genten(dir.resolve("child.txt"), "--", "train", "vae", "--epochs", "1000", "--limit", "64", "--batch", "32", "--device", "cpu",
                "--no-progress", "--out", out.toString());
        try {
            var lock = out.resolve(RunDirectory.LOCK_FILE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(Files.exists(lock) && Files.readString(lock).contains("pid " + p.pid() + " ")) && System.nanoTime() < deadline) Thread.sleep(20);
            var err = new ByteArrayOutputStream();
            var old = System.err;
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = Main.run("train", "vae", "--epochs", "1", "--limit", "64", "--device", "cpu", "--no-progress", "--out", out.toString());
            } finally {
                System.setErr(old);
            }
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, code, text);
            assertTrue(text.contains("in use by another genten run (pid " + p.pid() + " on host"), text);
        } finally {
            p.destroyForcibly().waitFor();
        }
        // the kernel released the dead process's lock: the folder is free, the run resumes or restarts
        var old = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("train", "vae", "--epochs", "1", "--limit", "64", "--batch", "32", "--device", "cpu", "--no-progress", "--out", dir.resolve("fresh").toString()));
            String[] again = {"train", "vae", "--epochs", "1", "--limit", "64", "--batch", "32", "--device", "cpu", "--no-progress", "--out", out.toString()};
            assertEquals(0, Main.run(again));
        } finally {
            System.setOut(old);
        }
    }
}
