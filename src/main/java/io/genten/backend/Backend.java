package io.genten.backend;

import io.genten.tensor.Device;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.List;

/**
 * The whole op set, declared once and implemented by each backend (CPU, CUDA).
 *
 * <p>Conventions: NCHW float32; every tensor argument must be open and on {@link #device()};
 * ops return new tensors (owned by the caller, or by the open {@link io.genten.tensor.TensorScope})
 * unless they say "in place". Bad shapes throw {@link IllegalArgumentException} naming the op
 * and the shapes. Scalars (losses, sums) are rank-0 tensors on the device: reading them with
 * {@link Tensor#item()} is the only host synchronization.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    Device device();

    /** One line for logs: device, threads or GPU name, library versions. */
    String describe();

    MathMode mathMode();

    // ---- memory ------------------------------------------------------------------------

    /** Uninitialized memory (backends may poison it with NaN in debug mode). */
    Tensor empty(Shape shape);

    Tensor zeros(Shape shape);

    Tensor full(Shape shape, float value);

    /** A tensor on this device holding a copy of {@code t} (from any device). */
    Tensor copyOf(Tensor t);

    /** Copies {@code src} into {@code dst} (same number of elements, both on this device). */
    void copyInto(Tensor src, Tensor dst);

    /** Overwrites every element of {@code t} with {@code value}, in place. */
    void fill(Tensor t, float value);

    /** Standard normals from the Philox4x32-10 stream (seed, offset), identical on every backend. */
    Tensor randn(Shape shape, long seed, long offset);

    /** Uniforms in [0, 1) from the Philox4x32-10 stream (seed, offset). */
    Tensor rand(Shape shape, long seed, long offset);

    /** Waits for queued work (no-op on the CPU). */
    void synchronize();

    // ---- convolution (cross-correlation, square kernels, NCHW) ---------------------------

    /** y = conv(x, w) + bias: x (N,Cin,H,W), w (Cout,Cin,K,K), bias (Cout) or null. */
    Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec);

    /**
     * {@code act(conv(x, w) + bias)} in one pass where the backend can (the CUDA kernels' epilogue).
     * The activation's backward can then be taken from the output alone for ReLU and LeakyReLU (the
     * output has the sign of its input): {@code activationBackward(act, y, y, dy)}.
     */
    default Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Activation act) {
        var y = conv2dForward(x, w, bias, spec);
        return act instanceof Activation.Identity ? y : activateAndFree(act, y);
    }

    /**
     * dx of conv2d: dy (N,Cout,OH,OW), w (Cout,Cin,K,K) -> dx of {@code xShape}. Also the forward
     * of a transposed conv (whose output padding shows only in {@code xShape}).
     */
    Tensor conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec);

    /** dw of conv2d: dy (N,Cout,OH,OW), x (N,Cin,H,W) -> dw of {@code wShape} (Cout,Cin,K,K). */
    Tensor conv2dBackwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec);

    /** Gradient of a per-channel bias: dy summed over every dimension but 1, shape (C). */
    Tensor biasGradient(Tensor dy);

    /** y (N, C, ...) += bias (C) per channel, in place: the bias of a transposed conv. */
    void addBiasInPlace(Tensor y, Tensor bias);

    // ---- batch normalization (per channel over N,H,W; rank 2 or 4) ---------------------

    /**
     * Training forward with batch statistics (biased variance). Updates runningMean and
     * runningVar in place with {@code momentum} using the unbiased variance, as PyTorch.
     */
    BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta,
                                          Tensor runningMean, Tensor runningVar, float momentum, float eps);

    /** {@link #batchNormTrainForward} with {@code act} applied to y, in one pass where the backend can. */
    default BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                                  float momentum, float eps, Activation act) {
        var out = batchNormTrainForward(x, gamma, beta, runningMean, runningVar, momentum, eps);
        return act instanceof Activation.Identity ? out : new BatchNormOutput(activateAndFree(act, out.y()), out.saveMean(), out.saveInvStd());
    }

    BatchNormGradients batchNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd);

    /** Inference forward with the running statistics. */
    Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps);

    /** {@link #batchNormInference} with {@code act} applied, in one pass where the backend can. */
    default Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Activation act) {
        var y = batchNormInference(x, gamma, beta, runningMean, runningVar, eps);
        return act instanceof Activation.Identity ? y : activateAndFree(act, y);
    }

    /** act(t) as a new tensor; t is closed (the unfused fallback of the fused ops). */
    private Tensor activateAndFree(Activation act, Tensor t) {
        try (t) {
            return activationForward(act, t);
        }
    }

    // ---- linear: y = x w^T + b, x (N,in), w (out,in) -----------------------------------

    Tensor linearForward(Tensor x, Tensor w, Tensor bias);

    /** dx = dy w: dy (N,out), w (out,in) -> (N,in). */
    Tensor linearBackwardData(Tensor dy, Tensor w);

    /** dw = dy^T x: dy (N,out), x (N,in) -> (out,in). */
    Tensor linearBackwardWeight(Tensor dy, Tensor x);

    // ---- pointwise ---------------------------------------------------------------------

    Tensor activationForward(Activation act, Tensor x);

    /** dx from the forward's input x, its output y and dy. */
    Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy);

    /** Inverted dropout: keeps x/(1-p) where the Philox uniform (seed, offset) is >= p. */
    Tensor dropoutForward(Tensor x, float p, long seed, long offset);

    /** The same mask (regenerated from seed and offset) applied to dy. */
    Tensor dropoutBackward(Tensor dy, float p, long seed, long offset);

    Tensor add(Tensor a, Tensor b);

    /** acc += x, in place (gradient accumulation). */
    void addInPlace(Tensor acc, Tensor x);

    Tensor scale(Tensor a, float s);

    // ---- reductions (rank-0 results) ----------------------------------------------------

    Tensor sum(Tensor t);

    Tensor mean(Tensor t);

    // ---- VAE -----------------------------------------------------------------------------

    /** z = mu + exp(0.5 logvar) * eps with eps ~ N(0,1) drawn from Philox (seed, offset). */
    ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset);

    /** z = mu + exp(0.5 logvar) * eps with eps given. */
    Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps);

    /**
     * Gradients of z w.r.t. mu and logvar given dz, plus {@code klScale} times the gradient of
     * KL(N(mu, sigma) || N(0,1)) (0 for none): the reparameterization and KL backward in one pass.
     */
    GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale);

    /** KL(N(mu, exp(logvar)) || N(0,1)) = -0.5 sum(1 + logvar - mu^2 - exp(logvar)), summed over all elements. */
    Tensor klDivergence(Tensor mu, Tensor logvar);

    /** {@code scale} times the gradient of the summed KL. */
    GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale);

    // ---- losses --------------------------------------------------------------------------

    /** Binary cross-entropy on logits against (soft) targets, numerically stable. */
    Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction);

    /** {@code scale} times the gradient of {@link #bceWithLogits} with respect to the logits. */
    Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale);

    Tensor mse(Tensor prediction, Tensor target, Reduction reduction);

    Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale);

    // ---- optimizer -----------------------------------------------------------------------

    /**
     * One Adam step over all parameters at once, in place on params, m and v; {@code step} counts
     * from 1 (bias correction).
     */
    void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step);

    // ---- concatenation and classification (the conditional GAN, the digit classifier) ----------

    /**
     * The parts joined along dimension 1 (the features of (N, F), the channels of (N, C, H, W)):
     * every part has the same rank (at least 2), the same dimension 0 and the same dimensions after 1.
     */
    Tensor concat(List<Tensor> parts);

    /** {@code x[:, start : start + length]} along dimension 1 as a new tensor: the backward of {@link #concat}. */
    Tensor slice(Tensor x, int start, int length);

    /**
     * Softmax cross-entropy of logits (N, C) against class probabilities (N, C), one-hot or soft:
     * per row {@code -sum_c t_c log softmax(x)_c}, computed stably (log-sum-exp). MEAN divides the
     * sum over rows by N, as PyTorch's cross_entropy (not by N*C as the elementwise losses).
     */
    Tensor softmaxCrossEntropy(Tensor logits, Tensor targets, Reduction reduction);

    /**
     * {@code scale} times the gradient of {@link #softmaxCrossEntropy} w.r.t. the logits: per row
     * {@code softmax(x) * sum_c t_c - t} (divided by N for MEAN).
     */
    Tensor softmaxCrossEntropyBackward(Tensor logits, Tensor targets, Reduction reduction, float scale);

    @Override
    default void close() {}
}
