package io.genten.djlpeer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;

/**
 * DESIGN.md's conv VAE (latent 32) in DJL on libtorch, as benchmarks/reference/models.py writes
 * it in PyTorch: enc1/bn1/enc2/bn2 -> mu, logvar -> z = mu + exp(logvar / 2) * eps, eps ~ N(0, 1)
 * -> dec0 -> dec1/bn3 -> dec2/bn4 (transposed, {@link TransposedConv2d}) -> dec3: logits. Loss
 * (BCE-with-logits summed over pixels + KL) / N; DJL's Adam(1e-3). Training mode throughout
 * (batch norm with batch statistics).
 */
public final class DjlVae implements TrainStep {
    /** The latent size. */
    public static final int LATENT = 32;

    private final NDManager manager;
    private final Params p;
    private final NDArray images;
    private final boolean recordLoss;
    private double lastLoss = Double.NaN;
    private final NDArray enc1w, enc1b, bn1w, bn1b, bn1m, bn1v, enc2w, enc2b, bn2w, bn2b, bn2m, bn2v;
    private final NDArray muw, mub, lvw, lvb, dec0w, dec0b, dec1w, dec1b, bn3w, bn3b, bn3m, bn3v;
    private final NDArray dec2w, dec2b, bn4w, bn4b, bn4m, bn4v, dec3w, dec3b;

    /**
     * A VAE with fresh PyTorch-style weights and a fixed batch of uniform [0, 1) images.
     *
     * @param parent the manager that owns everything this step allocates for good
     * @param batch images per step
     * @param recordLoss read the loss back after each step (tests only)
     */
    public DjlVae(NDManager parent, int batch, boolean recordLoss) {
        manager = parent.newSubManager();
        this.recordLoss = recordLoss;
        p = new Params(manager, 1e-3f);
        enc1w = p.uniform("enc1.weight", new Shape(32, 1, 3, 3), 9);
        enc1b = p.uniform("enc1.bias", new Shape(32), 9);
        bn1w = p.constant("bn1.weight", new Shape(32), 1);
        bn1b = p.constant("bn1.bias", new Shape(32), 0);
        bn1m = p.buffer("bn1.running_mean", new Shape(32), 0);
        bn1v = p.buffer("bn1.running_var", new Shape(32), 1);
        enc2w = p.uniform("enc2.weight", new Shape(64, 32, 3, 3), 32 * 9);
        enc2b = p.uniform("enc2.bias", new Shape(64), 32 * 9);
        bn2w = p.constant("bn2.weight", new Shape(64), 1);
        bn2b = p.constant("bn2.bias", new Shape(64), 0);
        bn2m = p.buffer("bn2.running_mean", new Shape(64), 0);
        bn2v = p.buffer("bn2.running_var", new Shape(64), 1);
        muw = p.uniform("mu.weight", new Shape(LATENT, 3136), 3136);
        mub = p.uniform("mu.bias", new Shape(LATENT), 3136);
        lvw = p.uniform("logvar.weight", new Shape(LATENT, 3136), 3136);
        lvb = p.uniform("logvar.bias", new Shape(LATENT), 3136);
        dec0w = p.uniform("dec0.weight", new Shape(3136, LATENT), LATENT);
        dec0b = p.uniform("dec0.bias", new Shape(3136), LATENT);
        // ConvTranspose2d's fan_in is out * k * k (PyTorch reads weight dimension 1)
        dec1w = p.uniform("dec1.weight", new Shape(64, 64, 3, 3), 64 * 9);
        dec1b = p.uniform("dec1.bias", new Shape(64), 64 * 9);
        bn3w = p.constant("bn3.weight", new Shape(64), 1);
        bn3b = p.constant("bn3.bias", new Shape(64), 0);
        bn3m = p.buffer("bn3.running_mean", new Shape(64), 0);
        bn3v = p.buffer("bn3.running_var", new Shape(64), 1);
        dec2w = p.uniform("dec2.weight", new Shape(64, 32, 3, 3), 32 * 9);
        dec2b = p.uniform("dec2.bias", new Shape(32), 32 * 9);
        bn4w = p.constant("bn4.weight", new Shape(32), 1);
        bn4b = p.constant("bn4.bias", new Shape(32), 0);
        bn4m = p.buffer("bn4.running_mean", new Shape(32), 0);
        bn4v = p.buffer("bn4.running_var", new Shape(32), 1);
        dec3w = p.uniform("dec3.weight", new Shape(1, 32, 3, 3), 32 * 9);
        dec3b = p.uniform("dec3.bias", new Shape(1), 32 * 9);
        images = manager.randomUniform(0f, 1f, new Shape(batch, 1, 28, 28));
    }

    @Override public void step() {
        p.zeroGrad();
        // everything the forward and backward allocate is freed when the scope closes; Adam runs
        // after it, because DJL's Adam creates its moment arrays on the first update
        try (var scope = new NDScope(); var gc = Engine.getInstance().newGradientCollector()) {
            var loss = loss(images);
            gc.backward(loss);
            if (recordLoss) lastLoss = loss.toFloatArray()[0];
        }
        p.adamStep();
    }

    /** (BCE-with-logits summed over pixels + KL) / N, one fresh eps per call. */
    NDArray loss(NDArray x) {
        long n = x.getShape().get(0);
        var h = Activation.relu(Ops.batchNorm(conv(x, enc1w, enc1b, 2, 1), bn1w, bn1b, bn1m, bn1v));
        h = Activation.relu(Ops.batchNorm(conv(h, enc2w, enc2b, 2, 1), bn2w, bn2b, bn2m, bn2v)).reshape(n, 3136);
        var mu = Linear.linear(h, muw, mub).singletonOrThrow();
        var logvar = Linear.linear(h, lvw, lvb).singletonOrThrow();
        var eps = x.getManager().randomNormal(mu.getShape());
        var z = mu.add(logvar.mul(0.5f).exp().mul(eps));
        var d = Activation.relu(Linear.linear(z, dec0w, dec0b).singletonOrThrow()).reshape(n, 64, 7, 7);
        d = Activation.relu(Ops.batchNorm(TransposedConv2d.forward(d, dec1w, dec1b, 2, 1, 1), bn3w, bn3b, bn3m, bn3v));
        d = Activation.relu(Ops.batchNorm(TransposedConv2d.forward(d, dec2w, dec2b, 2, 1, 1), bn4w, bn4b, bn4m, bn4v));
        var logits = conv(d, dec3w, dec3b, 1, 1);
        var rec = Ops.bceWithLogits(logits, x).sum();
        var kl = logvar.add(1f).sub(mu.square()).sub(logvar.exp()).sum().mul(-0.5f);
        return rec.add(kl).div(n);
    }

    private static NDArray conv(NDArray x, NDArray w, NDArray b, int stride, int pad) {
        return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(pad, pad)).singletonOrThrow();
    }

    @Override public double lastLoss() { return lastLoss; }

    @Override public long parameterCount() { return p.count(); }

    @Override public void close() { manager.close(); }
}
