package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.nn.Dropout;
import io.genten.nn.Module;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import io.genten.testing.Assertions2;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sampling runs in eval mode and gives the caller's mode back; derived seeds keep streams apart. */
class ModesAndSeedsTest {
    private final Backend cpu = CpuBackend.get();

    private static Map<String, float[]> snapshot(Module m) {
        var out = new LinkedHashMap<String, float[]>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toArray()));
        return out;
    }

    private static void assertUnchanged(Map<String, float[]> before, Module m) {
        var after = snapshot(m);
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k + " changed"));
    }

    /** The first image of a batch of n, against a batch of one: equal only if batchnorm uses running statistics. */
    private static void assertPerImage(String what, Tensor one, Tensor many) {
        float[] a = one.toArray(), b = many.toArray();
        float[] head = java.util.Arrays.copyOf(b, a.length);
        Assertions2.assertClose(what + ": the first image does not depend on the rest of the batch", a, head, 1e-5);
    }

    @Test void vaeSamplingAndReconstructionRunInEvalModeAndRestoreTheMode() {
        var vae = new ConvVae(cpu, 3);
        // running statistics away from (0, 1), so that eval and training batchnorm differ visibly
        try (var scope = TensorScope.open(); var trainer = new VaeTrainer(vae)) {
            for (int s = 0; s < 2; s++) trainer.computeGradients(cpu.rand(Shape.of(8, 1, 28, 28), 50 + s, 0), cpu.randn(Shape.of(8, 32), 60 + s, 0));
        }
        var before = snapshot(vae);
        try (var scope = TensorScope.open()) {
            assertTrue(vae.isTraining());
            assertPerImage("VAE sample", vae.sample(1, 9), vae.sample(4, 9));
            var x = cpu.rand(Shape.of(4, 1, 28, 28), 70, 0);
            var x0 = Tensor.wrap(java.util.Arrays.copyOf(x.toArray(), 28 * 28), Shape.of(1, 1, 28, 28));
            assertPerImage("VAE reconstruction", vae.reconstruct(x0), vae.reconstruct(x));
            assertTrue(vae.isTraining(), "training mode is given back");
            assertUnchanged(before, vae);
            vae.eval();
            vae.sample(2, 9);
            vae.reconstruct(x);
            assertFalse(vae.isTraining(), "eval mode is kept");
            vae.children().values().forEach(c -> assertFalse(c.isTraining(), "every layer stays in eval mode"));
            assertUnchanged(before, vae);
        }
    }

    @Test void dcganSamplingRunsInEvalModeAndRestoresTheMode() {
        var gan = new Dcgan(cpu, 3);
        var g = gan.generator();
        try (var scope = TensorScope.open()) {
            g.forward(cpu.randn(Shape.of(6, 100), 80, 0)); // a training forward moves the running statistics
        }
        var before = snapshot(g);
        try (var scope = TensorScope.open()) {
            assertPerImage("DCGAN sample", gan.sample(1, 9), gan.sample(3, 9));
            assertTrue(g.isTraining());
            assertUnchanged(before, g);
            g.eval();
            gan.sample(2, 9);
            assertFalse(g.isTraining(), "eval mode is kept");
        }
    }

    /** The discriminator's two dropout layers must not share a mask stream (both start at offset 0). */
    @Test void dropoutLayersDrawDifferentMasks() {
        var d = new Dcgan(cpu, 5).discriminator();
        var drop1 = (Dropout) d.children().get("drop1");
        var drop2 = (Dropout) d.children().get("drop2");
        assertEquals(drop1.nextOffset(), drop2.nextOffset());
        float[] m1;
        try (var scope = TensorScope.open()) {
            var ones = cpu.full(Shape.of(4, 256), 1f);
            m1 = drop1.forward(ones).toArray();
            float[] m2 = drop2.forward(ones).toArray();
            int differ = 0;
            for (int i = 0; i < m1.length; i++) if (m1[i] != m2[i]) differ++;
            // independent masks at p = 0.3 differ in 2 p (1 - p) = 42% of places
            assertTrue(differ > m1.length / 4, "masks differ in only " + differ + " of " + m1.length + " places");
        }
        // the seeds are fixed by the model's seed: a rebuilt model draws the same first mask
        var again = (Dropout) new Dcgan(cpu, 5).discriminator().children().get("drop1");
        try (var scope = TensorScope.open()) {
            assertArrayEquals(m1, again.forward(cpu.full(Shape.of(4, 256), 1f)).toArray());
        }
    }
}
