package io.genten.djlpeer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;

/**
 * DESIGN.md's DCGAN in DJL on libtorch, as benchmarks/reference/models.py writes it in PyTorch.
 * Generator: fc (no bias) -> bn0 -> LeakyReLU(0.3) -> 256x7x7 -> three transposed convs
 * ({@link TransposedConv2d}: 5x5 s1, 5x5 s2, 5x5 s2) with batch norm and LeakyReLU between ->
 * tanh. Discriminator: two 5x5 s2 convs with LeakyReLU(0.3) and dropout(0.3) -> fc: a logit.
 *
 * <p>One step as Genten's eager GAN step (benchmarks' TrainSteps.ganStep) and
 * reference/train_bench.py: fake = G(z) once; D step on real (label 0.9) and detached fake
 * (label 0), Adam(D); G step through D on the same fake (label 1), Adam(G); BCE with logits,
 * mean; Adam(1e-4, 0.9, 0.999) for both. During the G step the discriminator's parameters do not
 * track gradients, as Genten's step turns them off (PyTorch's script computes them and throws
 * them away): both sides do the same arithmetic.
 */
public final class DjlDcgan implements TrainStep {
    /** The generator's latent size. */
    public static final int LATENT = 100;
    private static final float LEAK = 0.3f, DROPOUT = 0.3f, REAL_LABEL = 0.9f;

    private final NDManager manager;
    private final Params g, d;
    private final NDArray images, z;
    private final boolean recordLoss;
    private double lastLoss = Double.NaN;
    private final NDArray fcw, bn0w, bn0b, bn0m, bn0v, c1w, bn1w, bn1b, bn1m, bn1v, c2w, bn2w, bn2b, bn2m, bn2v, c3w;
    private final NDArray dc1w, dc1b, dc2w, dc2b, dfcw, dfcb;

    /**
     * A GAN with fresh PyTorch-style weights, a fixed batch of uniform [-1, 1) images and a fixed z.
     *
     * @param parent the manager that owns everything this step allocates for good
     * @param batch images per step
     * @param recordLoss read the losses back after each step (tests only)
     */
    public DjlDcgan(NDManager parent, int batch, boolean recordLoss) {
        manager = parent.newSubManager();
        this.recordLoss = recordLoss;
        g = new Params(manager, 1e-4f);
        d = new Params(manager, 1e-4f);
        fcw = g.uniform("fc.weight", new Shape(7 * 7 * 256, LATENT), LATENT);
        bn0w = g.constant("bn0.weight", new Shape(7 * 7 * 256), 1);
        bn0b = g.constant("bn0.bias", new Shape(7 * 7 * 256), 0);
        bn0m = g.buffer("bn0.running_mean", new Shape(7 * 7 * 256), 0);
        bn0v = g.buffer("bn0.running_var", new Shape(7 * 7 * 256), 1);
        // ConvTranspose2d's fan_in is out * k * k (PyTorch reads weight dimension 1)
        c1w = g.uniform("conv1.weight", new Shape(256, 128, 5, 5), 128 * 25);
        bn1w = g.constant("bn1.weight", new Shape(128), 1);
        bn1b = g.constant("bn1.bias", new Shape(128), 0);
        bn1m = g.buffer("bn1.running_mean", new Shape(128), 0);
        bn1v = g.buffer("bn1.running_var", new Shape(128), 1);
        c2w = g.uniform("conv2.weight", new Shape(128, 64, 5, 5), 64 * 25);
        bn2w = g.constant("bn2.weight", new Shape(64), 1);
        bn2b = g.constant("bn2.bias", new Shape(64), 0);
        bn2m = g.buffer("bn2.running_mean", new Shape(64), 0);
        bn2v = g.buffer("bn2.running_var", new Shape(64), 1);
        c3w = g.uniform("conv3.weight", new Shape(64, 1, 5, 5), 25);
        dc1w = d.uniform("conv1.weight", new Shape(64, 1, 5, 5), 25);
        dc1b = d.uniform("conv1.bias", new Shape(64), 25);
        dc2w = d.uniform("conv2.weight", new Shape(128, 64, 5, 5), 64 * 25);
        dc2b = d.uniform("conv2.bias", new Shape(128), 64 * 25);
        dfcw = d.uniform("fc.weight", new Shape(1, 6272), 6272);
        dfcb = d.uniform("fc.bias", new Shape(1), 6272);
        images = manager.randomUniform(-1f, 1f, new Shape(batch, 1, 28, 28));
        z = manager.randomNormal(new Shape(batch, LATENT));
    }

    NDArray generate(NDArray z) {
        long n = z.getShape().get(0);
        var h = Linear.linear(z, fcw).singletonOrThrow();
        h = Ops.leakyRelu(Ops.batchNorm(h, bn0w, bn0b, bn0m, bn0v), LEAK).reshape(n, 256, 7, 7);
        h = Ops.leakyRelu(Ops.batchNorm(TransposedConv2d.forward(h, c1w, null, 1, 2, 0), bn1w, bn1b, bn1m, bn1v), LEAK);
        h = Ops.leakyRelu(Ops.batchNorm(TransposedConv2d.forward(h, c2w, null, 2, 2, 1), bn2w, bn2b, bn2m, bn2v), LEAK);
        return Activation.tanh(TransposedConv2d.forward(h, c3w, null, 2, 2, 1));
    }

    NDArray discriminate(NDArray x) {
        long n = x.getShape().get(0);
        var h = Dropout.dropout(Ops.leakyRelu(conv(x, dc1w, dc1b), LEAK), DROPOUT, true).singletonOrThrow();
        h = Dropout.dropout(Ops.leakyRelu(conv(h, dc2w, dc2b), LEAK), DROPOUT, true).singletonOrThrow();
        return Linear.linear(h.reshape(n, 6272), dfcw, dfcb).singletonOrThrow();
    }

    private static NDArray conv(NDArray x, NDArray w, NDArray b) {
        return Conv2d.conv2d(x, w, b, new Shape(2, 2), new Shape(2, 2)).singletonOrThrow();
    }

    @Override public void step() {
        NDArray fake;
        double dLoss = Double.NaN, gLoss = Double.NaN;
        d.zeroGrad();
        // Adam runs outside the scopes: DJL's Adam creates its moment arrays on the first update
        try (var scope = new NDScope(); var gc = Engine.getInstance().newGradientCollector()) {
            fake = generate(z);
            NDScope.unregister(fake);   // the G step reuses it, and its graph back into G
            var loss = Ops.bceWithLogitsMean(discriminate(images), REAL_LABEL)
                    .add(Ops.bceWithLogitsMean(discriminate(fake.stopGradient()), 0f));
            gc.backward(loss);
            if (recordLoss) dLoss = loss.toFloatArray()[0];
        }
        d.adamStep();
        g.zeroGrad();
        d.requiresGrad(false);
        try (var scope = new NDScope(); var gc = Engine.getInstance().newGradientCollector()) {
            var loss = Ops.bceWithLogitsMean(discriminate(fake), 1f);
            gc.backward(loss);
            if (recordLoss) gLoss = loss.toFloatArray()[0];
        } finally {
            d.requiresGrad(true);
            fake.close();
        }
        g.adamStep();
        lastLoss = dLoss + gLoss;
    }

    @Override public double lastLoss() { return lastLoss; }

    /**
     * Generator and discriminator parameters together.
     *
     * @return the count (running statistics excluded)
     */
    @Override public long parameterCount() { return g.count() + d.count(); }

    /** @return the generator's trainable parameters */
    long generatorCount() { return g.count(); }

    @Override public void close() { manager.close(); }
}
