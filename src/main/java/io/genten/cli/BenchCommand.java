package io.genten.cli;

import io.genten.backend.Backend;
import io.genten.tensor.Shape;
import io.genten.tensor.TensorScope;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code genten bench vae|gan}: training images/s on synthetic data, eager steps. A quick look;
 * the JMH suite in benchmarks/ is the measurement of record.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure training images/s (synthetic data, eager steps).")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "vae | gan")
    TrainCommand.ModelKind model;

    @Option(names = "--batch", defaultValue = "64", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--steps", defaultValue = "30", description = "timed steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "5", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    @Override public Integer call() {
        if (batch < 1 || steps < 1 || warmup < 0) throw new IllegalArgumentException("--batch, --steps must be positive and --warmup >= 0");
        try (Backend backend = Backends.open(deviceOptions, System.out)) {
            TrainCommand.TrainingRun run = model == TrainCommand.ModelKind.VAE
                    ? new TrainCommand.VaeRun(backend, 42, null) : new TrainCommand.GanRun(backend, 42, null, 0.9f);
            try (run; var images = io.genten.tensor.Tensor.rand(7, 0, batch, 1, 28, 28)) {
                if (model == TrainCommand.ModelKind.GAN) {
                    var v = images.toArray();
                    for (int i = 0; i < v.length; i++) v[i] = 2 * v[i] - 1;
                    images.copyFrom(v);
                }
                for (int i = 0; i < warmup; i++) step(run, images);
                backend.synchronize();
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) step(run, images);
                backend.synchronize();
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf("%s batch %d on %s: %.1f images/s (%.2f ms/step over %d steps)%n",
                        model.name().toLowerCase(), batch, backend.device(), steps * (double) batch / secs, secs * 1e3 / steps, steps);
            }
        }
        return 0;
    }

    private static void step(TrainCommand.TrainingRun run, io.genten.tensor.Tensor images) {
        try (var scope = TensorScope.open()) {
            run.step(images);
        }
    }
}
