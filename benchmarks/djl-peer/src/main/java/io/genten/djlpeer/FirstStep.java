package io.genten.djlpeer;

import ai.djl.ndarray.NDManager;
import io.genten.backend.cpu.CpuBackend;
import java.time.Duration;
import java.time.Instant;

/**
 * Time to the first training step, one side per fresh JVM: from the process's start (the OS's
 * record of it, 10 ms resolution) to the end of the first step, everything included: JVM start,
 * class loading, native library loading (libtorch already extracted to DJL's cache: the harness
 * loads the engine once before), model construction and the step. Prints one line
 * {@code FIRST_STEP_MS <ms>} for {@link CpuVsLibtorch}.
 *
 * <p>usage: FirstStep genten|djl vae|dcgan batch threads
 */
public final class FirstStep {
    private FirstStep() {}

    /**
     * Runs one side's first step and prints the time.
     *
     * @param args side, model, batch, threads
     */
    public static void main(String[] args) {
        if (args.length != 4) throw new IllegalArgumentException("usage: FirstStep genten|djl vae|dcgan batch threads");
        String side = args[0], model = args[1];
        int batch = Integer.parseInt(args[2]), threads = Integer.parseInt(args[3]);
        Instant start = ProcessHandle.current().info().startInstant()
                .orElseThrow(() -> new IllegalStateException("FirstStep: the OS does not report this process's start time"));
        switch (side) {
            case "genten" -> {
                var backend = CpuBackend.withThreads(threads);
                try (var step = GentenSteps.create(model, backend, batch, 1, false)) {
                    step.step();
                    print(start);
                } finally {
                    backend.close();
                }
            }
            case "djl" -> {
                DjlEngine.load(threads, threads);
                try (var manager = NDManager.newBaseManager(); var step = Peers.djl(model, manager, batch, false)) {
                    step.step();
                    print(start);
                }
            }
            default -> throw new IllegalArgumentException("FirstStep: side must be genten or djl, not " + side);
        }
    }

    private static void print(Instant start) {
        System.out.println("FIRST_STEP_MS " + Duration.between(start, Instant.now()).toMillis());
    }
}
