package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cuda.CudaAvailability;
import io.genten.backend.cuda.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPU faults in a training run, each in a child process on the CPU emulator (a device of a few
 * megabytes through GENTEN_SIMT_MEMORY_MB; a planted {@code __trap} through GENTEN_SIMT_FAULT,
 * which is sticky for the process, as a real fault is): the run stops with one line naming what
 * failed and why, exit 1, and the last committed training state and checkpoint stay byte for byte.
 */
@Tag("gpu")
class GpuFaultsCliTest {
    @TempDir Path dir;

    @BeforeAll static void emulator() {
        Assumptions.assumeTrue(CudaAvailability.get().available() && CudaAvailability.get().emulated(),
                "the device is made small, and a fault planted, only on the CPU emulator: " + CudaAvailability.get().reason());
    }

    /** Runs {@code genten args} in a child JVM on the emulator with {@code env}; returns stderr's lines. */
    private List<String> child(Map<String, String> env, int expectedExit, String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-D" + NativeLibrary.EMULATOR_PROPERTY + "=true"));
        String library = System.getProperty("genten.cuda.library");
        if (library != null) cmd.add("-D" + "genten.cuda.library" + "=" + library);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.genten.cli.Main"));
        cmd.addAll(List.of(args));
        var err = Files.createTempFile(dir, "stderr", ".txt");
        var pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile());
        pb.environment().putAll(env);
        var p = pb.start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child did not finish: " + String.join(" ", args));
        var lines = Files.readAllLines(err);
        assertEquals(expectedExit, p.exitValue(), String.join("\n", lines));
        return lines;
    }

    private static List<String> gentenLines(List<String> stderr) {
        return stderr.stream().filter(l -> l.startsWith("genten: ")).toList();
    }

    @Test void outOfDeviceMemoryInAStepStopsWithOneLineAndKeepsTheSavedRun() throws Exception {
        var out = dir.resolve("mlpgan");
        String o = out.toString();
        // one epoch of 4 steps at batch 256, on an emulated device of the default size
        child(Map.of(), 0, "train", "mlpgan", "--device", "cuda", "--limit", "1024", "--batch", "256", "--epochs", "1", "--no-progress", "--out", o);
        var checkpoint = out.resolve("mlpgan.safetensors");
        var state = io.genten.models.TrainingState.besides(checkpoint);
        byte[] checkpointBytes = Files.readAllBytes(checkpoint), stateBytes = Files.readAllBytes(state);
        // continue at batch 1024 on a device of 8 MiB: the model and its Adam state fit, a step does not
        long t0 = System.nanoTime();
        var err = child(Map.of("GENTEN_SIMT_MEMORY_MB", "8"), 1, "train", "mlpgan", "--device", "cuda", "--limit", "1024", "--batch", "1024",
                "--epochs", "2", "--resume", "--force-resume", "--no-progress", "--out", o);
        System.out.printf("GpuFaultsCliTest: the out-of-memory run took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        var lines = gentenLines(err);
        assertEquals(1, lines.size(), String.join("\n", err));
        String line = lines.getFirst();
        System.out.println("GpuFaultsCliTest: " + line);
        assertTrue(line.startsWith("genten: out of device memory at step 5 with --batch 1024; stopped, the last good training state " + state
                + " and checkpoint " + checkpoint + " are kept; rerun with --batch 512"), line);
        assertTrue(line.contains("allocated ") && line.contains("device: "), "names what the allocator and the device held: " + line);
        assertArrayEquals(checkpointBytes, Files.readAllBytes(checkpoint), "the checkpoint is byte for byte the last good one");
        assertArrayEquals(stateBytes, Files.readAllBytes(state), "the training state is byte for byte the last good one");
    }

    @Test void aKernelFaultInAStepNamesTheOpAndTheKernel() throws Exception {
        long t0 = System.nanoTime();
        var err = child(Map.of("GENTEN_SIMT_FAULT", "conv_fwd"), 1, "train", "gan", "--device", "cuda", "--limit", "16", "--batch", "8",
                "--epochs", "1", "--no-progress", "--out", dir.resolve("gan").toString());
        System.out.printf("GpuFaultsCliTest: the kernel-fault run took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        var lines = gentenLines(err);
        assertEquals(1, lines.size(), String.join("\n", err));
        String line = lines.getFirst();
        System.out.println("GpuFaultsCliTest: " + line);
        // the discriminator's first conv (the generator has transposed convs only)
        assertTrue(line.startsWith("genten: GPU kernel fault at step 1; stopped, nothing was saved yet. Cause: conv2dForward [8, 1, 28, 28], [64, 1, 5, 5]"), line);
        // a templated kernel is named by its launch expression, e.g. CONV_KERNEL(conv_fwd_kernel, MODE, BM, BN)
        assertTrue(line.contains("a kernel faulted: __trap() (planted by GENTEN_SIMT_FAULT) in kernel "), line);
        assertTrue(line.contains("conv_fwd_kernel"), line);
        assertTrue(line.contains("block (0,0,0), thread (0,0,0)") && line.contains("context is lost"), line);
    }
}
