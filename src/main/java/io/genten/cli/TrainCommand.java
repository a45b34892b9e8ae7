package io.genten.cli;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.data.Batches;
import io.genten.data.Dataset;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.io.CsvLog;
import io.genten.io.PngGrid;
import io.genten.models.Checkpoint;
import io.genten.models.ConvVae;
import io.genten.models.Dcgan;
import io.genten.models.GanTrainer;
import io.genten.models.GenerativeModel;
import io.genten.models.GraphedStep;
import io.genten.models.TrainingState;
import io.genten.models.VaeTrainer;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code genten train vae|gan}: the main job. Writes samples, a checkpoint and a loss log into --out. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a VAE or a DCGAN on the embedded 10k digits (or --data DIR) and write samples, a checkpoint and a CSV of losses.")
final class TrainCommand implements Callable<Integer> {
    enum ModelKind { VAE, GAN }

    private static final int BAR_WIDTH = 150;

    @Parameters(index = "0", description = "vae | gan")
    ModelKind model;

    @Option(names = "--epochs", description = "passes over the data (default: 5 for vae, 3 for gan)")
    Integer epochs;

    @Option(names = "--batch", defaultValue = "64", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", description = "Adam learning rate (default: 1e-3 for vae, 2e-4 for gan)")
    Float lr;

    @Option(names = "--beta1", description = "Adam beta1 (default: 0.9 for vae, 0.5 for gan)")
    Float beta1;

    @Option(names = "--seed", defaultValue = "42", description = "seed of initialization, shuffling and noise (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--data", description = "a folder with MNIST or Fashion-MNIST IDX files (default: the embedded 10k digits)")
    Path data;

    @Option(names = "--out", description = "output folder (default: out/<model>)")
    Path out;

    @Option(names = "--limit", description = "use only the first N images (quick runs)")
    Integer limit;

    @Option(names = "--real-label", defaultValue = "0.9", description = "GAN: label of real images, smoothing below 1 (default: ${DEFAULT-VALUE})")
    float realLabel;

    @Option(names = "--resume", description = "continue the run saved in --out (weights, Adam state, epochs done) up to --epochs in all")
    boolean resume;

    @Option(names = "--no-progress", description = "log a line per epoch instead of a progress bar")
    boolean noProgress;

    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    @Override public Integer call() throws Exception {
        if (batch < 1) throw new IllegalArgumentException("--batch " + batch + " must be positive");
        int epochCount = epochs != null ? epochs : model == ModelKind.VAE ? 5 : 3;
        if (epochCount < 1) throw new IllegalArgumentException("--epochs " + epochCount + " must be positive");
        var outDir = out != null ? out : Path.of("out", model.name().toLowerCase());
        Files.createDirectories(outDir);
        var log = System.out;
        try (Backend backend = Backends.open(deviceOptions, log)) {
            var scaling = model == ModelKind.VAE ? Scaling.UNIT : Scaling.SYMMETRIC;
            Dataset dataset = data == null ? Datasets.embedded(scaling) : Datasets.fromDirectory(data, scaling);
            if (limit != null) dataset = truncate(dataset, limit);
            if (dataset.count() < batch) {
                throw new IllegalArgumentException("--batch " + batch + " is larger than the " + dataset.count() + " images available");
            }
            log.printf("data: %d images %dx%d from %s%n", dataset.count(), dataset.rows(), dataset.cols(), data == null ? "the embedded digits" : data);
            var batches = Batches.forTraining(dataset, batch, seed);
            if (!resume) Files.deleteIfExists(outDir.resolve("losses.csv")); // a new run starts a new log; --resume appends
            var run = model == ModelKind.VAE ? new VaeRun(backend, seed, adam(1e-3f, 0.9f)) : new GanRun(backend, seed, adam(2e-4f, 0.5f), realLabel);
            try (run; var csv = CsvLog.open(outDir.resolve("losses.csv"), run.lossNames())) {
                var checkpoint = outDir.resolve(run.model().kind() + ".safetensors");
                var state = TrainingState.besides(checkpoint);
                int firstEpoch = resume ? resumeFrom(run, checkpoint, state, log) : 0;
                long step = run.steps();
                long total = (long) Math.max(0, epochCount - firstEpoch) * batches.batchesPerEpoch() * batch;
                try (var bar = progressBar(model.name().toLowerCase(), total)) {
                    for (int epoch = firstEpoch; epoch < epochCount; epoch++) {
                        long epochStart = System.nanoTime();
                        float[] last = null;
                        var it = batches.epoch(epoch);
                        while (it.hasNext()) {
                            long t0 = System.nanoTime();
                            float[] losses;
                            try (var scope = TensorScope.open(); var b = it.next()) {
                                losses = run.step(b.images());
                            }
                            double ips = batch / ((System.nanoTime() - t0) / 1e9);
                            step++;
                            csv.row(step, epoch, ips, toDoubles(losses));
                            last = losses;
                            if (bar != null) {
                                bar.stepBy(batch);
                                bar.setExtraMessage(" | " + format(run.lossNames(), losses));
                            }
                        }
                        double secs = (System.nanoTime() - epochStart) / 1e9;
                        var meta = new LinkedHashMap<String, String>();
                        meta.put("epoch", Integer.toString(epoch + 1));
                        meta.put("step", Long.toString(step));
                        meta.put("seed", Long.toString(seed));
                        Checkpoint.save(checkpoint, run.model(), meta);
                        run.saveState(state, epoch + 1);
                        String line = String.format("epoch %d/%d: %s, %.1f s, %.0f images/s", epoch + 1, epochCount,
                                format(run.lossNames(), last), secs, batches.imagesPerEpoch() / secs);
                        if (bar == null) log.println(line);
                        else System.err.print("\r" + String.format("%-" + BAR_WIDTH + "s", line) + "\n"); // over the bar's line; it redraws below
                    }
                }
                writeSamples(run, outDir, dataset);
                log.println("wrote " + checkpoint + ", " + outDir.resolve("losses.csv") + ", " + outDir.resolve("samples.png")
                        + (run instanceof VaeRun ? ", " + outDir.resolve("reconstructions.png") : ""));
            }
        }
        return 0;
    }

    /** Loads the checkpoint and training state of an earlier run; returns the epochs it had done. */
    private static int resumeFrom(TrainingRun run, Path checkpoint, Path state, java.io.PrintStream log) throws java.io.IOException {
        if (!Files.isRegularFile(checkpoint) || !Files.isRegularFile(state)) {
            throw new IllegalArgumentException("--resume: no earlier run to continue: " + checkpoint + " and " + state + " must both exist");
        }
        Checkpoint.loadInto(checkpoint, run.model());
        int done = run.restoreState(state);
        log.printf("resumed: %d epochs (%d steps) done, from %s%n", done, run.steps(), checkpoint);
        return done;
    }

    /**
     * Adam with --lr and --beta1 or the model's defaults (beta2 0.999, eps 1e-8). For the GAN the
     * command line takes the DCGAN paper's Adam(2e-4, beta1 0.5): on the 10k digits it draws digit
     * strokes within 3 epochs, where DESIGN.md's Adam(1e-4, 0.9), which GanTrainer and the benchmarks
     * keep, still draws blotches after 8.
     */
    private AdamConfig adam(float defaultLr, float defaultBeta1) {
        return AdamConfig.of(lr != null ? lr : defaultLr, beta1 != null ? beta1 : defaultBeta1, 0.999f);
    }

    private ProgressBar progressBar(String task, long total) {
        if (noProgress) return null;
        return new ProgressBarBuilder().setTaskName("train " + task).setInitialMax(total).setUnit(" img", 1)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(System.err, BAR_WIDTH)).build();
    }

    private void writeSamples(TrainingRun run, Path outDir, Dataset dataset) throws Exception {
        var gm = run.model();
        float lo = gm instanceof Dcgan ? -1f : 0f;
        try (var scope = TensorScope.open()) {
            PngGrid.write(outDir.resolve("samples.png"), gm.sample(64, seed + 1), 8, lo, 1f);
            if (gm instanceof ConvVae vae) {
                int n = 32, size = dataset.imageSize();
                var x = Tensor.wrap(Arrays.copyOf(dataset.images(), n * size), io.genten.tensor.Shape.of(n, 1, dataset.rows(), dataset.cols()));
                var onDevice = vae.backend().copyOf(x);
                var rec = vae.reconstruct(onDevice).toArray();
                var both = new float[2 * n * size];
                System.arraycopy(x.toArray(), 0, both, 0, n * size);
                System.arraycopy(rec, 0, both, n * size, n * size);
                PngGrid.write(outDir.resolve("reconstructions.png"), both, 2 * n, dataset.rows(), dataset.cols(), 8, 0f, 1f);
            }
        }
    }

    static Dataset truncate(Dataset d, int limit) {
        if (limit < 1) throw new IllegalArgumentException("--limit " + limit + " must be positive");
        int n = Math.min(limit, d.count());
        return new Dataset(Arrays.copyOf(d.images(), n * d.imageSize()), Arrays.copyOf(d.labels(), n), n, d.rows(), d.cols(), d.scaling());
    }

    private static double[] toDoubles(float[] v) {
        var d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    private static String format(String[] names, float[] values) {
        if (values == null) return "no steps";
        var b = new StringBuilder();
        for (int i = 0; i < names.length; i++) b.append(i == 0 ? "" : " ").append(names[i]).append(' ').append(String.format("%.4g", values[i]));
        return b.toString();
    }

    /** The batch on the backend's device: as it is on the CPU, else a copy (freed with the step's scope). */
    private static Tensor onDevice(Backend backend, Tensor hostImages) {
        return hostImages.device().equals(backend.device()) ? hostImages : backend.copyOf(hostImages);
    }

    /** One model and its trainer, stepped on host batches. */
    sealed interface TrainingRun extends AutoCloseable permits VaeRun, GanRun {
        GenerativeModel model();

        String[] lossNames();

        float[] step(Tensor hostImages);

        /** A whole step on images already on the device, losses left on the device (no host sync). */
        void stepOnDevice(Tensor deviceImages);

        /** Captures a step on {@code staticInput} as a CUDA graph (after one eager warm-up step). */
        GraphedStep<?> captureGraph(Tensor staticInput);

        /** Training steps taken (including those of a resumed run). */
        long steps();

        void saveState(Path file, int epochsDone) throws java.io.IOException;

        /** Restores the trainer from a state file; returns the epochs done. */
        int restoreState(Path file) throws java.io.IOException;

        @Override void close();
    }

    static final class VaeRun implements TrainingRun {
        private final ConvVae vae;
        private final VaeTrainer trainer;

        VaeRun(Backend backend, long seed, AdamConfig adam) {
            vae = new ConvVae(backend, seed);
            trainer = new VaeTrainer(vae, adam);
        }

        @Override public GenerativeModel model() { return vae; }

        @Override public String[] lossNames() { return new String[] {"reconstruction", "kl", "loss"}; }

        @Override public float[] step(Tensor hostImages) {
            var l = trainer.step(onDevice(vae.backend(), hostImages));
            return new float[] {l.reconstruction(), l.kl(), l.total()};
        }

        @Override public void stepOnDevice(Tensor deviceImages) { trainer.stepOnDevice(deviceImages); }

        @Override public GraphedStep<?> captureGraph(Tensor staticInput) { return GraphedStep.capture(trainer, staticInput); }

        @Override public long steps() { return trainer.stepCount(); }

        @Override public void saveState(Path file, int epochsDone) throws java.io.IOException { TrainingState.save(file, trainer, epochsDone); }

        @Override public int restoreState(Path file) throws java.io.IOException { return TrainingState.restore(file, trainer); }

        @Override public void close() { trainer.close(); }
    }

    static final class GanRun implements TrainingRun {
        private final Dcgan gan;
        private final GanTrainer trainer;

        GanRun(Backend backend, long seed, AdamConfig adam, float realLabel) {
            gan = new Dcgan(backend, seed);
            trainer = new GanTrainer(gan, seed + 1, realLabel, adam);
        }

        @Override public GenerativeModel model() { return gan; }

        @Override public String[] lossNames() { return new String[] {"d_loss", "g_loss"}; }

        @Override public float[] step(Tensor hostImages) {
            var l = trainer.step(onDevice(gan.backend(), hostImages));
            return new float[] {l.discriminator(), l.generator()};
        }

        @Override public void stepOnDevice(Tensor deviceImages) { trainer.stepOnDevice(deviceImages); }

        @Override public GraphedStep<?> captureGraph(Tensor staticInput) { return GraphedStep.capture(trainer, staticInput); }

        @Override public long steps() { return trainer.stepCount(); }

        @Override public void saveState(Path file, int epochsDone) throws java.io.IOException { TrainingState.save(file, trainer, epochsDone); }

        @Override public int restoreState(Path file) throws java.io.IOException { return TrainingState.restore(file, trainer); }

        @Override public void close() { trainer.close(); }
    }
}
