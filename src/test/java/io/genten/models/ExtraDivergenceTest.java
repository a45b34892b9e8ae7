package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extra models' trainers stop at the first non-finite loss, naming the step and each loss, and
 * the training state committed before stays byte for byte: {@link TrainingState#commit} refuses the
 * spoiled weights.
 */
class ExtraDivergenceTest {
    private final CpuBackend cpu = CpuBackend.get();
    private static final AdamConfig ADAM = AdamConfig.of(2e-4f, 0.5f, 0.999f);
    private static final AdamConfig HUGE = AdamConfig.of(1e30f, 0.5f, 0.999f);
    @TempDir Path dir;

    private static MlpGan mlpgan(CpuBackend cpu) { return new MlpGan(cpu, new MlpGan.Spec("mlpgan", 8, new int[] {16}, new int[] {16}, false, false, GanLoss.BCE, 0f, false), 1); }

    private static MlpGan lsgan(CpuBackend cpu) {
        return new MlpGan(cpu, new MlpGan.Spec("lsgan", 8, new int[] {8, 16}, new int[] {16, 8}, true, true, GanLoss.LEAST_SQUARES, 0.2f, false), 2);
    }

    private static MlpGan lsganJoint(CpuBackend cpu) {
        return new MlpGan(cpu, new MlpGan.Spec("lsgan", 8, new int[] {8, 16}, new int[] {16, 8}, true, true, GanLoss.LEAST_SQUARES, 0.2f, true), 3);
    }

    private static ConditionalDcgan cgan(CpuBackend cpu) { return new ConditionalDcgan(cpu, new ConditionalDcgan.Spec(8, 4, 4, 4, 4, 4, 0.3f), 4); }

    private static final int[] LABELS = {3, 1, 4, 1};

    /** One good step, committed; then a NaN weight: the step throws naming it, and the commit leaves the file alone. */
    private void nanStopsAndTheCommittedStateStays(PairGan gan) throws Exception {
        var file = dir.resolve(gan.kind() + ".state.safetensors");
        try (gan; var trainer = new GanPairTrainer(gan, 7, 1f, ADAM); var images = Tensor.rand(5, 0, 4, 1, 28, 28)) {
            trainer.step(images, LABELS);
            TrainingState.commit(file, trainer, 0, "run", Map.of());
            byte[] before = Files.readAllBytes(file);
            poison(gan.stateDict().get("discriminator.fc" + (gan instanceof MlpGan m ? m.spec().discriminatorHidden().length + 1 : "") + ".bias"));
            var e = assertThrows(DivergedException.class, () -> trainer.step(images, LABELS));
            assertEquals(2, e.step());
            assertTrue(e.getMessage().startsWith("training diverged at step 2: loss d_loss NaN, g_loss "), e.getMessage());
            var refused = assertThrows(DivergedException.class, () -> TrainingState.commit(file, trainer, 0, "run", Map.of()));
            assertTrue(refused.getMessage().contains("the last good training state in " + file + " stays"), refused.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file), "the committed state is untouched");
        }
    }

    private static void poison(Tensor w) {
        var v = w.toArray();
        Arrays.fill(v, Float.NaN);
        w.copyFrom(v);
    }

    @Test void mlpGanStopsOnANaNAndKeepsTheLastGoodState() throws Exception { nanStopsAndTheCommittedStateStays(mlpgan(cpu)); }

    @Test void lsGanStopsOnANaNAndKeepsTheLastGoodState() throws Exception { nanStopsAndTheCommittedStateStays(lsgan(cpu)); }

    @Test void lsGanWithAJointDiscriminatorStopsOnANaN() throws Exception { nanStopsAndTheCommittedStateStays(lsganJoint(cpu)); }

    @Test void cGanStopsOnANaNAndKeepsTheLastGoodState() throws Exception { nanStopsAndTheCommittedStateStays(cgan(cpu)); }

    /** Forced divergence: Adam at 1e30 blows the weights up within a few steps, and the trainer says which. */
    private void hugeLearningRateThrowsWithinAFewSteps(Function<CpuBackend, PairGan> make) {
        try (var gan = make.apply(cpu); var trainer = new GanPairTrainer(gan, 9, 1f, HUGE); var images = Tensor.rand(3, 0, 4, 1, 28, 28)) {
            var e = assertThrows(DivergedException.class, () -> {
                for (int i = 0; i < 10; i++) trainer.step(images, LABELS);
            }, gan.kind());
            assertTrue(e.step() >= 1 && e.step() <= 10, "step " + e.step());
            assertEquals(e.step(), trainer.stepCount(), "the diverged step counted, no step after it");
            assertTrue(e.getMessage().contains("d_loss") && e.getMessage().contains("g_loss"), e.getMessage());
        }
    }

    @Test void ganPairTrainersDivergeLoudlyAtAHugeLearningRate() {
        hugeLearningRateThrowsWithinAFewSteps(ExtraDivergenceTest::mlpgan);
        hugeLearningRateThrowsWithinAFewSteps(ExtraDivergenceTest::lsgan);
        hugeLearningRateThrowsWithinAFewSteps(ExtraDivergenceTest::cgan);
    }

    @Test void denseVaeStopsOnANaNAndKeepsTheLastGoodState() throws Exception {
        var file = dir.resolve("vae2d.state.safetensors");
        for (var recon : DenseVaeTrainer.Reconstruction.values()) {
            try (var vae = new DenseVae(cpu, 8, 2, 5); var trainer = new DenseVaeTrainer(vae, recon, AdamConfig.of(1e-3f, 0.9f, 0.999f));
                 var images = Tensor.rand(6, 0, 4, 1, 28, 28)) {
                trainer.step(images);
                TrainingState.commit(file, trainer, 0, "run", Map.of());
                byte[] before = Files.readAllBytes(file);
                poison(vae.stateDict().get("dec.bias"));
                var e = assertThrows(DivergedException.class, () -> trainer.step(images), recon.name());
                assertEquals(2, e.step());
                assertTrue(e.getMessage().startsWith("training diverged at step 2: loss reconstruction NaN, kl "), e.getMessage());
                assertThrows(DivergedException.class, () -> TrainingState.commit(file, trainer, 0, "run", Map.of()));
                assertArrayEquals(before, Files.readAllBytes(file), "the committed state is untouched");
            }
        }
    }

    @Test void denseVaeDivergesLoudlyAtAHugeLearningRate() {
        try (var vae = new DenseVae(cpu, 8, 2, 6); var trainer = new DenseVaeTrainer(vae, DenseVaeTrainer.Reconstruction.BCE, HUGE);
             var images = Tensor.rand(7, 0, 4, 1, 28, 28)) {
            var e = assertThrows(DivergedException.class, () -> {
                for (int i = 0; i < 10; i++) trainer.step(images);
            });
            assertTrue(e.step() >= 1 && e.step() <= 10, "step " + e.step());
            assertTrue(e.getMessage().contains("reconstruction") && e.getMessage().contains("kl"), e.getMessage());
        }
    }
}
