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
import io.genten.models.DivergedException;
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
import java.util.UUID;
import java.util.zip.CRC32C;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code genten train vae|gan|mlpgan|lsgan|vae2d|cgan}: the main job. Writes samples, a checkpoint and a loss log into --out. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model on the embedded 10k digits (or --data DIR) and write samples, a checkpoint and a CSV of losses.",
        footer = {"", "Models (1x28x28 digits; checkpoints use PyTorch state_dict names):",
                "  vae     enc Conv(1-32,3,s2)-BN-ReLU-Conv(32-64,3,s2)-BN-ReLU-fc mu,logvar 32",
                "          dec fc 3136-ConvT(64-64,s2)-BN-ReLU-ConvT(64-32,s2)-BN-ReLU-Conv(32-1)",
                "  gan     G fc 100-12544-BN-LReLU-ConvT 256-128 (5x5,s1)-BN-LReLU-ConvT 64 (s2)",
                "          -BN-LReLU-ConvT 1 (s2)-tanh; D Conv 1-64 (5x5,s2)-LReLU-Dropout",
                "          -Conv 128 (s2)-LReLU-Dropout-fc 1",
                "  mlpgan  G z(100)-fc1 128-ReLU-fc2 784-sigmoid; D 784-fc1 128-ReLU-fc2 1;",
                "          BCE with logits, Adam(1e-4)",
                "  lsgan   G z(100)-fc1 128-fc2 256-fc3 512-fc4 1024 (each fc-ReLU-BatchNorm1d)",
                "          -fc5 784-tanh; D 784-fc1 1024-fc2 512-fc3 256 (each fc-LeakyReLU 0.2)",
                "          -fc4 1 (the sketch's ReLU + BatchNorm1d in D does not train);",
                "          D: 0.5 E[(D(x)-1)^2] + 0.5 E[D(G(z))^2]; G: 0.5 E[(D(G(z))-1)^2]",
                "  vae2d   enc 784-fc1 16-ReLU-mu 2, logvar 2; dec 2-fc 784 (logits);",
                "          --recon bce|mse summed over pixels, + KL; writes manifold.png",
                "          (20x20 z over [-3,3]^2) and latent.png (means coloured by digit)",
                "  cgan    G concat(z 100, one-hot 10)-fc 6272-BN-LReLU-ConvT 128-64 (5x5,s1)",
                "          -BN-LReLU-ConvT 32 (s2)-BN-LReLU-ConvT 1 (s2)-tanh; D concat(image,",
                "          10 label planes)-Conv 11-32 (5x5,s2)-LReLU-Dropout-Conv 64 (s2)",
                "          -LReLU-Dropout-fc 1; samples.png: row d is digit d"})
final class TrainCommand implements Callable<Integer> {
    /** The models: a one-line description each and their training defaults. */
    enum ModelKind {
        VAE("conv VAE, latent 32 (DESIGN.md); BCE + KL", 5, 1e-3f, 0.9f, Scaling.UNIT),
        GAN("DCGAN of the TensorFlow tutorial (DESIGN.md); BCE", 3, 2e-4f, 0.5f, Scaling.SYMMETRIC),
        MLPGAN("MLP GAN: G z(100)-fc 128-ReLU-fc 784-sigmoid, D 784-fc 128-ReLU-fc 1; BCE, Adam(1e-4)", 100, 1e-4f, 0.9f, Scaling.UNIT),
        LSGAN("deep MLP GAN: G z(100)-128-256-512-1024 (fc-ReLU-BatchNorm1d each)-fc 784-tanh, D 784-1024-512-256 (fc-LeakyReLU each)-fc 1; least-squares loss", 10, 2e-4f, 0.5f, Scaling.SYMMETRIC),
        VAE2D("dense VAE, 2-D latent: 784-fc 16-ReLU-(mu 2, logvar 2), decoder 2-fc 784-sigmoid; --recon bce|mse; writes manifold.png and latent.png", 30, 1e-3f, 0.9f, Scaling.UNIT),
        CGAN("digit-conditioned DCGAN (half the DCGAN's channels): one-hot label beside z in G, 10 label planes beside the image in D; BCE; sample --digit", 10, 2e-4f, 0.5f, Scaling.SYMMETRIC);

        final String description;
        final int epochs;
        final float lr, beta1;
        final Scaling scaling;

        ModelKind(String description, int epochs, float lr, float beta1, Scaling scaling) {
            this.description = description;
            this.epochs = epochs;
            this.lr = lr;
            this.beta1 = beta1;
            this.scaling = scaling;
        }

        /** The GANs trained with BCE, whose real label can be smoothed. */
        boolean takesRealLabel() { return this == GAN || this == MLPGAN || this == CGAN; }
    }

    private static final int BAR_WIDTH = 150;

    @Parameters(index = "0", description = {"the model, one of:",
            "  vae     conv VAE, latent 32; BCE + KL",
            "  gan     DCGAN (TensorFlow tutorial); BCE",
            "  mlpgan  MLP GAN 100-128-784 / 784-128-1; BCE",
            "  lsgan   deep MLP GAN, G with BatchNorm1d; least-squares loss",
            "  vae2d   dense VAE with a 2-D latent; manifold and scatter PNGs",
            "  cgan    digit-conditioned DCGAN; sample --digit D",
            "(the architectures are listed under Models below)"})
    ModelKind model;

    @Option(names = "--epochs", description = "passes over the data (default: 5 vae, 3 gan, 100 mlpgan, 10 lsgan, 30 vae2d, 10 cgan)")
    Integer epochs;

    @Option(names = "--batch", defaultValue = "64", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", description = "Adam learning rate (default: 1e-3 vae/vae2d, 2e-4 gan/lsgan/cgan, 1e-4 mlpgan)")
    Float lr;

    @Option(names = "--beta1", description = "Adam beta1 (default: 0.9 vae/vae2d/mlpgan, 0.5 gan/lsgan/cgan)")
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

    @Option(names = "--recon", defaultValue = "BCE", description = "vae2d: reconstruction loss, BCE (on logits) or MSE (of sigmoid), summed over pixels (default: ${DEFAULT-VALUE})")
    io.genten.models.DenseVaeTrainer.Reconstruction recon;

    @Option(names = "--resume", description = "continue the run saved in --out (weights, Adam state, epochs done) up to --epochs in all")
    boolean resume;

    @Option(names = "--no-progress", description = "log a line per epoch instead of a progress bar")
    boolean noProgress;

    @Option(names = "--force-resume", description = "with --resume: continue even though batch, seed, data or learning rate differ from the saved run")
    boolean forceResume;

    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    @Override public Integer call() throws Exception {
        if (batch < 1) throw new UsageException("--batch " + batch + " must be positive");
        int epochCount = epochs != null ? epochs : model.epochs;
        if (epochCount < 1) throw new UsageException("--epochs " + epochCount + " must be positive");
        if (limit != null && limit < 1) throw new UsageException("--limit " + limit + " must be positive");
        if (forceResume && !resume) throw new UsageException("--force-resume goes with --resume");
        AdamConfig adamConfig;
        try {
            adamConfig = adam(model.lr, model.beta1);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--lr/--beta1: " + e.getMessage());
        }
        if (model.takesRealLabel() && !(realLabel > 0.5f && realLabel <= 1f)) throw new UsageException("--real-label " + realLabel + " must be in (0.5, 1]");
        var outDir = out != null ? out : Path.of("out", model.name().toLowerCase());
        var log = System.out;
        try (var owned = RunDirectory.acquire(outDir); Backend backend = Backends.open(deviceOptions, log)) {
            int cleaned = owned.cleanTempFiles();
            if (cleaned > 0) log.println("removed " + cleaned + " temp file(s) an interrupted run left in " + outDir);
            var scaling = model.scaling;
            Dataset dataset = data == null ? Datasets.embedded(scaling) : Datasets.fromDirectory(data, scaling);
            if (limit != null) dataset = truncate(dataset, limit);
            if (dataset.count() < batch) {
                throw new UsageException("--batch " + batch + " is larger than the " + dataset.count() + " images available");
            }
            log.printf("data: %d images %dx%d from %s%n", dataset.count(), dataset.rows(), dataset.cols(), data == null ? "the embedded digits" : data);
            var batches = Batches.forTraining(dataset, batch, seed);
            var settings = settings(adamConfig, dataset);
            var run = newRun(model, backend, seed, adamConfig, realLabel, recon);
            var checkpoint = outDir.resolve(run.model().kind() + ".safetensors");
            var state = TrainingState.besides(checkpoint);
            var logFile = outDir.resolve("losses.csv");
            CsvLog csv = null;
            try (run) {
                String runId;
                int firstEpoch;
                if (resume) {
                    var saved = resumeFrom(run, checkpoint, state, settings, log);
                    runId = saved.runId();
                    firstEpoch = saved.epochsDone();
                    csv = LossLog.resume(logFile, java.util.List.of(run.lossNames()), saved.steps());
                    exportIfStale(checkpoint, run, saved, seed);
                } else {
                    runId = UUID.randomUUID().toString();
                    firstEpoch = 0;
                    if (Files.isRegularFile(state)) {
                        log.println("note: " + outDir + " holds an earlier run; this new run replaces its state and checkpoint at the end of its"
                                + " first epoch (to continue the earlier one instead, stop now and pass --resume)");
                    }
                }
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
                                losses = run.step(b.images(), b.labels());
                            } catch (io.genten.backend.cuda.CudaOutOfMemoryException e) {
                                throw DeviceFaults.outOfMemory(e, batch, step + 1, state, checkpoint);
                            } catch (io.genten.backend.cuda.CudaKernelFaultException e) {
                                throw DeviceFaults.kernelFault(e, step + 1, state, checkpoint);
                            } catch (DivergedException e) {
                                throw new DivergedException(e.step(), e.getMessage().substring(e.getMessage().indexOf(": ") + 2) + "; stopped, "
                                        + (Files.exists(state) ? "the last good training state " + state + " and checkpoint " + checkpoint + " are kept"
                                                : "nothing was saved"));
                            }
                            double ips = batch / ((System.nanoTime() - t0) / 1e9);
                            step++;
                            // a new run's log replaces an older one only now that a step has trained (the old one is moved aside)
                            if (csv == null) csv = LossLog.startNew(logFile, java.util.List.of(run.lossNames()));
                            csv.row(step, epoch, ips, toDoubles(losses));
                            last = losses;
                            if (bar != null) {
                                bar.stepBy(batch);
                                bar.setExtraMessage(" | " + format(run.lossNames(), losses));
                            }
                        }
                        double secs = (System.nanoTime() - epochStart) / 1e9;
                        // the commit: one file, one rename; the PyTorch-loadable checkpoint is exported from the same values after it
                        run.commit(state, epoch + 1, runId, settings);
                        Checkpoint.save(checkpoint, run.model(), exportMetadata(epoch + 1, step, runId, seed));
                        String line = String.format("epoch %d/%d: %s, %.1f s, %.0f images/s", epoch + 1, epochCount,
                                format(run.lossNames(), last), secs, batches.imagesPerEpoch() / secs);
                        if (bar == null) log.println(line);
                        else System.err.print("\r" + String.format("%-" + BAR_WIDTH + "s", line) + "\n"); // over the bar's line; it redraws below
                    }
                }
                if (run instanceof ExtraOutputs extra) { // the extra models' pictures
                    log.println("wrote " + checkpoint + ", " + state + ", " + logFile + ", " + extra.writeOutputs(outDir, dataset, seed));
                } else {
                    writeSamples(run, outDir, dataset);
                    log.println("wrote " + checkpoint + ", " + state + ", " + logFile + ", " + outDir.resolve("samples.png")
                            + (run instanceof VaeRun ? ", " + outDir.resolve("reconstructions.png") : ""));
                }
            } finally {
                if (csv != null) csv.close();
            }
        }
        return 0;
    }

    /** The model of {@code kind} and its trainer (train and bench). */
    static TrainingRun newRun(ModelKind kind, Backend backend, long seed, AdamConfig adam, float realLabel,
                              io.genten.models.DenseVaeTrainer.Reconstruction recon) {
        return switch (kind) {
            case VAE -> new VaeRun(backend, seed, adam);
            case GAN -> new GanRun(backend, seed, adam, realLabel);
            case MLPGAN, LSGAN, CGAN -> new PairGanRun(backend, kind, seed, adam, realLabel);
            case VAE2D -> new DenseVaeRun(backend, seed, adam, recon);
        };
    }

    /** What a resumed run must share with the saved one for its result to be the uninterrupted run's. */
    private Map<String, String> settings(AdamConfig adam, Dataset dataset) {
        var s = new LinkedHashMap<String, String>();
        s.put("batch", Integer.toString(batch));
        s.put("seed", Long.toString(seed));
        s.put("lr", Float.toString(adam.lr()));
        s.put("beta1", Float.toString(adam.beta1()));
        s.put("beta2", Float.toString(adam.beta2()));
        if (model.takesRealLabel()) s.put("real_label", Float.toString(realLabel));
        if (model == ModelKind.VAE2D) s.put("recon", recon.name());
        s.put("data", data == null ? "embedded" : data.toAbsolutePath().normalize().toString());
        s.put("data_images", Integer.toString(dataset.count()));
        s.put("data_crc32c", dataFingerprint(dataset));
        return s;
    }

    /** CRC32C of the scaled images and labels: a changed --data or --limit shows even under the same path. */
    static String dataFingerprint(Dataset d) {
        var crc = new CRC32C();
        var buf = java.nio.ByteBuffer.allocate(1 << 16);
        float[] images = d.images();
        for (int i = 0; i < images.length; ) {
            buf.clear();
            while (buf.remaining() >= 4 && i < images.length) buf.putInt(Float.floatToRawIntBits(images[i++]));
            crc.update(buf.flip());
        }
        for (int label : d.labels()) crc.update(label);
        return String.format("%08x", crc.getValue());
    }

    private static Map<String, String> exportMetadata(int epochsDone, long step, String runId, long seed) {
        var meta = new LinkedHashMap<String, String>();
        meta.put("epoch", Integer.toString(epochsDone));
        meta.put("step", Long.toString(step));
        meta.put("seed", Long.toString(seed));
        meta.put("run_id", runId);
        return meta;
    }

    /** Loads the training state of an earlier run after checking it was made with the same settings. */
    private TrainingState.Saved resumeFrom(TrainingRun run, Path checkpoint, Path state, Map<String, String> settings, java.io.PrintStream log) throws java.io.IOException {
        if (!Files.isRegularFile(state)) {
            var old = checkpoint.resolveSibling(run.model().kind() + ".optimizer.safetensors");
            if (Files.isRegularFile(old)) {
                throw new UsageException("--resume: " + checkpoint.getParent() + " holds a run saved by an older Genten (" + old.getFileName()
                        + "), whose weights and optimizer state were not committed together; start a new run");
            }
            throw new UsageException("--resume: no earlier run to continue: " + state + " does not exist");
        }
        var saved = TrainingState.peek(state);
        var changes = new java.util.ArrayList<String>();
        for (var e : settings.entrySet()) {
            String before = saved.settings().get(e.getKey());
            if (!e.getValue().equals(before)) changes.add(e.getKey() + " " + (before == null ? "(not saved)" : io.genten.io.Printable.of(before)) + " -> " + e.getValue());
        }
        // the same images under another path (a moved folder) are the same data: say so, do not refuse
        if (changes.size() == 1 && changes.getFirst().startsWith("data ")) {
            log.println("note: --resume: the data moved (" + changes.getFirst() + ") but its images are the same (CRC32C " + settings.get("data_crc32c") + ")");
            changes.clear();
        }
        if (!changes.isEmpty()) {
            String what = "--resume: this run's settings differ from the saved run's: " + String.join(", ", changes);
            if (!forceResume) throw new UsageException(what + "; the result would not be the uninterrupted run's. Pass --force-resume to continue anyway");
            log.println("warning: " + what + "; continuing (--force-resume)");
        }
        var restored = run.restore(state);
        log.printf("resumed: %d epochs (%d steps) done, from %s%n", restored.epochsDone(), restored.steps(), state);
        return restored;
    }

    /** After a kill between the commit and the export, the export lags the state: write it again from the state just loaded. */
    private static void exportIfStale(Path checkpoint, TrainingRun run, TrainingState.Saved saved, long seed) throws java.io.IOException {
        String step = null;
        try {
            if (Files.isRegularFile(checkpoint)) step = io.genten.io.SafeTensors.readHeader(checkpoint).metadata().get("step");
        } catch (io.genten.io.CheckpointException e) {
            step = null; // unreadable: rewrite it
        }
        if (!Long.toString(saved.steps()).equals(step)) {
            Checkpoint.save(checkpoint, run.model(), exportMetadata(saved.epochsDone(), saved.steps(), saved.runId(), seed));
        }
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
        if (limit < 1) throw new UsageException("--limit " + limit + " must be positive");
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
    sealed interface TrainingRun extends AutoCloseable permits VaeRun, GanRun, PairGanRun, DenseVaeRun {
        GenerativeModel model();

        String[] lossNames();

        float[] step(Tensor hostImages);

        /** A step on a labelled batch; only the conditional GAN uses the labels. */
        default float[] step(Tensor hostImages, int[] labels) { return step(hostImages); }

        /** A whole step on images already on the device, losses left on the device (no host sync). */
        void stepOnDevice(Tensor deviceImages);

        /** Captures a step on {@code staticInput} as a CUDA graph (after one eager warm-up step). */
        GraphedStep<?> captureGraph(Tensor staticInput);

        /** Training steps taken (including those of a resumed run). */
        long steps();

        /** Commits the whole training state (weights, moments, counters) as one file. */
        void commit(Path file, int epochsDone, String runId, Map<String, String> settings) throws java.io.IOException;

        /** Restores weights, moments and counters from a state file. */
        TrainingState.Saved restore(Path file) throws java.io.IOException;

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

        @Override public void commit(Path file, int epochsDone, String runId, Map<String, String> settings) throws java.io.IOException {
            TrainingState.commit(file, trainer, epochsDone, runId, settings);
        }

        @Override public TrainingState.Saved restore(Path file) throws java.io.IOException { return TrainingState.restore(file, trainer); }

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

        @Override public void commit(Path file, int epochsDone, String runId, Map<String, String> settings) throws java.io.IOException {
            TrainingState.commit(file, trainer, epochsDone, runId, settings);
        }

        @Override public TrainingState.Saved restore(Path file) throws java.io.IOException { return TrainingState.restore(file, trainer); }

        @Override public void close() { trainer.close(); }
    }
}
