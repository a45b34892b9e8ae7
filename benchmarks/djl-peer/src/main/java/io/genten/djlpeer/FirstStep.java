package io.genten.djlpeer;

import ai.djl.ndarray.NDManager;
import io.genten.backend.cpu.CpuBackend;

/**
 * Time to the first training step, one side per fresh JVM: everything from the process's start to
 * the end of the first step: JVM start, class loading, native library loading (libtorch already
 * extracted to DJL's cache: the harness loads the engine once before), model construction and the
 * step. Prints one line {@code FIRST_STEP_END_NS <System.nanoTime()>} at the end of the step;
 * {@link CpuVsLibtorch} read its own {@code System.nanoTime()} just before starting this process
 * (the same monotonic clock on Linux) and takes the difference.
 *
 * <p>usage: FirstStep genten|djl vae|dcgan batch threads [steps]: with steps (default 1), the run
 * goes on training after printing the time, as a short training run to record an AOT cache from.
 */
public final class FirstStep {
    /** The line's prefix: the monotonic clock at the end of step 1 follows. */
    static final String END_LINE = "FIRST_STEP_END_NS ";

    private FirstStep() {}

    /**
     * Runs one side's first step and prints the time.
     *
     * @param args side, model, batch, threads, optionally the steps in all
     */
    public static void main(String[] args) {
        if (args.length != 4 && args.length != 5) throw new IllegalArgumentException("usage: FirstStep genten|djl vae|dcgan batch threads [steps]");
        String side = args[0], model = args[1];
        int batch = Integer.parseInt(args[2]), threads = Integer.parseInt(args[3]), steps = args.length == 5 ? Integer.parseInt(args[4]) : 1;
        switch (side) {
            case "genten" -> {
                var backend = CpuBackend.withThreads(threads);
                try (var step = GentenSteps.create(model, backend, batch, 1, false)) {
                    step.step();
                    printEnd();
                    for (int i = 1; i < steps; i++) step.step();
                } finally {
                    backend.close();
                }
            }
            case "djl" -> {
                DjlEngine.load(threads, threads);
                try (var manager = NDManager.newBaseManager(); var step = Peers.djl(model, manager, batch, false)) {
                    step.step();
                    printEnd();
                    for (int i = 1; i < steps; i++) step.step();
                }
            }
            default -> throw new IllegalArgumentException("FirstStep: side must be genten or djl, not " + side);
        }
    }

    private static void printEnd() {
        System.out.println(END_LINE + System.nanoTime());
    }
}
