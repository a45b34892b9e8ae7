package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The extra models' trainers refuse a second thread as the DCGAN's and the VAE's do, and spoil nothing. */
class ExtraThreadMisuseTest {
    private final CpuBackend cpu = CpuBackend.get();
    private static final AdamConfig ADAM = AdamConfig.of(2e-4f, 0.5f, 0.999f);
    private static final int[] LABELS = {2, 7};

    /** Another thread holds the guard, as a step in progress does, while {@code refused} run here; then it leaves. */
    private static void whileAnotherThreadTrains(InUse guard, Map<String, Tensor> state, Executable... refused) throws Exception {
        var before = new LinkedHashMap<String, float[]>();
        state.forEach((k, v) -> before.put(k, v.toArray()));
        var inside = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var holder = Thread.ofPlatform().name("trainer-thread").start(() -> {
            try (var use = guard.enter()) {
                inside.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        inside.await();
        try {
            for (var r : refused) {
                var e = assertThrows(IllegalStateException.class, r);
                assertTrue(e.getMessage().contains("thread \"trainer-thread\""), e.getMessage());
            }
            state.forEach((k, v) -> assertArrayEquals(before.get(k), v.toArray(), k));
        } finally {
            release.countDown();
            holder.join();
        }
    }

    private void pairGan(PairGan gan) throws Exception {
        try (gan; var trainer = new GanPairTrainer(gan, 3, 1f, ADAM); var other = new GanPairTrainer(gan, 4, 1f, ADAM);
             var images = Tensor.rand(1, 0, 2, 1, 28, 28)) {
            whileAnotherThreadTrains(GanPairTrainer.trainingUse(gan), gan.stateDict(),
                    () -> trainer.step(images, LABELS), () -> other.step(images, LABELS), () -> gan.sample(2, 1));
            assertEquals(0, trainer.stepCount());
            assertDoesNotThrow(() -> trainer.step(images, LABELS), "free once the other thread left");
            assertEquals(1, trainer.stepCount());
        }
    }

    @Test void mlpGanTrainingIsRefusedWhileAnotherThreadTrainsIt() throws Exception {
        pairGan(new MlpGan(cpu, new MlpGan.Spec("mlpgan", 8, new int[] {16}, new int[] {16}, false, false, GanLoss.BCE, 0f, false), 1));
    }

    @Test void lsGanTrainingIsRefusedWhileAnotherThreadTrainsIt() throws Exception {
        pairGan(new MlpGan(cpu, new MlpGan.Spec("lsgan", 8, new int[] {8, 16}, new int[] {16, 8}, true, true, GanLoss.LEAST_SQUARES, 0.2f, false), 2));
    }

    @Test void cGanTrainingIsRefusedWhileAnotherThreadTrainsIt() throws Exception {
        var gan = new ConditionalDcgan(cpu, new ConditionalDcgan.Spec(8, 4, 4, 4, 4, 4, 0.3f), 3);
        pairGan(gan);
    }

    @Test void denseVaeTrainingAndInferenceAreRefusedWhileAnotherThreadTrainsIt() throws Exception {
        try (var vae = new DenseVae(cpu, 8, 2, 4); var trainer = new DenseVaeTrainer(vae, DenseVaeTrainer.Reconstruction.BCE, ADAM);
             var other = new DenseVaeTrainer(vae, DenseVaeTrainer.Reconstruction.MSE, ADAM); var images = Tensor.rand(2, 0, 2, 1, 28, 28);
             var z = Tensor.rand(3, 0, 2, 2)) {
            whileAnotherThreadTrains(vae.trainingUse, vae.stateDict(), () -> trainer.step(images), () -> other.step(images),
                    () -> trainer.computeGradients(images, null), () -> vae.sample(2, 1), () -> vae.decode(z), () -> vae.encodeMean(images),
                    () -> vae.reconstruct(images));
            assertEquals(0, trainer.stepCount());
            assertEquals(0, vae.noiseOffset(), "no refused step drew noise");
            assertDoesNotThrow(() -> trainer.step(images));
            assertEquals(1, trainer.stepCount());
        }
    }

    /** Inference leaves the training mode alone (it no longer toggles eval and back) and caches nothing. */
    @Test void inferenceDoesNotTouchTheTrainingMode() {
        try (var vae = new DenseVae(cpu, 8, 2, 4); var images = Tensor.rand(2, 0, 2, 1, 28, 28)) {
            vae.train();
            try (var a = vae.reconstruct(images); var b = vae.sample(2, 3)) {
                assertTrue(vae.isTraining());
            }
            var gan = new MlpGan(cpu, MlpGan.deep(), 1);
            try (gan; var s = gan.sample(2, 3)) {
                assertTrue(gan.generator().isTraining(), "sample leaves G in the mode it found");
            }
        }
    }
}
