package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The trainers stop at the first non-finite loss, naming the step and each loss. */
class DivergenceTest {
    private final CpuBackend cpu = CpuBackend.get();

    @Test void vaeStepWithANaNWeightThrowsNamingTheStepAndTheLosses() {
        var vae = new ConvVae(cpu, 8);
        try (var trainer = new VaeTrainer(vae); var images = Tensor.rand(2, 0, 4, 1, 28, 28)) {
            trainer.step(images);
            var w = vae.stateDict().get("dec3.bias");
            var v = w.toArray();
            Arrays.fill(v, Float.NaN);
            w.copyFrom(v);
            var e = assertThrows(DivergedException.class, () -> trainer.step(images));
            assertEquals(2, e.step());
            assertTrue(e.getMessage().startsWith("training diverged at step 2: loss reconstruction NaN, kl "), e.getMessage());
        }
    }

    @Test void ganStepWithAHugeLearningRateThrowsWithinAFewSteps() {
        var gan = new Dcgan(cpu, 8);
        try (var trainer = new GanTrainer(gan, 9, 0.9f, AdamConfig.of(1e30f, 0.5f, 0.999f)); var images = Tensor.rand(3, 0, 4, 1, 28, 28)) {
            var e = assertThrows(DivergedException.class, () -> {
                for (int i = 0; i < 10; i++) trainer.step(images);
            });
            assertTrue(e.step() >= 1 && e.step() <= 10, "step " + e.step());
            assertTrue(e.getMessage().contains("d_loss") && e.getMessage().contains("g_loss"), e.getMessage());
        }
    }

    @Test void hyperparametersMustBeFiniteAndInRange() {
        for (float[] bad : new float[][] {{Float.POSITIVE_INFINITY, 0.9f, 0.999f}, {Float.NaN, 0.9f, 0.999f}, {0f, 0.9f, 0.999f},
                {1e-3f, Float.NaN, 0.999f}, {1e-3f, 1f, 0.999f}, {1e-3f, -0.1f, 0.999f}, {1e-3f, 0.9f, Float.NaN}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> AdamConfig.of(bad[0], bad[1], bad[2]), Arrays.toString(bad));
            assertTrue(e.getMessage().startsWith("Adam: invalid hyperparameters"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new AdamConfig(1e-3f, 0.9f, 0.999f, Float.NaN, 0f, false));
        assertThrows(IllegalArgumentException.class, () -> new AdamConfig(1e-3f, 0.9f, 0.999f, 1e-8f, Float.POSITIVE_INFINITY, false));
    }
}
