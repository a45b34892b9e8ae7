package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.Reduction;
import io.genten.backend.cpu.CpuBackend;
import io.genten.data.Batches;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.nn.Adam;
import io.genten.nn.Module;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The device-side trainer steps (losses in device scalars, Adam over persistent gradient buffers,
 * explicit Philox offsets) against the implementation they replaced: bitwise, on the CPU.
 */
class TrainerStepTest {
    private final Backend cpu = CpuBackend.get();

    private static List<Tensor> batches(Scaling scaling, int count) throws IOException {
        var it = Batches.forTraining(Datasets.embedded(scaling), 8, 4).epoch(0);
        var out = new ArrayList<Tensor>();
        for (int i = 0; i < count; i++) {
            try (var b = it.next()) {
                out.add(Tensor.of(b.images().toArray(), b.images().shape().dims()));
            }
        }
        return out;
    }

    /** The replaced VaeTrainer.step, verbatim: nn.Adam, losses read with item(). */
    private VaeTrainer.Losses referenceVaeStep(ConvVae vae, Adam adam, Tensor images) {
        try (var scope = TensorScope.open()) {
            int n = images.dim(0);
            vae.train();
            vae.zeroGrad();
            var out = vae.forwardVae(images);
            var rec = cpu.bceWithLogits(out.logits(), images, Reduction.SUM);
            var kl = cpu.klDivergence(out.mu(), out.logvar());
            float scale = 1f / n;
            vae.backwardVae(cpu.bceWithLogitsBackward(out.logits(), images, Reduction.SUM, scale), scale);
            float r = rec.item() / n, k = kl.item() / n;
            adam.step();
            return new VaeTrainer.Losses(r, k, r + k);
        } finally {
            vae.zeroGrad();
        }
    }

    /**
     * The replaced GanTrainer.step with the new noise schedule: z at offset 3k, and the dropout
     * layers' own offset counters (which advance once per training forward: 3k, 3k+1, 3k+2).
     */
    private GanTrainer.Losses referenceGanStep(Dcgan gan, Adam adamG, Adam adamD, long noiseSeed, long step, Tensor real) {
        int n = real.dim(0);
        Module g = gan.generator(), d = gan.discriminator();
        g.train();
        d.train();
        try (var scope = TensorScope.open()) {
            var z = cpu.randn(Shape.of(n, Dcgan.LATENT), noiseSeed, 3 * step);
            var fake = g.forward(z);
            d.zeroGrad();
            d.requiresGrad(true);
            var realTarget = cpu.full(Shape.of(n, 1), GanTrainer.DEFAULT_REAL_LABEL);
            var zeros = cpu.zeros(Shape.of(n, 1));
            var realLogits = d.forward(real);
            var lossReal = cpu.bceWithLogits(realLogits, realTarget, Reduction.MEAN);
            d.backward(cpu.bceWithLogitsBackward(realLogits, realTarget, Reduction.MEAN, 1f));
            var fakeLogits = d.forward(fake);
            var lossFake = cpu.bceWithLogits(fakeLogits, zeros, Reduction.MEAN);
            d.backward(cpu.bceWithLogitsBackward(fakeLogits, zeros, Reduction.MEAN, 1f));
            adamD.step();
            float dLoss = lossReal.item() + lossFake.item();
            g.zeroGrad();
            d.requiresGrad(false);
            var ones = cpu.full(Shape.of(n, 1), 1f);
            var logits = d.forward(fake);
            var gLoss = cpu.bceWithLogits(logits, ones, Reduction.MEAN);
            var dFake = d.backward(cpu.bceWithLogitsBackward(logits, ones, Reduction.MEAN, 1f));
            d.requiresGrad(true);
            g.backward(dFake);
            adamG.step();
            return new GanTrainer.Losses(dLoss, gLoss.item());
        } finally {
            d.requiresGrad(true);
            g.zeroGrad();
            d.zeroGrad();
        }
    }

    @Test void vaeStepEqualsTheReplacedImplementationBitwise() throws IOException {
        var data = batches(Scaling.UNIT, 4);
        var mine = new ConvVae(cpu, 31);
        var ref = new ConvVae(cpu, 31);
        try (var trainer = new VaeTrainer(mine); var adam = new Adam(cpu, ref.parameters(), io.genten.backend.AdamConfig.of(VaeTrainer.DEFAULT_LR, 0.9f, 0.999f))) {
            for (int s = 0; s < 4; s++) {
                var want = referenceVaeStep(ref, adam, data.get(s));
                assertEquals(want, trainer.step(data.get(s)), "step " + s);
            }
            assertEquals(4, trainer.stepCount());
        }
        assertStatesEqual(ref.stateDict(), mine.stateDict());
    }

    @Test void ganStepEqualsTheReplacedImplementationBitwise() throws IOException {
        var data = batches(Scaling.SYMMETRIC, 3);
        var mine = new Dcgan(cpu, 32);
        var ref = new Dcgan(cpu, 32);
        try (var trainer = new GanTrainer(mine, 33);
             var adamG = new Adam(cpu, ref.generator().parameters(), GanTrainer.DEFAULT_ADAM);
             var adamD = new Adam(cpu, ref.discriminator().parameters(), GanTrainer.DEFAULT_ADAM)) {
            for (int s = 0; s < 3; s++) {
                var want = referenceGanStep(ref, adamG, adamD, 33, s, data.get(s));
                assertEquals(want, trainer.step(data.get(s)), "step " + s);
            }
        }
        assertStatesEqual(ref.stateDict(), mine.stateDict());
    }

    @Test void stepOnDeviceThenLossesEqualsStep() throws IOException {
        var digits = batches(Scaling.UNIT, 2);
        var a = new ConvVae(cpu, 41);
        var b = new ConvVae(cpu, 41);
        try (var ta = new VaeTrainer(a); var tb = new VaeTrainer(b)) {
            assertThrows(IllegalStateException.class, tb::losses, "no losses before the first step");
            for (var x : digits) {
                var want = ta.step(x);
                tb.stepOnDevice(x);
                assertEquals(want, tb.losses());
                assertEquals(want, tb.losses(), "reading twice reads the same scalars");
            }
        }
        assertStatesEqual(a.stateDict(), b.stateDict());

        var real = batches(Scaling.SYMMETRIC, 2);
        var g1 = new Dcgan(cpu, 42);
        var g2 = new Dcgan(cpu, 42);
        try (var t1 = new GanTrainer(g1, 5); var t2 = new GanTrainer(g2, 5)) {
            assertThrows(IllegalStateException.class, t2::losses);
            for (var x : real) {
                var want = t1.step(x);
                t2.stepOnDevice(x);
                assertEquals(want, t2.losses());
            }
            assertEquals(2, t2.stepCount());
        }
        assertStatesEqual(g1.stateDict(), g2.stateDict());
    }

    /** The gradients a step applied are the ones computeGradients leaves on the parameters. */
    @Test void vaeGradientsAreThoseTheStepApplied() throws IOException {
        var x = batches(Scaling.UNIT, 1).get(0);
        var a = new ConvVae(cpu, 51);
        var b = new ConvVae(cpu, 51);
        try (var ta = new VaeTrainer(a); var tb = new VaeTrainer(b); var scope = TensorScope.open()) {
            var eps = cpu.randn(Shape.of(8, ConvVae.LATENT), 99, 0);
            var want = tb.computeGradients(x, eps);
            // the trainer's step draws its noise from the model's stream: give b the same eps through it
            assertEquals(0, a.noiseOffset());
            var drawn = a.forwardVae(x).eps();
            a.setNoiseOffset(0);
            var l = tb.computeGradients(x, drawn);
            ta.step(x);
            assertEquals(l, ta.losses(), "the step's losses are those of its forward");
            var grads = ta.gradients();
            assertEquals(b.namedParameters().keySet(), grads.keySet());
            b.namedParameters().forEach((name, p) -> assertArrayEquals(p.grad().toArray(), grads.get(name).toArray(), name));
            assertNotEquals(want, l, "a different eps gives different losses");
        }
    }

    @Test void ganGradientsNameBothNetworks() throws IOException {
        var gan = new Dcgan(cpu, 61);
        try (var t = new GanTrainer(gan, 1)) {
            t.step(batches(Scaling.SYMMETRIC, 1).get(0));
            var grads = t.gradients();
            assertEquals(gan.generator().parameters().size() + gan.discriminator().parameters().size(), grads.size());
            assertTrue(grads.containsKey("generator.fc.weight") && grads.containsKey("discriminator.fc.bias"), grads.keySet().toString());
            for (var e : grads.entrySet()) {
                double s = 0;
                for (float v : e.getValue().toArray()) s += Math.abs(v);
                assertTrue(s > 0 && Double.isFinite(s), e.getKey() + " gradient sum " + s);
            }
        }
    }

    /** A resumed GAN run (setStepCount) draws the noise and dropout masks the uninterrupted run drew. */
    @Test void ganResumeUsesTheSameNoiseAndMasks() throws IOException {
        var data = batches(Scaling.SYMMETRIC, 2);
        var a = new Dcgan(cpu, 71);
        var b = new Dcgan(cpu, 71);
        GanTrainer.Losses second;
        try (var ta = new GanTrainer(a, 7)) {
            ta.step(data.get(0));
            b.loadStateDict(a.stateDict());
            second = ta.step(data.get(1));
        }
        // b starts from a's state after one step with a fresh optimizer: compare only the losses, which are computed before Adam
        try (var tb = new GanTrainer(b, 7)) {
            tb.setStepCount(1);
            // forward passes outside the trainer must not shift the masks
            try (var scope = TensorScope.open()) {
                b.discriminator().train();
                b.discriminator().forward(data.get(0));
            }
            var l = tb.step(data.get(1));
            assertEquals(second.discriminator(), l.discriminator(), "D loss of the resumed step");
        }
    }

    @Test void graphedStepNeedsTheCudaBackend() throws IOException {
        var x = batches(Scaling.UNIT, 1).get(0);
        try (var t = new VaeTrainer(new ConvVae(cpu, 1)); var g = new GanTrainer(new Dcgan(cpu, 1), 1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> GraphedStep.capture(t, x));
            assertTrue(e.getMessage().contains("CUDA") && e.getMessage().contains("cpu"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> GraphedStep.capture(g, x));
            assertEquals(0, t.stepCount(), "nothing ran");
        }
    }

    private static void assertStatesEqual(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(v.toArray(), got.get(k).toArray(), k));
    }
}
