package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Batches;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.io.CheckpointException;
import io.genten.nn.BatchNorm1d;
import io.genten.nn.Init;
import io.genten.nn.Linear;
import io.genten.nn.ReLU;
import io.genten.nn.Sequential;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The models' inference API: deterministic, the eval-mode values, safe from many threads on one model. */
class InferenceTest {
    private final Backend cpu = CpuBackend.get();
    @TempDir Path dir;

    /** A VAE trained two steps, so weights and running statistics are off their init. */
    private ConvVae trainedVae(long seed) throws Exception {
        var vae = new ConvVae(cpu, seed);
        try (var trainer = new VaeTrainer(vae); var batch = Batches.forTraining(Datasets.embedded(Scaling.UNIT), 16, seed).epoch(0).next()) {
            trainer.step(batch.images());
            trainer.step(batch.images());
        }
        return vae;
    }

    private static final float[] DIGITS;
    static {
        try {
            DIGITS = Datasets.embedded(Scaling.UNIT).images();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Tensor digits(int n, int from) {
        return Tensor.wrap(java.util.Arrays.copyOfRange(DIGITS, from * 784, (from + n) * 784), Shape.of(n, 1, 28, 28));
    }

    @Test void vaeEncodeDecodeReconstructAreTheEvalPipeline() throws Exception {
        var vae = trainedVae(21);
        try (var scope = TensorScope.open()) {
            var x = digits(6, 0);
            var code = vae.encode(x);
            assertEquals(Shape.of(6, ConvVae.LATENT), code.mu().shape());
            assertEquals(Shape.of(6, ConvVae.LATENT), code.logvar().shape());
            var rec = vae.reconstruct(x);
            assertArrayEquals(vae.decode(code.mu()).toArray(), rec.toArray());
            assertArrayEquals(rec.toArray(), vae.reconstruct(x).toArray(), "no noise: the same every call");
            for (float v : rec.toArray()) assertTrue(v >= 0f && v <= 1f, "a probability: " + v);
            // the eval-mode forward with eps = 0 has z = mu: the same logits as infer
            vae.eval();
            var zeroNoise = vae.forwardVae(x, cpu.zeros(Shape.of(6, ConvVae.LATENT)));
            assertArrayEquals(zeroNoise.logits().toArray(), vae.infer(x).toArray());
            assertArrayEquals(zeroNoise.mu().toArray(), code.mu().toArray());
            assertArrayEquals(zeroNoise.logvar().toArray(), code.logvar().toArray());
        }
    }

    @Test void inferenceLeavesOnlyItsOutputs() throws Exception {
        var vae = trainedVae(22);
        try (var x = digits(3, 5)) {
            long live = Tensor.liveCount();
            try (var rec = vae.reconstruct(x)) {
                assertEquals(live + 1, Tensor.liveCount());
            }
            try (var code = vae.encode(x)) {
                assertEquals(live + 2, Tensor.liveCount());
            }
            try (var s = vae.sample(4, 1)) {
                assertEquals(live + 1, Tensor.liveCount());
            }
            assertEquals(live, Tensor.liveCount());
        }
    }

    @Test void badShapesNameTheOpAndShape() {
        var vae = new ConvVae(cpu, 1);
        var gan = new Dcgan(cpu, 1);
        try (var scope = TensorScope.open()) {
            var e = assertThrows(IllegalArgumentException.class, () -> vae.encode(Tensor.randn(1, 0, 2, 1, 27, 28)));
            assertTrue(e.getMessage().contains("ConvVae.encode") && e.getMessage().contains("[2, 1, 27, 28]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> vae.decode(Tensor.randn(1, 0, 2, 31)));
            assertTrue(e.getMessage().contains("ConvVae.decode"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> gan.generate(Tensor.randn(1, 0, 2, 99)));
            assertTrue(e.getMessage().contains("Dcgan.generate"), e.getMessage());
        }
    }

    @Test void ganGenerateIsTheEvalGenerator() throws Exception {
        var gan = new Dcgan(cpu, 23);
        try (var trainer = new GanTrainer(gan, 1); var batch = Batches.forTraining(Datasets.embedded(Scaling.SYMMETRIC), 8, 1).epoch(0).next()) {
            trainer.step(batch.images());
        }
        try (var scope = TensorScope.open()) {
            var z = Tensor.randn(4, 0, 5, Dcgan.LATENT);
            var generated = gan.generate(z).toArray();
            assertTrue(gan.generator().isTraining(), "generate does not switch modes");
            assertArrayEquals(gan.generator().eval().forward(z).toArray(), generated);
            assertArrayEquals(generated, gan.sample(5, 4).toArray());
            var logits = gan.discriminate(gan.generate(z));
            assertEquals(Shape.of(5, 1), logits.shape());
        }
    }

    @Test void fourThreadsOnOneModelGiveTheOneThreadResultsBitForBit() throws Exception {
        var vae = trainedVae(24);
        var gan = new Dcgan(cpu, 24);
        int batches = 12;
        List<float[]> expected = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            try (var x = digits(8, 8 * b); var rec = vae.reconstruct(x); var img = gan.sample(3, b)) {
                expected.add(concat(rec.toArray(), img.toArray()));
            }
        }
        try (var pool = Executors.newFixedThreadPool(4)) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int b = 0; b < batches; b++) {
                    int batch = b;
                    results.add(pool.submit((Callable<float[]>) () -> {
                        try (var x = digits(8, 8 * batch); var rec = vae.reconstruct(x); var img = gan.sample(3, batch)) {
                            return concat(rec.toArray(), img.toArray());
                        }
                    }));
                }
            }
            for (int i = 0; i < results.size(); i++) assertArrayEquals(expected.get(i % batches), results.get(i).get(), "batch " + i % batches);
        }
    }

    @Test void inferenceWhileAnotherThreadTrainsTheModelFailsFast() throws Exception {
        var vae = trainedVae(26);
        var gan = new Dcgan(cpu, 26);
        var entered = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var trainer = Thread.ofPlatform().name("trainer").start(() -> { // stands for a trainer's step: it holds the models' guard
            try (var a = vae.trainingUse.enter(); var b = gan.trainingUse.enter()) {
                entered.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        entered.await();
        try (var scope = TensorScope.open()) {
            var x = digits(2, 0);
            var e = assertThrows(IllegalStateException.class, () -> vae.reconstruct(x));
            assertTrue(e.getMessage().contains("ConvVae.encode") && e.getMessage().contains("\"trainer\" trains"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> gan.sample(2, 1));
            assertTrue(e.getMessage().contains("Dcgan.generate"), e.getMessage());
        } finally {
            release.countDown();
            trainer.join();
        }
        try (var rec = vae.reconstruct(digits(2, 0)); var img = gan.sample(2, 1)) { // after the step: fine again
            assertEquals(Shape.of(2, 1, 28, 28), rec.shape());
        }
    }

    @Test void everyThreadSettingGivesTheSameBits() throws Exception {
        float[] shared;
        var vae = trainedVae(25);
        try (var x = digits(16, 0); var rec = vae.reconstruct(x)) {
            shared = rec.toArray();
        }
        var file = dir.resolve("vae.safetensors");
        Checkpoint.save(file, vae, Map.of());
        var pool = new java.util.concurrent.ForkJoinPool(3);
        try (var one = CpuBackend.withThreads(1); var three = CpuBackend.withThreads(3); var given = CpuBackend.withPool(pool)) {
            for (var backend : List.of(one, three, given)) {
                try (var model = (ConvVae) Checkpoint.load(file, backend).model(); var x = digits(16, 0); var rec = model.reconstruct(x)) {
                    assertArrayEquals(shared, rec.toArray(), backend.describe());
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test void anyModuleRoundTripsThroughACheckpoint() throws Exception {
        var init = new Init(31);
        var net = new Sequential(cpu).add("fc1", new Linear(cpu, 4, 6, true, init)).add("bn", new BatchNorm1d(cpu, 6))
                .add("act", new ReLU(cpu)).add("fc2", new Linear(cpu, 6, 2, true, init));
        try (var scope = TensorScope.open()) {
            net.forward(Tensor.randn(1, 0, 5, 4)); // running statistics off their init
        }
        var file = dir.resolve("classifier.safetensors");
        Checkpoint.save(file, net, Map.of("task", "demo"));
        var init2 = new Init(99);
        var copy = new Sequential(cpu).add("fc1", new Linear(cpu, 4, 6, true, init2)).add("bn", new BatchNorm1d(cpu, 6))
                .add("act", new ReLU(cpu)).add("fc2", new Linear(cpu, 6, 2, true, init2));
        var meta = Checkpoint.loadInto(file, copy);
        assertEquals("io.genten.nn.Sequential", meta.get(Checkpoint.MODEL_KEY));
        assertEquals("demo", meta.get("task"));
        try (var scope = TensorScope.open()) {
            var x = Tensor.randn(2, 0, 3, 4);
            assertArrayEquals(net.infer(x).toArray(), copy.infer(x).toArray());
        }
        var wrong = new Sequential(cpu).add("fc1", new Linear(cpu, 4, 5, true, init2));
        var e = assertThrows(CheckpointException.class, () -> Checkpoint.loadInto(file, wrong));
        assertTrue(e.getMessage().contains("fc1.weight"), e.getMessage());
        var vae = new ConvVae(cpu, 1);
        assertThrows(CheckpointException.class, () -> Checkpoint.loadInto(file, vae));
        vae.close();
        copy.close();
        net.close();
    }

    private static float[] concat(float[] a, float[] b) {
        var out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
