package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Batches;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Training on real digits: the VAE learns, a GAN step moves both networks, steps do not leak. */
class TrainingTest {
    private final Backend cpu = CpuBackend.get();

    @Test void vaeLossFallsOverAHundredStepsOnRealDigits() throws IOException {
        var batches = Batches.forTraining(Datasets.embedded(Scaling.UNIT), 32, 1);
        var vae = new ConvVae(cpu, 1);
        var totals = new ArrayList<Float>();
        try (var trainer = new VaeTrainer(vae)) {
            var it = batches.epoch(0);
            for (int s = 0; s < 100; s++) {
                try (var batch = it.next()) {
                    var l = trainer.step(batch.images());
                    assertTrue(Float.isFinite(l.total()), "step " + s + " loss " + l);
                    assertEquals(l.reconstruction() + l.kl(), l.total(), 1e-3f * Math.abs(l.total()));
                    assertTrue(l.kl() >= 0, "KL is non-negative: " + l);
                    totals.add(l.total());
                }
            }
        }
        double first = mean(totals.subList(0, 5)), last = mean(totals.subList(90, 100));
        System.out.printf("VAE loss per image: first 5 steps %.1f, last 10 steps %.1f%n", first, last);
        assertTrue(first > 400, "an untrained VAE reconstructs at about 784 * ln 2 nats: " + first);
        assertTrue(last < 0.6 * first, "loss should fall clearly: first " + first + ", last " + last);
    }

    @Test void oneGanStepMovesBothNetworksAndReproduces() throws IOException {
        var data = Datasets.embedded(Scaling.SYMMETRIC);
        var results = new ArrayList<Map<String, float[]>>();
        for (int run = 0; run < 2; run++) {
            var gan = new Dcgan(cpu, 5);
            var before = snapshot(gan.stateDict());
            try (var trainer = new GanTrainer(gan, 9); var batch = Batches.forTraining(data, 16, 3).epoch(0).next()) {
                var losses = trainer.step(batch.images());
                assertTrue(Float.isFinite(losses.discriminator()) && Float.isFinite(losses.generator()), losses.toString());
                assertTrue(losses.discriminator() > 0 && losses.generator() > 0, losses.toString());
                assertEquals(1, trainer.stepCount());
            }
            var after = snapshot(gan.stateDict());
            for (String name : List.of("generator.fc.weight", "generator.conv3.weight", "generator.bn1.weight",
                    "discriminator.conv1.weight", "discriminator.fc.weight", "discriminator.fc.bias")) {
                assertFalse(Arrays.equals(before.get(name), after.get(name)), name + " should change in one step");
            }
            assertFalse(Arrays.equals(before.get("generator.bn0.running_mean"), after.get("generator.bn0.running_mean")));
            results.add(after);
        }
        results.get(0).forEach((k, v) -> assertArrayEquals(v, results.get(1).get(k), "same seeds, same step: " + k));
    }

    @Test void stepsRejectWrongImageShapes() {
        try (var gt = new GanTrainer(new Dcgan(cpu, 1), 1); var vt = new VaeTrainer(new ConvVae(cpu, 1))) {
            assertThrows(IllegalArgumentException.class, () -> gt.step(Tensor.zeros(2, 1, 27, 28)));
            assertThrows(IllegalArgumentException.class, () -> vt.step(Tensor.zeros(2, 784)));
        }
        assertThrows(IllegalArgumentException.class, () -> new GanTrainer(new Dcgan(cpu, 1), 1, 0.2f, GanTrainer.DEFAULT_ADAM));
    }

    @Test void samplesHaveTheRightShapeAndRangeAndLeaveTrainingMode() {
        var gan = new Dcgan(cpu, 2);
        try (var img = gan.sample(3, 4)) {
            assertEquals(io.genten.tensor.Shape.of(3, 1, 28, 28), img.shape());
            for (float v : img.toArray()) assertTrue(v >= -1 && v <= 1);
        }
        assertTrue(gan.generator().isTraining());
        var vae = new ConvVae(cpu, 2);
        try (var img = vae.sample(2, 4); var again = vae.sample(2, 4)) {
            assertEquals(io.genten.tensor.Shape.of(2, 1, 28, 28), img.shape());
            for (float v : img.toArray()) assertTrue(v >= 0 && v <= 1);
            assertArrayEquals(img.toArray(), again.toArray(), "sampling is deterministic in the seed");
        }
        assertTrue(vae.isTraining());
    }

    /** After the first step (which makes the optimizer-free caches), live tensors stay constant. */
    @Test void trainingStepsDoNotLeakTensors() throws IOException {
        var digits = Datasets.embedded(Scaling.UNIT);
        var vae = new ConvVae(cpu, 3);
        try (var trainer = new VaeTrainer(vae)) {
            assertFlat("VAE", digits, trainer::step);
        }
        var gan = new Dcgan(cpu, 3);
        try (var trainer = new GanTrainer(gan, 3)) {
            assertFlat("GAN", Datasets.embedded(Scaling.SYMMETRIC), trainer::step);
        }
    }

    private static void assertFlat(String what, io.genten.data.Dataset data, java.util.function.Consumer<Tensor> step) {
        var it = Batches.forTraining(data, 4, 2).epoch(0);
        long afterFirst = -1;
        for (int s = 0; s < 20; s++) {
            try (var batch = it.next()) {
                step.accept(batch.images());
            }
            if (s == 0) afterFirst = Tensor.liveCount();
            else assertEquals(afterFirst, Tensor.liveCount(), what + ": live tensors after step " + s);
        }
    }

    static Map<String, float[]> snapshot(Map<String, Tensor> state) {
        var out = new LinkedHashMap<String, float[]>();
        state.forEach((k, v) -> out.put(k, v.toArray()));
        return out;
    }

    private static double mean(List<Float> xs) {
        return xs.stream().mapToDouble(Float::doubleValue).average().orElseThrow();
    }

}
