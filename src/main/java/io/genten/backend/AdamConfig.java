package io.genten.backend;

/**
 * torch.optim.Adam's hyperparameters. weightDecay adds {@code weightDecay * p} to the gradient
 * (PyTorch's Adam); with {@code decoupled} it shrinks the parameter directly (AdamW).
 *
 * <p>Every value must be finite and in range (lr and eps positive, betas in [0, 1), weight decay
 * non-negative): a NaN or infinite hyperparameter would silently turn every weight into NaN at
 * the first step, so it is refused here, where every entry point (API and CLI) passes.
 *
 * @param lr          the learning rate, &gt; 0
 * @param beta1       the first moment's decay, in [0, 1)
 * @param beta2       the second moment's decay, in [0, 1)
 * @param eps         added to the denominator, &gt; 0
 * @param weightDecay L2 weight decay, &gt;= 0
 * @param decoupled   AdamW's decoupled decay instead of PyTorch Adam's L2 term
 */
public record AdamConfig(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
    /** Checks the ranges. */
    public AdamConfig {
        var problems = new java.util.ArrayList<String>();
        if (!(Float.isFinite(lr) && lr > 0)) problems.add("lr " + lr + " must be finite and positive");
        if (!(beta1 >= 0 && beta1 < 1)) problems.add("beta1 " + beta1 + " must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) problems.add("beta2 " + beta2 + " must be in [0, 1)");
        if (!(Float.isFinite(eps) && eps > 0)) problems.add("eps " + eps + " must be finite and positive");
        if (!(Float.isFinite(weightDecay) && weightDecay >= 0)) problems.add("weight_decay " + weightDecay + " must be finite and non-negative");
        if (!problems.isEmpty()) throw new IllegalArgumentException("Adam: invalid hyperparameters: " + String.join("; ", problems));
    }

    /**
     * PyTorch's Adam with eps 1e-8 and no weight decay.
     *
     * @param lr    the learning rate
     * @param beta1 the first moment's decay
     * @param beta2 the second moment's decay
     * @return the configuration
     */
    public static AdamConfig of(float lr, float beta1, float beta2) {
        return new AdamConfig(lr, beta1, beta2, 1e-8f, 0f, false);
    }
}
