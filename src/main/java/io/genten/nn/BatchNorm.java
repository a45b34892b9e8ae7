package io.genten.nn;

import io.genten.backend.Activation;
import io.genten.backend.Backend;
import io.genten.backend.Checks;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * Batch normalization per channel (dimension 1), PyTorch's conventions: training normalizes with
 * the biased batch variance and updates the running statistics with the unbiased one and
 * {@code momentum}; eval uses the running statistics. Weight starts at 1, bias at 0, running mean
 * at 0 and running variance at 1.
 */
public abstract sealed class BatchNorm extends Module permits BatchNorm1d, BatchNorm2d {
    /** PyTorch's default eps: 1e-5. */
    public static final float DEFAULT_EPS = 1e-5f;
    /** PyTorch's default momentum of the running statistics: 0.1. */
    public static final float DEFAULT_MOMENTUM = 0.1f;

    private final int channels;
    private final int rank;
    private final float eps, momentum;
    private final Parameter weight, bias;
    private final Tensor runningMean, runningVar;
    private Activation fused = Activation.IDENTITY; // applied in the same pass (Sequential.fuseActivations)
    private Tensor x, y, saveMean, saveInvStd;

    BatchNorm(Backend backend, int channels, int rank, float eps, float momentum) {
        super(backend);
        this.channels = channels;
        this.rank = rank;
        if (channels < 1) throw new IllegalArgumentException(name() + ": channels " + channels + " must be positive");
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException(name() + ": eps " + eps + " momentum " + momentum);
        this.eps = eps;
        this.momentum = momentum;
        var c = Shape.of(channels);
        this.weight = registerParameter("weight", backend.full(c, 1f));
        this.bias = registerParameter("bias", backend.zeros(c));
        this.runningMean = registerBuffer("running_mean", backend.zeros(c));
        this.runningVar = registerBuffer("running_var", backend.full(c, 1f));
    }

    private String name() { return "BatchNorm" + (rank == 2 ? "1d" : "2d") + "(" + channels + ")"; }

    /**
     * The scale gamma (C), initially 1.
     *
     * @return the parameter
     */
    public Parameter weight() { return weight; }

    /**
     * The shift beta (C), initially 0.
     *
     * @return the parameter
     */
    public Parameter bias() { return bias; }

    /**
     * The running mean (C), a buffer used in eval mode and by {@link Module#infer}.
     *
     * @return the live tensor
     */
    public Tensor runningMean() { return runningMean; }

    /**
     * The running (unbiased) variance (C), a buffer used in eval mode and by {@link Module#infer}.
     *
     * @return the live tensor
     */
    public Tensor runningVar() { return runningVar; }

    /** Applies {@code act} (ReLU or LeakyReLU: its backward is read off the output) after normalizing, in one pass. */
    void fuse(Activation act) { fused = FusedActivation.check(name(), act); }

    /**
     * The activation applied in the same pass ({@link Sequential#fuseActivations()}).
     *
     * @return IDENTITY unless fused
     */
    public Activation fusedActivation() { return fused; }

    @Override public Tensor forward(Tensor x) {
        if (!isTraining()) {
            this.x = null;
            return infer(x);
        }
        checkInput(x);
        var out = backend.batchNormTrainForward(x, weight.value(), bias.value(), runningMean, runningVar, momentum, eps, fused);
        this.x = x;
        this.y = out.y();
        this.saveMean = out.saveMean();
        this.saveInvStd = out.saveInvStd();
        return out.y();
    }

    @Override public Tensor infer(Tensor x) {
        checkInput(x);
        return backend.batchNormInference(x, weight.value(), bias.value(), runningMean, runningVar, eps, fused);
    }

    private void checkInput(Tensor x) {
        Checks.rank(name(), "x", x.shape(), rank);
        if (x.dim(1) != channels) throw new IllegalArgumentException(name() + ": input " + x.shape() + " has " + x.dim(1) + " channels");
    }

    @Override public Tensor backward(Tensor dy) {
        if (x == null) throw noForward(name());
        Checks.sameShape(name() + ".backward", dy, x);
        var dNormalized = FusedActivation.backward(backend, fused, y, dy);
        var g = backend.batchNormBackward(dNormalized, x, weight.value(), saveMean, saveInvStd);
        if (weight.requiresGrad()) accumulate(weight, g.dgamma()); else g.dgamma().close();
        if (bias.requiresGrad()) accumulate(bias, g.dbeta()); else g.dbeta().close();
        return g.dx();
    }
}
