package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.io.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains in a child JVM and kills it with SIGKILL at random moments, and while it commits its
 * training state (the moment a temp file appears in --out), then resumes; the final weights,
 * buffers and Adam moments must be bitwise those of an uninterrupted run, and the loss log must
 * hold every step exactly once.
 */
class CrashResumeTest {
    // 30 epochs of 2 steps: long enough (about 3 s after a 1 s JVM start) that a kill at 0.3-1.5 s
    // lands before the end even in the last resumed runs, short enough for CI
    private static final int EPOCHS = 30;
    private static final int KILLS = 8;
    private static final List<String> COMMON = List.of("train", "vae", "--limit", "64", "--batch", "32", "--epochs", Integer.toString(EPOCHS),
            "--device", "cpu", "--no-progress");

    @TempDir Path dir;

    @Test void killedAtRandomMomentsAndDuringCommitsTheResumedRunEndsBitwiseAsAnUninterruptedOne() throws Exception {
        var straight = dir.resolve("straight");
        var args = new ArrayList<>(COMMON);
        args.addAll(List.of("--out", straight.toString()));
        assertEquals(0, quietly(args));

        var out = dir.resolve("killed");
        var state = out.resolve("vae.train.safetensors");
        var random = new SplittableRandom(20261130);
        int kills = 0, duringCommit = 0, starts = 0;
        long t0 = System.nanoTime();
        while (true) {
            var cmd = new ArrayList<>(List.of(javaBinary(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    "io.genten.cli.Main"));
            cmd.addAll(COMMON);
            cmd.addAll(List.of("--out", out.toString()));
            if (Files.exists(state)) cmd.add("--resume");
            var log = dir.resolve("child-" + starts + ".log");
            var child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            starts++;
            if (kills < KILLS) {
                boolean atCommit = kills % 2 == 1;
                boolean killed = atCommit ? killWhenCommitting(child, out) : killAfter(child, 300 + random.nextInt(1200));
                if (killed) {
                    kills++;
                    if (atCommit) duringCommit++;
                    continue;
                }
            }
            assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child finished");
            assertEquals(0, child.exitValue(), Files.readString(log));
            break;
        }
        int cleaned = 0;
        for (int k = 0; k < starts; k++) if (Files.readString(dir.resolve("child-" + k + ".log")).contains("temp file(s) an interrupted run left")) cleaned++;
        System.out.printf("crash test: %d starts, %d kill -9 (%d while a commit's temp file existed), %d restarts cleaned torn temp files, %.1f s%n",
                starts, kills, duringCommit, cleaned, (System.nanoTime() - t0) / 1e9);
        assertTrue(kills >= KILLS / 2, "most kills landed before the run ended: " + kills);

        for (var file : List.of("vae.train.safetensors", "vae.safetensors")) {
            try (var a = SafeTensors.read(straight.resolve(file)); var b = SafeTensors.read(out.resolve(file))) {
                assertEquals(a.tensors().keySet(), b.tensors().keySet(), file);
                for (var name : a.tensors().keySet()) {
                    assertArrayEquals(bits(a.get(name).toArray()), bits(b.get(name).toArray()), file + " " + name);
                }
                assertEquals(a.metadata().get("steps"), b.metadata().get("steps"));
            }
        }
        var steps = Files.readAllLines(out.resolve("losses.csv")).stream().skip(1).map(l -> l.substring(0, l.indexOf(','))).toList();
        var expected = new ArrayList<String>();
        for (int s = 1; s <= EPOCHS * 2; s++) expected.add(Integer.toString(s));
        assertEquals(expected, steps, "every step logged once");
        try (var files = Files.list(out)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temp file left");
        }
    }

    /** SIGKILL after the delay unless the child ended first; true if it was killed. */
    private static boolean killAfter(Process child, long millis) throws InterruptedException {
        if (child.waitFor(millis, TimeUnit.MILLISECONDS)) return false;
        child.destroyForcibly().waitFor();
        return true;
    }

    /** SIGKILL the moment a temp file of an atomic write appears in the folder (mid-commit); true if it was killed. */
    private static boolean killWhenCommitting(Process child, Path out) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (child.isAlive() && System.nanoTime() < deadline) {
            if (hasTempFile(out)) {
                child.destroyForcibly().waitFor();
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    private static boolean hasTempFile(Path out) {
        try (var files = Files.list(out)) {
            return files.anyMatch(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".vae.") && n.endsWith(".tmp");
            });
        } catch (IOException e) {
            return false; // the folder does not exist yet
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int quietly(List<String> args) {
        var old = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return Main.run(args.toArray(String[]::new));
        } finally {
            System.setOut(old);
        }
    }

    private static int[] bits(float[] v) {
        var out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Float.floatToRawIntBits(v[i]);
        return out;
    }
}
