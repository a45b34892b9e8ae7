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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose disk fills up: the output folder is a 9 MiB tmpfs, enough for the first epoch's
 * training state (4.6 MB) and checkpoint (1.5 MB) but not for the second state's temp file beside
 * them. The run must stop with one line naming the file and the OS's reason, leave the first
 * epoch's state intact and no temp file; once space is made, --resume must end bitwise where an
 * uninterrupted run does. Needs root to mount (CI runs as root); skipped with a reason elsewhere.
 */
class FullDiskTest {
    @TempDir Path dir;

    @Test void aFullDiskStopsTheRunCleanlyAndTheResumedRunEndsBitwise() throws Exception {
        var mnt = dir.resolve("small-disk");
        Files.createDirectories(mnt);
        Assumptions.assumeTrue(sh("mount", "-t", "tmpfs", "-o", "size=9m", "tmpfs", mnt.toString()) == 0,
                "cannot mount a tmpfs here (needs root): the full-disk test did not run");
        try {
            var out = mnt.resolve("run");
            var r = train(out, 3);
            assertEquals(1, r.code(), r.err());
            var lines = r.err().lines().toList();
            assertEquals(1, lines.size(), r.err());
            assertTrue(lines.getFirst().contains("vae.train.safetensors: No space left on device"), r.err());
            try (var files = Files.list(out)) {
                assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temp file left");
            }
            var oneEpoch = dir.resolve("one");
            assertEquals(0, train(oneEpoch, 1).code());
            assertSameTensors(oneEpoch.resolve("vae.train.safetensors"), out.resolve("vae.train.safetensors"));

            assertEquals(0, sh("mount", "-o", "remount,size=64m", mnt.toString()));
            var resumed = train(out, 3, "--resume");
            assertEquals(0, resumed.code(), resumed.err());
            var straight = dir.resolve("straight");
            assertEquals(0, train(straight, 3).code());
            assertSameTensors(straight.resolve("vae.train.safetensors"), out.resolve("vae.train.safetensors"));
            assertSameTensors(straight.resolve("vae.safetensors"), out.resolve("vae.safetensors"));
        } finally {
            sh("umount", mnt.toString());
        }
    }

    private record Result(int code, String err) {}

    private static Result train(Path out, int epochs, String... extra) {
        var args = new ArrayList<>(List.of("train", "vae", "--limit", "64", "--batch", "32", "--epochs", Integer.toString(epochs),
                "--device", "cpu", "--no-progress", "--out", out.toString()));
        args.addAll(List.of(extra));
        var oldErr = System.err;
        var oldOut = System.out;
        var err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return new Result(Main.run(args.toArray(String[]::new)), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
    }

    private static void assertSameTensors(Path expected, Path actual) throws IOException {
        try (var a = SafeTensors.read(expected); var b = SafeTensors.read(actual)) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (var name : a.tensors().keySet()) {
                float[] x = a.get(name).toArray(), y = b.get(name).toArray();
                assertEquals(x.length, y.length, name);
                for (int i = 0; i < x.length; i++) {
                    if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                        assertArrayEquals(x, y, actual + " " + name);
                    }
                }
            }
        }
    }

    private static int sh(String... cmd) {
        try {
            var p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
