package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.io.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir Path dir;

    @Test void vaeMainJobWritesSamplesCheckpointAndLog() throws Exception {
        var out = dir.resolve("vae");
        int code = Main.run("train", "vae", "--epochs", "1", "--limit", "256", "--batch", "32", "--device", "cpu", "--out", out.toString(), "--no-progress");
        assertEquals(0, code);
        var samples = ImageIO.read(out.resolve("samples.png").toFile());
        assertTrue(samples.getWidth() > 8 * 28 && samples.getHeight() > 8 * 28, "an 8x8 grid of 28x28 tiles");
        assertTrue(Files.size(out.resolve("reconstructions.png")) > 0);
        var csv = Files.readAllLines(out.resolve("losses.csv"));
        assertEquals(1 + 256 / 32, csv.size(), "header and one row per step: " + csv);
        assertTrue(csv.get(0).startsWith("step,epoch,reconstruction,kl,loss"), csv.get(0));
        try (var ckpt = SafeTensors.read(out.resolve("vae.safetensors"))) {
            assertEquals("vae", ckpt.metadata().get("model"));
            assertTrue(ckpt.tensors().containsKey("enc1.weight") && ckpt.tensors().containsKey("bn4.running_var"));
        }

        var grid = dir.resolve("drawn.png");
        assertEquals(0, Main.run("sample", "--checkpoint", out.resolve("vae.safetensors").toString(), "--n", "16", "--columns", "4", "--device", "cpu", "--out", grid.toString()));
        var drawn = ImageIO.read(grid.toFile());
        assertTrue(drawn.getWidth() >= 4 * 28 && drawn.getHeight() >= 4 * 28);
    }

    @Test void ganMainJobWritesItsFiles() throws Exception {
        var out = dir.resolve("gan");
        assertEquals(0, Main.run("train", "gan", "--epochs", "1", "--limit", "64", "--batch", "32", "--device", "cpu", "--out", out.toString(), "--no-progress"));
        for (var f : new String[] {"samples.png", "dcgan.safetensors", "losses.csv"}) assertTrue(Files.size(out.resolve(f)) > 0, f);
        try (var ckpt = SafeTensors.read(out.resolve("dcgan.safetensors"))) {
            assertTrue(ckpt.tensors().containsKey("generator.fc.weight") && ckpt.tensors().containsKey("discriminator.fc.bias"));
        }
    }

    @Test void resumedRunsEndBitForBitWhereUninterruptedOnesDo() throws Exception {
        for (var model : new String[] {"vae", "gan"}) {
            var straight = dir.resolve(model + "-straight");
            var resumed = dir.resolve(model + "-resumed");
            String[] common = {"--limit", "96", "--batch", "32", "--device", "cpu", "--no-progress"};
            assertEquals(0, Main.run(concat(new String[] {"train", model, "--epochs", "2", "--out", straight.toString()}, common)));
            assertEquals(0, Main.run(concat(new String[] {"train", model, "--epochs", "1", "--out", resumed.toString()}, common)));
            assertEquals(0, Main.run(concat(new String[] {"train", model, "--epochs", "2", "--resume", "--out", resumed.toString()}, common)));
            var file = (model.equals("vae") ? "vae" : "dcgan") + ".safetensors";
            try (var a = SafeTensors.read(straight.resolve(file)); var b = SafeTensors.read(resumed.resolve(file))) {
                assertEquals(a.tensors().keySet(), b.tensors().keySet());
                for (var name : a.tensors().keySet()) {
                    assertArrayEquals(a.get(name).toArray(), b.get(name).toArray(), model + " " + name);
                }
            }
            var log = Files.readAllLines(resumed.resolve("losses.csv"));
            assertEquals(Files.readAllLines(straight.resolve("losses.csv")).size(), log.size(), "one header, then every step of both epochs");
        }
        var err = captureErr(() -> assertNotEquals(0, Main.run("train", "vae", "--resume", "--device", "cpu", "--out", dir.resolve("nothing").toString())));
        assertTrue(err.contains("--resume"), err);
    }

    private static String[] concat(String[] a, String[] b) {
        var out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test void badInputFailsWithAMessageNotACrash() {
        var err = captureErr(() -> assertNotEquals(0, Main.run("train", "vae", "--batch", "0", "--device", "cpu", "--out", dir.toString())));
        assertTrue(err.contains("--batch"), err);
        err = captureErr(() -> assertNotEquals(0, Main.run("sample", "--checkpoint", dir.resolve("missing.safetensors").toString(), "--device", "cpu")));
        assertTrue(err.contains("missing.safetensors"), err);
        assertNotEquals(0, Main.run("train", "nonsense"));
    }

    @Test void deviceCudaFailsLoudlyWhereNoGpuIsUsable() {
        Assumptions.assumeFalse(io.genten.backend.cuda.CudaAvailability.get().available(), "a GPU is usable here");
        var err = captureErr(() -> assertNotEquals(0, Main.run("train", "vae", "--device", "cuda", "--epochs", "1", "--limit", "64", "--out", dir.toString())));
        assertTrue(err.contains("--device cuda") && err.contains("unavailable"), err);
    }

    @Test void infoNamesEveryBackend() {
        var original = System.out;
        var buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("info"));
        } finally {
            System.setOut(original);
        }
        var text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("cpu") && text.contains("cuda"), text);
    }

    private static String captureErr(Runnable r) {
        var original = System.err;
        var buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(original);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
