package io.genten.cli;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.data.Dataset;
import io.genten.io.PngGrid;
import io.genten.io.ScatterPlot;
import io.genten.models.DenseVae;
import io.genten.models.DenseVaeTrainer;
import io.genten.models.GenerativeModel;
import io.genten.models.GraphedStep;
import io.genten.models.TrainingState;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** {@code genten train vae2d}: the dense 2-D VAE, with the latent manifold and the scatter of the means. */
final class DenseVaeRun implements TrainCommand.TrainingRun, ExtraOutputs {
    /** The manifold: GRID x GRID decodings of z over [-RANGE, RANGE]^2. */
    static final int GRID = 20;
    static final float RANGE = 3f;
    /** Digits in the scatter: enough to show the clusters, few enough to see them. */
    static final int SCATTER = 5000;

    private final DenseVae vae;
    private final DenseVaeTrainer trainer;

    DenseVaeRun(Backend backend, long seed, AdamConfig adam, DenseVaeTrainer.Reconstruction recon) {
        vae = new DenseVae(backend, seed);
        trainer = new DenseVaeTrainer(vae, recon, adam);
    }

    @Override public GenerativeModel model() { return vae; }

    @Override public String[] lossNames() { return new String[] {"reconstruction", "kl", "loss"}; }

    @Override public float[] step(Tensor hostImages) {
        var b = vae.backend();
        var l = trainer.step(hostImages.device().equals(b.device()) ? hostImages : b.copyOf(hostImages));
        return new float[] {l.reconstruction(), l.kl(), l.total()};
    }

    @Override public void stepOnDevice(Tensor deviceImages) { trainer.step(deviceImages); }

    @Override public GraphedStep<?> captureGraph(Tensor staticInput) {
        throw new UnsupportedOperationException("vae2d: CUDA graph capture is implemented for vae and gan only");
    }

    @Override public long steps() { return trainer.stepCount(); }

    @Override public void commit(Path file, int epochsDone, String runId, java.util.Map<String, String> settings) throws IOException {
        TrainingState.commit(file, trainer, epochsDone, runId, settings);
    }

    @Override public TrainingState.Saved restore(Path file) throws IOException { return TrainingState.restore(file, trainer); }

    /** z of the manifold grid, row-major: columns z1 from -3 to 3, rows z2 from 3 (top) to -3. */
    static float[] manifoldGrid() {
        var z = new float[GRID * GRID * 2];
        for (int r = 0; r < GRID; r++) {
            for (int c = 0; c < GRID; c++) {
                int i = r * GRID + c;
                z[2 * i] = -RANGE + 2 * RANGE * c / (GRID - 1);
                z[2 * i + 1] = RANGE - 2 * RANGE * r / (GRID - 1);
            }
        }
        return z;
    }

    @Override public String writeOutputs(Path outDir, Dataset dataset, long seed) throws IOException {
        var b = vae.backend();
        int size = dataset.imageSize();
        try (var scope = TensorScope.open()) {
            PngGrid.write(outDir.resolve("samples.png"), vae.sample(64, seed + 1), 8, 0f, 1f);
            var manifold = vae.decode(b.copyOf(Tensor.wrap(manifoldGrid(), Shape.of(GRID * GRID, 2))));
            PngGrid.write(outDir.resolve("manifold.png"), manifold, GRID, 0f, 1f);

            int n = 32;
            var x = Tensor.wrap(Arrays.copyOf(dataset.images(), n * size), Shape.of(n, 1, 28, 28));
            var both = new float[2 * n * size];
            System.arraycopy(x.toArray(), 0, both, 0, n * size);
            System.arraycopy(vae.reconstruct(b.copyOf(x)).toArray(), 0, both, n * size, n * size);
            PngGrid.write(outDir.resolve("reconstructions.png"), both, 2 * n, 28, 28, 8, 0f, 1f);

            int m = Math.min(SCATTER, dataset.count());
            var images = Tensor.wrap(Arrays.copyOf(dataset.images(), m * size), Shape.of(m, 1, 28, 28));
            float[] mu = vae.encodeMean(b.copyOf(images)).toArray();
            var zx = new float[m];
            var zy = new float[m];
            for (int i = 0; i < m; i++) {
                zx[i] = mu[2 * i];
                zy[i] = mu[2 * i + 1];
            }
            ScatterPlot.write(outDir.resolve("latent.png"), zx, zy, Arrays.copyOf(dataset.labels(), m), 10, "latent means of the first " + m + " digits");
        }
        return outDir.resolve("samples.png") + ", reconstructions.png, manifold.png (20x20 z over [-3,3]^2), latent.png";
    }

    @Override public void close() { trainer.close(); }
}
