package io.genten.cli;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.data.Dataset;
import io.genten.io.PngGrid;
import io.genten.models.ConditionalDcgan;
import io.genten.models.GanPairTrainer;
import io.genten.models.GenerativeModel;
import io.genten.models.GraphedStep;
import io.genten.models.Labels;
import io.genten.models.MlpGan;
import io.genten.models.PairGan;
import io.genten.models.TrainingState;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;

/** {@code genten train mlpgan | lsgan | cgan}: a {@link PairGan} and its {@link GanPairTrainer}. */
final class PairGanRun implements TrainCommand.TrainingRun, ExtraOutputs {
    private final PairGan gan;
    private final GanPairTrainer trainer;

    PairGanRun(Backend backend, TrainCommand.ModelKind kind, long seed, AdamConfig adam, float realLabel) {
        gan = switch (kind) {
            case MLPGAN -> new MlpGan(backend, MlpGan.simple(), seed);
            case LSGAN -> new MlpGan(backend, MlpGan.deep(), seed);
            case CGAN -> new ConditionalDcgan(backend, seed);
            default -> throw new IllegalArgumentException("PairGanRun: " + kind + " is not an MLP or conditional GAN");
        };
        trainer = new GanPairTrainer(gan, seed + 1, realLabel, adam);
    }

    @Override public GenerativeModel model() { return gan; }

    @Override public String[] lossNames() { return new String[] {"d_loss", "g_loss"}; }

    @Override public float[] step(Tensor hostImages) {
        if (gan.conditional()) throw new IllegalArgumentException(gan.kind() + ": a conditional GAN needs the batch's labels");
        return step(hostImages, null);
    }

    @Override public float[] step(Tensor hostImages, int[] labels) {
        var b = gan.backend();
        var images = hostImages.device().equals(b.device()) ? hostImages : b.copyOf(hostImages);
        var l = trainer.step(images, labels);
        return new float[] {l.discriminator(), l.generator()};
    }

    /** Synthetic labels 0..9 cycling, for {@code genten bench}. */
    @Override public void stepOnDevice(Tensor deviceImages) {
        var labels = new int[deviceImages.dim(0)];
        for (int i = 0; i < labels.length; i++) labels[i] = i % Labels.DIGITS;
        trainer.step(deviceImages, labels);
    }

    @Override public GraphedStep<?> captureGraph(Tensor staticInput) {
        throw new UnsupportedOperationException(gan.kind() + ": CUDA graph capture is implemented for vae and gan only");
    }

    @Override public long steps() { return trainer.stepCount(); }

    @Override public void commit(Path file, int epochsDone, String runId, java.util.Map<String, String> settings) throws IOException {
        TrainingState.commit(file, trainer, epochsDone, runId, settings);
    }

    @Override public TrainingState.Saved restore(Path file) throws IOException { return TrainingState.restore(file, trainer); }

    /** samples.png: 64 draws, or for the conditional GAN 10x10 with row d all digit d. */
    @Override public String writeOutputs(Path outDir, Dataset dataset, long seed) throws IOException {
        var file = outDir.resolve("samples.png");
        try (var scope = TensorScope.open()) {
            if (gan instanceof ConditionalDcgan c) {
                PngGrid.write(file, c.sample(rowsPerDigit(10), seed + 1), 10, -1f, 1f);
            } else {
                PngGrid.write(file, gan.sample(64, seed + 1), 8, gan.low(), 1f);
            }
        }
        return file + (gan.conditional() ? " (row d: digit d)" : "");
    }

    /** Labels for a 10-column grid with {@code perDigit} images of each digit, row d all digit d. */
    static int[] rowsPerDigit(int perDigit) {
        var labels = new int[Labels.DIGITS * perDigit];
        for (int i = 0; i < labels.length; i++) labels[i] = i / perDigit;
        return labels;
    }

    @Override public void close() { trainer.close(); }
}
