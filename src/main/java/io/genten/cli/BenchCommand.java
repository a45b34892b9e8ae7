package io.genten.cli;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.models.GanTrainer;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.lang.management.ManagementFactory;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code genten bench vae|gan}: training images/s on synthetic data already on the device, steps
 * queued without reading the losses back (eager) or replayed as one CUDA graph ({@code --graph}).
 * A quick look; the JMH suite in benchmarks/ is the measurement of record.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure training images/s (synthetic data; eager or CUDA-graph steps).")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "vae | gan | mlpgan | lsgan | vae2d | cgan (see genten train --help)")
    TrainCommand.ModelKind model;

    @Option(names = "--batch", defaultValue = "64", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--steps", defaultValue = "30", description = "timed steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "5", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--graph", description = "capture one step as a CUDA graph and time its replays (cuda only)")
    boolean graph;

    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    @Override public Integer call() {
        if (batch < 1 || steps < 1 || warmup < 0) throw new IllegalArgumentException("--batch and --steps must be positive, --warmup >= 0");
        try (Backend backend = Backends.open(deviceOptions, System.out)) {
            if (graph && !backend.device().isCuda()) throw new IllegalArgumentException("--graph needs --device cuda (running on " + backend.device() + ")");
            var adam = model == TrainCommand.ModelKind.VAE ? AdamConfig.of(1e-3f, 0.9f, 0.999f)
                    : model == TrainCommand.ModelKind.GAN ? GanTrainer.DEFAULT_ADAM : AdamConfig.of(model.lr, model.beta1, 0.999f);
            var run = TrainCommand.newRun(model, backend, 42, adam, 0.9f, io.genten.models.DenseVaeTrainer.Reconstruction.BCE);
            try (run; var host = syntheticImages(); var images = backend.copyOf(host)) {
                long t0;
                if (graph) {
                    try (var replay = run.captureGraph(images)) {
                        for (int i = 0; i < warmup; i++) replay.replay();
                        backend.synchronize();
                        t0 = System.nanoTime();
                        for (int i = 0; i < steps; i++) replay.replay();
                        backend.synchronize();
                        report(backend, t0, "graph-replayed");
                    }
                } else {
                    eagerStep(run, images);
                    backend.synchronize();
                    // from the JVM's own start time: the process's exec and the JVM's creation before it
                    // (about 0.1 s on a 2-core VM) are not counted; time the command from outside for them
                    long sinceStart = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
                    System.out.printf("first training step done %.2f s after the JVM started%n", sinceStart / 1e3);
                    for (int i = 0; i < warmup; i++) eagerStep(run, images);
                    backend.synchronize();
                    t0 = System.nanoTime();
                    for (int i = 0; i < steps; i++) eagerStep(run, images);
                    backend.synchronize();
                    report(backend, t0, "eager");
                }
            }
        }
        return 0;
    }

    /** Uniform pixels in the model's range: [0, 1] or [-1, 1] (the model's scaling). */
    private Tensor syntheticImages() {
        var images = Tensor.rand(7, 0, batch, 1, 28, 28);
        if (model.scaling == io.genten.data.Scaling.SYMMETRIC) {
            var v = images.toArray();
            for (int i = 0; i < v.length; i++) v[i] = 2 * v[i] - 1;
            images.copyFrom(v);
        }
        return images;
    }

    private void report(Backend backend, long t0, String mode) {
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s batch %d on %s (%s, math %s): %.1f images/s (%.3f ms/step over %d steps)%n",
                model.name().toLowerCase(), batch, backend.device(), mode, backend.mathMode(),
                steps * (double) batch / secs, secs * 1e3 / steps, steps);
    }

    private static void eagerStep(TrainCommand.TrainingRun run, Tensor images) {
        try (var scope = TensorScope.open()) {
            run.stepOnDevice(images);
        }
    }
}
