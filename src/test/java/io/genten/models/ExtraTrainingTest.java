package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Batches;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Short training runs of the extra models on real digits: each loss must fall. */
class ExtraTrainingTest {
    private final Backend cpu = CpuBackend.get();
    private static final AdamConfig ADAM = AdamConfig.of(2e-4f, 0.5f, 0.999f);

    private static double mean(List<Float> v) {
        return v.stream().mapToDouble(Float::doubleValue).average().orElseThrow();
    }

    /** D's loss over {@code steps} steps of batch 32: it starts near its chance value and must fall as D learns. */
    private List<Float> discriminatorLosses(PairGan gan, Scaling scaling, int steps) throws IOException {
        var batches = Batches.forTraining(Datasets.embedded(scaling), 32, 3);
        var out = new ArrayList<Float>();
        try (var trainer = new GanPairTrainer(gan, 5, 1f, ADAM)) {
            var it = batches.epoch(0);
            for (int s = 0; s < steps; s++) {
                try (var b = it.next()) {
                    var l = trainer.step(b.images(), b.labels());
                    assertTrue(Float.isFinite(l.discriminator()) && Float.isFinite(l.generator()), "step " + s + ": " + l);
                    out.add(l.discriminator());
                }
            }
            assertEquals(steps, trainer.stepCount());
        }
        return out;
    }

    @Test void mlpGanDiscriminatorLearns() throws IOException {
        var d = discriminatorLosses(new MlpGan(cpu, MlpGan.simple(), 1), Scaling.UNIT, 40);
        double first = d.getFirst(), last = mean(d.subList(35, 40));
        assertTrue(first > 1.2 && first < 1.6, "BCE of an untrained D on real + fake is about 2 ln 2: " + first);
        assertTrue(last < first - 0.3, "D loss should fall: first " + first + ", last " + last);
    }

    @Test void leastSquaresGanDiscriminatorLearns() throws IOException {
        var spec = new MlpGan.Spec("lsgan", 100, new int[] {32, 64}, new int[] {64, 32}, true, true, GanLoss.LEAST_SQUARES, 0.2f, true);
        var d = discriminatorLosses(new MlpGan(cpu, spec, 2), Scaling.SYMMETRIC, 30);
        double first = mean(d.subList(0, 3)), last = mean(d.subList(25, 30));
        assertTrue(last < 0.8 * first, "LSGAN D loss should fall: first " + first + ", last " + last);
    }

    @Test void conditionalGanDiscriminatorLearnsAndSamplesReproduce() throws IOException {
        var gan = new ConditionalDcgan(cpu, new ConditionalDcgan.Spec(100, 16, 8, 8, 8, 16, 0.3f), 3);
        var d = discriminatorLosses(gan, Scaling.SYMMETRIC, 40);
        double first = d.getFirst(), last = mean(d.subList(35, 40));
        assertTrue(last < first - 0.1, "cGAN D loss should fall: first " + first + ", last " + last);
        int[] labels = {0, 7, 7, 3};
        try (var a = gan.sample(labels, 9); var b = gan.sample(labels, 9)) {
            assertArrayEquals(a.toArray(), b.toArray(), "same seed, same samples");
            var v = a.toArray();
            assertTrue(java.util.Arrays.stream(toDouble(v)).allMatch(x -> x >= -1 && x <= 1), "tanh range");
        }
        assertThrows(IllegalArgumentException.class, () -> gan.sample(new int[] {10}, 1));
        assertThrows(IllegalArgumentException.class, () -> gan.generate(cpu.zeros(io.genten.tensor.Shape.of(2, 100)), new int[] {1}));
    }

    private static double[] toDouble(float[] v) {
        var d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    @Test void denseVaeLossFallsWithEitherReconstruction() throws IOException {
        for (var recon : DenseVaeTrainer.Reconstruction.values()) {
            var batches = Batches.forTraining(Datasets.embedded(Scaling.UNIT), 64, 4);
            var totals = new ArrayList<Float>();
            try (var trainer = new DenseVaeTrainer(new DenseVae(cpu, 4L), recon, AdamConfig.of(1e-3f, 0.9f, 0.999f))) {
                var it = batches.epoch(0);
                for (int s = 0; s < 150; s++) {
                    try (var b = it.next()) {
                        var l = trainer.step(b.images());
                        assertTrue(l.kl() >= 0 && Float.isFinite(l.total()), recon + " step " + s + ": " + l);
                        totals.add(l.total());
                    }
                }
            }
            double first = mean(totals.subList(0, 3)), last = mean(totals.subList(140, 150));
            assertTrue(last < 0.9 * first, recon + " loss should fall: first " + first + ", last " + last);
        }
    }

    @Test void classifierLearnsDigitsWithTheSoftmaxCrossEntropyOp() throws IOException {
        var data = Datasets.embedded(Scaling.UNIT);
        try (var c = new DigitClassifier(cpu, 5)) {
            c.fit(data, 0, 3000, 2, 5);
            int from = 9500, m = 500;
            var images = java.util.Arrays.copyOfRange(data.images(), from * 784, (from + m) * 784);
            var predicted = DigitClassifier.argmax(c.probabilities(images, m));
            int right = 0;
            for (int i = 0; i < m; i++) if (predicted[i] == data.labels()[from + i]) right++;
            assertTrue(right > 0.85 * m, "held-out accuracy after two epochs on 3000 digits: " + right + "/" + m);
        }
    }

    @Test void labelsAreCheckedAndEncoded() {
        try (var oneHot = Labels.oneHot(cpu, new int[] {2, 0}, 3); var planes = Labels.planes(cpu, new int[] {1}, 2, 1, 2)) {
            assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, oneHot.toArray());
            assertArrayEquals(new float[] {0, 0, 1, 1}, planes.toArray());
        }
        assertThrows(IllegalArgumentException.class, () -> Labels.oneHot(cpu, new int[] {3}, 3));
        assertThrows(IllegalArgumentException.class, () -> Labels.oneHot(cpu, new int[] {-1}, 3));
        assertThrows(IllegalArgumentException.class, () -> Labels.planes(cpu, new int[0], 3, 2, 2));
    }

}
