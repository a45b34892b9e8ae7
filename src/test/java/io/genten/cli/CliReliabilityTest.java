package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line under faults and clumsy use: nothing saved is lost, every failure is one line. */
class CliReliabilityTest {
    @TempDir Path dir;

    /** Exit code and stderr of one run (stdout discarded). */
    private record Result(int code, String err) {
        List<String> errLines() { return err.lines().toList(); }
    }

    private static Result run(String... args) {
        var oldErr = System.err;
        var oldOut = System.out;
        var err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return new Result(Main.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
    }

    private Result train(Path out, String... extra) {
        var args = new ArrayList<>(List.of("train", "vae", "--limit", "64", "--batch", "32", "--device", "cpu", "--no-progress", "--out", out.toString()));
        args.addAll(Arrays.asList(extra));
        return run(args.toArray(String[]::new));
    }

    @Test void aDivergingRunStopsWithOneLineAndLeavesTheLastGoodStateByteForByte() throws Exception {
        var out = dir.resolve("run");
        assertEquals(0, train(out, "--epochs", "1").code());
        byte[] state = Files.readAllBytes(out.resolve("vae.train.safetensors"));
        byte[] ckpt = Files.readAllBytes(out.resolve("vae.safetensors"));

        // a learning rate of 1e30 is finite, so accepted, and blows the weights up within a step or two
        var r = train(out, "--epochs", "3", "--resume", "--force-resume", "--lr", "1e30");
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.errLines().stream().filter(l -> l.startsWith("genten:")).count(), r.err());
        assertTrue(r.err().contains("training diverged at step") && r.err().contains("loss") && r.err().contains("kept"), r.err());
        assertArrayEquals(state, Files.readAllBytes(out.resolve("vae.train.safetensors")), "the training state is untouched");
        assertArrayEquals(ckpt, Files.readAllBytes(out.resolve("vae.safetensors")), "the checkpoint is untouched");
        // and it still samples
        assertEquals(0, run("sample", "--checkpoint", out.resolve("vae.safetensors").toString(), "--n", "4", "--device", "cpu",
                "--out", dir.resolve("s.png").toString()).code());
    }

    /** The same stop for the extra models (mlpgan, lsgan, vae2d, cgan): their trainers check every step too. */
    @Test void theExtraModelsStopTheSameWayAndKeepTheirState() throws Exception {
        for (var model : List.of("mlpgan", "lsgan", "vae2d", "cgan")) {
            var out = dir.resolve("extra-" + model);
            var base = List.of("train", model, "--limit", "64", "--batch", "32", "--device", "cpu", "--no-progress", "--out", out.toString());
            var first = new ArrayList<>(base);
            first.addAll(List.of("--epochs", "1"));
            assertEquals(0, run(first.toArray(String[]::new)).code(), model);
            byte[] state = Files.readAllBytes(out.resolve(model + ".train.safetensors"));
            byte[] ckpt = Files.readAllBytes(out.resolve(model + ".safetensors"));
            var again = new ArrayList<>(base);
            again.addAll(List.of("--epochs", "4", "--resume", "--force-resume", "--lr", "1e30"));
            var r = run(again.toArray(String[]::new));
            assertEquals(1, r.code(), model + ": " + r.err());
            assertTrue(r.err().contains("training diverged at step") && r.err().contains("kept"), model + ": " + r.err());
            assertArrayEquals(state, Files.readAllBytes(out.resolve(model + ".train.safetensors")), model + ": the training state is untouched");
            assertArrayEquals(ckpt, Files.readAllBytes(out.resolve(model + ".safetensors")), model + ": the checkpoint is untouched");
        }
    }

    @Test void nonFiniteOrOutOfRangeHyperparametersAreUsageErrors() {
        for (var bad : List.of(List.of("--lr", "Infinity"), List.of("--lr", "NaN"), List.of("--lr", "-1"), List.of("--beta1", "NaN"), List.of("--beta1", "1"))) {
            var r = train(dir.resolve("hp"), bad.toArray(String[]::new));
            assertEquals(2, r.code(), bad + ": " + r.err());
            assertTrue(r.err().contains("Adam: invalid hyperparameters"), r.err());
        }
        var r = run("train", "gan", "--real-label", "NaN", "--device", "cpu", "--out", dir.resolve("rl").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--real-label NaN"), r.err());
        assertFalse(Files.exists(dir.resolve("hp").resolve("losses.csv")));
    }

    @Test void resumeWithChangedSettingsSaysWhatChangedAndRefusesUnlessForced() throws Exception {
        var out = dir.resolve("run");
        assertEquals(0, train(out, "--epochs", "1").code());
        byte[] state = Files.readAllBytes(out.resolve("vae.train.safetensors"));
        var r = run("train", "vae", "--limit", "48", "--batch", "16", "--seed", "7", "--lr", "0.002", "--device", "cpu", "--no-progress",
                "--out", out.toString(), "--epochs", "2", "--resume");
        assertEquals(2, r.code(), r.err());
        for (var change : List.of("batch 32 -> 16", "seed 42 -> 7", "lr 0.001 -> 0.002", "data_images 64 -> 48", "--force-resume")) {
            assertTrue(r.err().contains(change), change + " not in " + r.err());
        }
        assertArrayEquals(state, Files.readAllBytes(out.resolve("vae.train.safetensors")));
        var forced = train(out, "--epochs", "2", "--resume", "--force-resume", "--seed", "7");
        assertEquals(0, forced.code(), forced.err());
    }

    @Test void aSecondRunIntoTheSameFolderIsRefusedNamingTheFirst() throws Exception {
        var out = dir.resolve("busy");
        try (var held = RunDirectory.acquire(out)) {
            var r = train(out, "--epochs", "1");
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("in use by another genten run") && r.err().contains("pid " + ProcessHandle.current().pid()), r.err());
        }
        assertEquals(0, train(out, "--epochs", "1").code(), "free again once released");
    }

    @Test void aNewRunMovesTheOldLogAsideOnlyOnceItHasTrainedAStep() throws Exception {
        var out = dir.resolve("logs");
        Files.createDirectories(out);
        var log = out.resolve("losses.csv");
        Files.writeString(log, "step,epoch,reconstruction,kl,loss,images_per_s\n1,0,1.0,2.0,3.0,10.0\n");
        String before = Files.readString(log);
        // fails before its first step (a batch larger than the data): the old log is untouched
        assertEquals(2, train(out, "--epochs", "1", "--batch", "128").code());
        assertEquals(before, Files.readString(log));
        assertEquals(0, train(out, "--epochs", "1").code());
        assertEquals(before, Files.readString(out.resolve("losses.1.csv")), "the previous run's log, moved aside");
        assertEquals(3, Files.readAllLines(log).size(), "header and the new run's two steps");
        assertEquals(0, train(out, "--epochs", "1").code());
        assertTrue(Files.exists(out.resolve("losses.2.csv")), "never over an older one");
    }

    @Test void leftoverTempFilesOfAKilledRunAreCleanedAtStart() throws Exception {
        var out = dir.resolve("tmp");
        Files.createDirectories(out);
        var torn = Files.writeString(out.resolve(".vae.train.safetensors1234567.tmp"), "half a file");
        var mine = Files.writeString(out.resolve("notes.txt"), "the user's");
        assertEquals(0, train(out, "--epochs", "1").code());
        assertFalse(Files.exists(torn));
        assertTrue(Files.exists(mine));
    }

    @Test void sampleNeverWritesOverItsOwnCheckpoint() throws Exception {
        var out = dir.resolve("run");
        assertEquals(0, train(out, "--epochs", "1").code());
        var ckpt = out.resolve("vae.safetensors");
        byte[] before = Files.readAllBytes(ckpt);
        var r = run("sample", "--checkpoint", ckpt.toString(), "--device", "cpu", "--out", out.resolve("./vae.safetensors").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("is the checkpoint itself"), r.err());
        assertArrayEquals(before, Files.readAllBytes(ckpt));
        r = run("sample", "--checkpoint", out.resolve("vae.train.safetensors").toString(), "--device", "cpu", "--out", dir.resolve("x.png").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("is a training state") && r.err().contains("vae.safetensors beside it"), r.err());
    }

    @Test void aCheckpointWithNonFiniteWeightsIsRefusedNamingTheTensor() throws Exception {
        var out = dir.resolve("run");
        assertEquals(0, train(out, "--epochs", "1").code());
        var ckpt = out.resolve("vae.safetensors");
        try (var c = io.genten.io.SafeTensors.read(ckpt)) {
            var t = new java.util.LinkedHashMap<>(c.tensors());
            var w = t.get("enc2.weight").toArray();
            Arrays.fill(w, Float.NaN);
            t.put("enc2.weight", io.genten.tensor.Tensor.wrap(w, t.get("enc2.weight").shape()));
            io.genten.io.SafeTensors.write(ckpt, t, c.metadata());
        }
        var r = run("sample", "--checkpoint", ckpt.toString(), "--device", "cpu", "--out", dir.resolve("black.png").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("enc2.weight") && r.err().contains("NaN"), r.err());
        assertFalse(Files.exists(dir.resolve("black.png")), "no black PNG");
    }

    @Test void failuresAreOneLineWithExitCodesAndVerboseAddsTheTrace() throws Exception {
        var missing = dir.resolve("missing.safetensors");
        var r = run("sample", "--checkpoint", missing.toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertEquals(List.of("genten: " + missing + ": no such file or directory"), r.errLines());
        r = run("--verbose", "sample", "--checkpoint", missing.toString(), "--device", "cpu");
        assertTrue(r.errLines().size() > 2 && r.err().contains("\tat "), r.err());
        r = run("sample", "--checkpoint", missing.toString(), "--device", "cpu", "--verbose");
        assertTrue(r.err().contains("\tat "), "--verbose also after the subcommand: " + r.err());
        assertEquals(2, run("train", "vae", "--batch", "0").code());
        assertEquals(2, run("train", "nonsense").code());
        var oldStyle = dir.resolve("old");
        Files.createDirectories(oldStyle);
        Files.writeString(oldStyle.resolve("vae.optimizer.safetensors"), "x");
        r = train(oldStyle, "--resume");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("older Genten"), r.err());
    }
}
