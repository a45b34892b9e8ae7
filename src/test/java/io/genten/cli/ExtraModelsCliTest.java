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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** genten train / sample / evaluate for the extra models: outputs, PyTorch-style names, bit-exact resume. */
class ExtraModelsCliTest {
    @TempDir Path dir;

    private static String[] concat(String[] a, String... b) {
        var out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test void resumedRunsEndBitForBitWhereUninterruptedOnesDo() throws Exception {
        for (var model : new String[] {"mlpgan", "cgan", "vae2d"}) {
            var straight = dir.resolve(model + "-straight");
            var resumed = dir.resolve(model + "-resumed");
            String[] common = {"--limit", "96", "--batch", "32", "--device", "cpu", "--no-progress"};
            assertEquals(0, Main.run(concat(new String[] {"train", model, "--epochs", "2", "--out", straight.toString()}, common)));
            assertEquals(0, Main.run(concat(new String[] {"train", model, "--epochs", "1", "--out", resumed.toString()}, common)));
            assertEquals(0, Main.run(concat(new String[] {"train", model, "--epochs", "2", "--resume", "--out", resumed.toString()}, common)));
            var file = model + ".safetensors";
            try (var a = SafeTensors.read(straight.resolve(file)); var b = SafeTensors.read(resumed.resolve(file))) {
                assertEquals(a.tensors().keySet(), b.tensors().keySet());
                assertEquals(model, a.metadata().get("model"));
                for (var name : a.tensors().keySet()) assertArrayEquals(a.get(name).toArray(), b.get(name).toArray(), model + " " + name);
            }
            assertTrue(Files.isRegularFile(straight.resolve("samples.png")), model + " samples.png");
        }
    }

    @Test void namesArePyTorchStateDictNames() throws Exception {
        var out = dir.resolve("lsgan");
        assertEquals(0, Main.run("train", "lsgan", "--epochs", "1", "--limit", "64", "--batch", "32", "--device", "cpu", "--no-progress", "--out", out.toString()));
        try (var c = SafeTensors.read(out.resolve("lsgan.safetensors"))) {
            var names = c.tensors().keySet();
            for (var n : new String[] {"generator.fc1.weight", "generator.bn4.running_var", "generator.fc5.bias", "discriminator.fc1.weight",
                    "discriminator.fc3.bias", "discriminator.fc4.weight"}) {
                assertTrue(names.contains(n), n + " in " + names);
            }
            assertEquals(5 * 2 + 4 * 4 + 4 * 2, names.size(), "G: 5 linears + 4 batch norms (no num_batches_tracked); D: 4 linears: " + names);
            assertEquals(java.util.List.of(1024, 784), java.util.Arrays.stream(c.get("discriminator.fc1.weight").shape().dims()).boxed().toList());
        }
    }

    @Test void vae2dWritesItsFiguresAndEvaluates() throws Exception {
        var out = dir.resolve("vae2d");
        assertEquals(0, Main.run("train", "vae2d", "--epochs", "1", "--limit", "256", "--recon", "mse", "--device", "cpu", "--no-progress", "--out", out.toString()));
        var manifold = ImageIO.read(out.resolve("manifold.png").toFile());
        assertEquals(20 * 30 + 2, manifold.getWidth(), "20 tiles of 28 + 2 padding");
        assertEquals(manifold.getWidth(), manifold.getHeight());
        var scatter = ImageIO.read(out.resolve("latent.png").toFile());
        assertTrue(scatter.getWidth() > 600 && scatter.getHeight() > 500, "scatter " + scatter.getWidth() + "x" + scatter.getHeight());
        var text = captureOut(() -> assertEquals(0, Main.run("evaluate", "--checkpoint", out.resolve("vae2d.safetensors").toString(), "--device", "cpu")));
        assertTrue(text.contains("negative ELBO"), text);
    }

    @Test void sampleDrawsAChosenDigitOnlyFromTheConditionalGan() throws Exception {
        var out = dir.resolve("cgan");
        assertEquals(0, Main.run("train", "cgan", "--epochs", "1", "--limit", "64", "--batch", "32", "--device", "cpu", "--no-progress", "--out", out.toString()));
        var grid = ImageIO.read(out.resolve("samples.png").toFile());
        assertEquals(10 * 30 + 2, grid.getWidth(), "10x10: one row per digit");
        assertEquals(10 * 30 + 2, grid.getHeight());
        var png = dir.resolve("sevens.png");
        assertEquals(0, Main.run("sample", "--checkpoint", out.resolve("cgan.safetensors").toString(), "--digit", "7", "--n", "8", "--out", png.toString(), "--device", "cpu"));
        assertTrue(Files.size(png) > 0);
        var err = captureErr(() -> assertNotEquals(0, Main.run("sample", "--checkpoint", out.resolve("cgan.safetensors").toString(), "--digit", "12", "--device", "cpu")));
        assertTrue(err.contains("--digit"), err);
        var mlp = dir.resolve("mlp");
        assertEquals(0, Main.run("train", "mlpgan", "--epochs", "1", "--limit", "64", "--device", "cpu", "--no-progress", "--out", mlp.toString()));
        err = captureErr(() -> assertNotEquals(0, Main.run("sample", "--checkpoint", mlp.resolve("mlpgan.safetensors").toString(), "--digit", "3", "--device", "cpu")));
        assertTrue(err.contains("cgan"), err);
    }

    @Test void helpListsEveryModel() {
        var text = captureOut(() -> Main.run("train", "--help"));
        for (var m : new String[] {"vae", "gan", "mlpgan", "lsgan", "vae2d", "cgan"}) assertTrue(text.contains("  " + m + " "), m + " in\n" + text);
    }

    private static String captureOut(Runnable r) { return capture(r, true); }

    private static String captureErr(Runnable r) { return capture(r, false); }

    private static String capture(Runnable r, boolean stdout) {
        var original = stdout ? System.out : System.err;
        var buf = new ByteArrayOutputStream();
        var ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        if (stdout) System.setOut(ps); else System.setErr(ps);
        try {
            r.run();
        } finally {
            if (stdout) System.setOut(original); else System.setErr(original);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
