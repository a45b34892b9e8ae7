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

    /**
     * The backend's short name.
     *
     * @return "cpu" or "cuda"
     */
    String name();

    /**
     * Where this backend's tensors live.
     *
     * @return the device
     */
    Device device();

    /**
     * One line for logs: device, threads or GPU name, library versions.
     *
     * @return the description
     */
    String describe();

    /**
     * The precision of GEMMs and convolutions.
     *
     * @return FP32 on the CPU; the configured mode on CUDA
     */
    MathMode mathMode();

    // ---- memory ------------------------------------------------------------------------

    /**
     * Uninitialized memory (backends may poison it with NaN in debug mode).
     *
     * @param shape the shape
     * @return a new tensor
     */
    Tensor empty(Shape shape);

    /**
     * Zeros.
     *
     * @param shape the shape
     * @return a new tensor
     */
    Tensor zeros(Shape shape);

    /**
     * Every element {@code value}.
     *
     * @param shape the shape
     * @param value the value
     * @return a new tensor
     */
    Tensor full(Shape shape, float value);

    /**
     * A tensor on this device holding a copy of {@code t} (from any device).
     *
     * @param t the source, on any device
     * @return a new tensor on this device
     */
    Tensor copyOf(Tensor t);

    /**
     * Copies {@code src} into {@code dst} (same number of elements, both on this device).
     *
     * @param src the source
     * @param dst the destination, overwritten
     */
    void copyInto(Tensor src, Tensor dst);

    /**
     * Overwrites every element of {@code t} with {@code value}, in place.
     *
     * @param t     the tensor to fill
     * @param value the value
     */
    void fill(Tensor t, float value);

    /**
     * Standard normals from the Philox4x32-10 stream (seed, offset), identical on every backend.
     *
     * @param shape  the shape
     * @param seed   the Philox key
     * @param offset the stream
     * @return a new tensor
     */
    Tensor randn(Shape shape, long seed, long offset);

    /**
     * Uniforms in [0, 1) from the Philox4x32-10 stream (seed, offset).
     *
     * @param shape  the shape
     * @param seed   the Philox key
     * @param offset the stream
     * @return a new tensor
     */
    Tensor rand(Shape shape, long seed, long offset);

    /** Waits for queued work (no-op on the CPU). */
    void synchronize();

    /**
     * Releases the memory the backend keeps for reuse (the CUDA allocator's cached blocks, the CPU
     * backend's recycled arrays), as {@code torch.cuda.empty_cache()}: the backend stays usable and
     * caches again. A no-op for a backend that keeps nothing.
     */
    default void emptyCache() {}

    /**
     * Whether several threads may call this backend's ops at the same time. The CPU backend may
     * (each op allocates its own workspaces); the CUDA backend may not (one stream, one cuDNN
     * handle, per-shape plans), so the models' inference methods serialize on it. Unknown backends
     * say no.
     *
     * @return true when concurrent op calls are safe
     */
    default boolean supportsConcurrentCalls() { return false; }

    // ---- convolution (cross-correlation, square kernels, NCHW) ---------------------------

    /**
     * y = conv(x, w) + bias, cross-correlation with zero padding.
     *
     * @param x    input (N, Cin, H, W)
     * @param w    weight (Cout, Cin, K, K)
     * @param bias bias (Cout), or null
     * @param spec stride and padding
     * @return y (N, Cout, OH, OW)
     */
    Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec);

    /**
     * {@code act(conv(x, w) + bias)} in one pass where the backend can (the CUDA kernels' epilogue).
     * The activation's backward can then be taken from the output alone for ReLU and LeakyReLU (the
     * output has the sign of its input): {@code activationBackward(act, y, y, dy)}.
     *
     * @param x    input (N, Cin, H, W)
     * @param w    weight (Cout, Cin, K, K)
     * @param bias bias (Cout), or null
     * @param spec stride and padding
     * @param act  the activation applied to the output (IDENTITY for none)
     * @return y (N, Cout, OH, OW)
     */
    default Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Activation act) {
        var y = conv2dForward(x, w, bias, spec);
        return act instanceof Activation.Identity ? y : activateAndFree(act, y);
    }

    /**
     * dx of conv2d. Also the forward of a transposed conv (whose output padding shows only in {@code xShape}).
     *
     * @param dy     gradient of the output (N, Cout, OH, OW)
     * @param w      weight (Cout, Cin, K, K)
     * @param xShape the input's shape (N, Cin, H, W)
     * @param spec   stride and padding
     * @return dx of {@code xShape}
     */
    Tensor conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec);

    /**
     * dw of conv2d.
     *
     * @param dy     gradient of the output (N, Cout, OH, OW)
     * @param x      the forward's input (N, Cin, H, W)
     * @param wShape the weight's shape (Cout, Cin, K, K)
     * @param spec   stride and padding
     * @return dw of {@code wShape}
     */
    Tensor conv2dBackwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec);

    /**
     * The backward of a transposed conv {@code y = conv2dBackwardData(x, w, yShape, spec)}: dx is
     * {@code conv2dForward(dy, w, null, spec)} and dw {@code conv2dBackwardFilter(x, dy, w.shape(), spec)}.
     * Both read dy as a conv input, so a backend may unfold it once for the two (the CPU does).
     *
     * @param dy             gradient of the transposed conv's output (N, Cout_t, OH, OW)
     * @param x              the transposed conv's input (N, Cin_t, H, W)
     * @param w              its weight (Cin_t, Cout_t, K, K)
     * @param spec           stride and padding
     * @param weightGradient whether to compute dw
     * @return dx of x's shape, and dw of w's shape (null unless asked for)
     */
    default TransposedConvGradients convTranspose2dBackward(Tensor dy, Tensor x, Tensor w, Conv2dSpec spec, boolean weightGradient) {
        var dw = weightGradient ? conv2dBackwardFilter(x, dy, w.shape(), spec) : null;
        return new TransposedConvGradients(conv2dForward(dy, w, null, spec), dw);
    }

    /**
     * Gradient of a per-channel bias: dy summed over every dimension but 1.
     *
     * @param dy gradient (N, C, ...)
     * @return (C)
     */
    Tensor biasGradient(Tensor dy);

    /**
     * y (N, C, ...) += bias (C) per channel, in place: the bias of a transposed conv.
     *
     * @param y    the tensor to add to
     * @param bias the per-channel bias
     */
    void addBiasInPlace(Tensor y, Tensor bias);

    // ---- batch normalization (per channel over N,H,W; rank 2 or 4) ---------------------

    /**
     * Training forward with batch statistics (biased variance). Updates runningMean and
     * runningVar in place with {@code momentum} using the unbiased variance, as PyTorch.
     *
     * @param x           input (N, C) or (N, C, H, W)
     * @param gamma       scale (C)
     * @param beta        shift (C)
     * @param runningMean running mean (C), updated in place
     * @param runningVar  running variance (C), updated in place
     * @param momentum    the weight of this batch in the running statistics
     * @param eps         added to the variance
     * @return y and the saved statistics for the backward
     */
    BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta,
                                          Tensor runningMean, Tensor runningVar, float momentum, float eps);

    /**
     * {@link #batchNormTrainForward} with {@code act} applied to y, in one pass where the backend can.
     *
     * @param x           input (N, C) or (N, C, H, W)
     * @param gamma       scale (C)
     * @param beta        shift (C)
     * @param runningMean running mean (C), updated in place
     * @param runningVar  running variance (C), updated in place
     * @param momentum    the weight of this batch in the running statistics
     * @param eps         added to the variance
     * @param act         the activation applied to y (IDENTITY for none)
     * @return y and the saved statistics for the backward
     */
    default BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                                  float momentum, float eps, Activation act) {
        var out = batchNormTrainForward(x, gamma, beta, runningMean, runningVar, momentum, eps);
        return act instanceof Activation.Identity ? out : new BatchNormOutput(activateAndFree(act, out.y()), out.saveMean(), out.saveInvStd());
    }

    /**
     * Backward of the training forward.
     *
     * @param dy         gradient of y
     * @param x          the forward's input
     * @param gamma      scale (C)
     * @param saveMean   the batch mean the forward saved
     * @param saveInvStd the batch 1/sqrt(var + eps) the forward saved
     * @return dx, dgamma and dbeta
     */
    BatchNormGradients batchNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd);

    /**
     * Inference forward with the running statistics.
     *
     * @param x           input (N, C) or (N, C, H, W)
     * @param gamma       scale (C)
     * @param beta        shift (C)
     * @param runningMean running mean (C)
     * @param runningVar  running variance (C)
     * @param eps         added to the variance
     * @return y of x's shape
     */
    Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps);

    /**
     * {@link #batchNormInference} with {@code act} applied, in one pass where the backend can.
     *
     * @param x           input (N, C) or (N, C, H, W)
     * @param gamma       scale (C)
     * @param beta        shift (C)
     * @param runningMean running mean (C)
     * @param runningVar  running variance (C)
     * @param eps         added to the variance
     * @param act         the activation applied to y (IDENTITY for none)
     * @return y of x's shape
     */
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

    /**
     * y = x w^T + b.
     *
     * @param x    input (N, in)
     * @param w    weight (out, in)
     * @param bias bias (out), or null
     * @return y (N, out)
     */
    Tensor linearForward(Tensor x, Tensor w, Tensor bias);

    /**
     * dx = dy w.
     *
     * @param dy gradient of y (N, out)
     * @param w  weight (out, in)
     * @return dx (N, in)
     */
    Tensor linearBackwardData(Tensor dy, Tensor w);

    /**
     * dw = dy^T x.
     *
     * @param dy gradient of y (N, out)
     * @param x  the forward's input (N, in)
     * @return dw (out, in)
     */
    Tensor linearBackwardWeight(Tensor dy, Tensor x);

    // ---- pointwise ---------------------------------------------------------------------

    /**
     * An elementwise activation.
     *
     * @param act the function
     * @param x   the input
     * @return act(x)
     */
    Tensor activationForward(Activation act, Tensor x);

    /**
     * dx from the forward's input x, its output y and dy.
     *
     * @param act the function
     * @param x   the forward's input
     * @param y   the forward's output
     * @param dy  gradient of y
     * @return dx
     */
    Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy);

    /**
     * Inverted dropout: x * ((float) (1/(1-p)) where the Philox uniform (seed, offset) is &gt;= p, else
     * x * 0), plus +0 so that a dropped finite value is +0. As in PyTorch, a dropped NaN or
     * infinity stays NaN: a diverging input is not hidden by the mask.
     *
     * @param x      the input
     * @param p      the drop probability
     * @param seed   the mask's Philox key
     * @param offset the mask's stream
     * @return the masked, rescaled x
     */
    Tensor dropoutForward(Tensor x, float p, long seed, long offset);

    /**
     * The same mask (regenerated from seed and offset) applied to dy.
     *
     * @param dy     gradient of the output
     * @param p      the drop probability
     * @param seed   the mask's Philox key
     * @param offset the mask's stream
     * @return dx
     */
    Tensor dropoutBackward(Tensor dy, float p, long seed, long offset);

    /**
     * Elementwise a + b.
     *
     * @param a a tensor
     * @param b a tensor of the same shape
     * @return a new tensor
     */
    Tensor add(Tensor a, Tensor b);

    /**
     * acc += x, in place (gradient accumulation).
     *
     * @param acc the accumulator
     * @param x   a tensor of the same shape
     */
    void addInPlace(Tensor acc, Tensor x);

    /**
     * Elementwise a * s.
     *
     * @param a the tensor
     * @param s the factor
     * @return a new tensor
     */
    Tensor scale(Tensor a, float s);

    // ---- reductions (rank-0 results) ----------------------------------------------------

    /**
     * The sum of all elements.
     *
     * @param t the tensor
     * @return a rank-0 tensor on this device
     */
    Tensor sum(Tensor t);

    /**
     * The mean of all elements.
     *
     * @param t the tensor
     * @return a rank-0 tensor on this device
     */
    Tensor mean(Tensor t);

    // ---- VAE -----------------------------------------------------------------------------

    /**
     * z = mu + exp(0.5 logvar) * eps with eps ~ N(0,1) drawn from Philox (seed, offset).
     *
     * @param mu     means (N, L)
     * @param logvar log variances (N, L)
     * @param seed   the noise's Philox key
     * @param offset the noise's stream
     * @return z and the eps drawn
     */
    ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset);

    /**
     * z = mu + exp(0.5 logvar) * eps with eps given.
     *
     * @param mu     means (N, L)
     * @param logvar log variances (N, L)
     * @param eps    standard normal noise (N, L)
     * @return z
     */
    Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps);

    /**
     * Gradients of z w.r.t. mu and logvar given dz, plus {@code klScale} times the gradient of
     * KL(N(mu, sigma) || N(0,1)) (0 for none): the reparameterization and KL backward in one pass.
     *
     * @param dz      gradient of z
     * @param mu      means
     * @param logvar  log variances
     * @param eps     the forward's noise
     * @param klScale weight of the KL gradient
     * @return dmu and dlogvar
     */
    GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale);

    /**
     * KL(N(mu, exp(logvar)) || N(0,1)) = -0.5 sum(1 + logvar - mu^2 - exp(logvar)), summed over all elements.
     *
     * @param mu     means
     * @param logvar log variances
     * @return a rank-0 tensor
     */
    Tensor klDivergence(Tensor mu, Tensor logvar);

    /**
     * {@code scale} times the gradient of the summed KL.
     *
     * @param mu     means
     * @param logvar log variances
     * @param scale  the factor
     * @return dmu and dlogvar
     */
    GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale);

    // ---- losses --------------------------------------------------------------------------

    /**
     * Binary cross-entropy on logits against (soft) targets, numerically stable.
     *
     * @param logits    the logits
     * @param targets   targets in [0, 1], same shape
     * @param reduction sum, mean or none
     * @return the loss (rank 0 unless NONE)
     */
    Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction);

    /**
     * {@code scale} times the gradient of {@link #bceWithLogits} with respect to the logits.
     *
     * @param logits    the logits
     * @param targets   targets in [0, 1]
     * @param reduction the forward's reduction
     * @param scale     the factor
     * @return dlogits
     */
    Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale);

    /**
     * Mean squared error.
     *
     * @param prediction the prediction
     * @param target     the target, same shape
     * @param reduction  sum, mean or none
     * @return the loss (rank 0 unless NONE)
     */
    Tensor mse(Tensor prediction, Tensor target, Reduction reduction);

    /**
     * {@code scale} times the gradient of {@link #mse} with respect to the prediction.
     *
     * @param prediction the prediction
     * @param target     the target
     * @param reduction  the forward's reduction
     * @param scale      the factor
     * @return dprediction
     */
    Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale);

    // ---- optimizer -----------------------------------------------------------------------

    /**
     * One Adam step over all parameters at once, in place on params, m and v.
     *
     * @param params the parameters, updated in place
     * @param grads  their gradients
     * @param m      first moments, updated in place
     * @param v      second moments, updated in place
     * @param config the hyperparameters
     * @param step   the step number, from 1 (bias correction)
     */
    void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step);

    // ---- concatenation and classification (the conditional GAN, the digit classifier) ----------

    /**
     * The parts joined along dimension 1 (the features of (N, F), the channels of (N, C, H, W)):
     * every part has the same rank (at least 2), the same dimension 0 and the same dimensions after 1.
     *
     * @param parts the tensors to join, in order
     * @return a new tensor whose dimension 1 is the sum of the parts' dimensions 1
     */
    Tensor concat(List<Tensor> parts);

    /**
     * {@code x[:, start : start + length]} along dimension 1 as a new tensor: the backward of {@link #concat}.
     *
     * @param x      the tensor to slice, of rank at least 2
     * @param start  the first index of dimension 1 to keep
     * @param length how many indices of dimension 1 to keep, at least 1
     * @return a new tensor with {@code length} along dimension 1
     */
    Tensor slice(Tensor x, int start, int length);

    /**
     * Softmax cross-entropy of logits (N, C) against class probabilities (N, C), one-hot or soft:
     * per row {@code -sum_c t_c log softmax(x)_c}, computed stably (log-sum-exp). MEAN divides the
     * sum over rows by N, as PyTorch's cross_entropy (not by N*C as the elementwise losses).
     *
     * @param logits    the unnormalized scores (N, C)
     * @param targets   the class probabilities (N, C)
     * @param reduction how the per-row losses are combined
     * @return the loss, a scalar
     */
    Tensor softmaxCrossEntropy(Tensor logits, Tensor targets, Reduction reduction);

    /**
     * {@code scale} times the gradient of {@link #softmaxCrossEntropy} w.r.t. the logits: per row
     * {@code softmax(x) * sum_c t_c - t} (divided by N for MEAN).
     *
     * @param logits    the unnormalized scores (N, C)
     * @param targets   the class probabilities (N, C)
     * @param reduction the reduction the forward used
     * @param scale     the factor applied to the gradient (the upstream gradient of a scalar loss)
     * @return the gradient w.r.t. the logits, (N, C)
     */
    Tensor softmaxCrossEntropyBackward(Tensor logits, Tensor targets, Reduction reduction, float scale);


    /** Frees the backend's resources (streams, handles, pools); the shared CPU backend has none. */
    @Override
    default void close() {}
}
