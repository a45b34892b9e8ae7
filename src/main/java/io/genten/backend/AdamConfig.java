package io.genten.backend;

/**
 * torch.optim.Adam's hyperparameters. weightDecay adds {@code weightDecay * p} to the gradient
 * (PyTorch's Adam); with {@code decoupled} it shrinks the parameter directly (AdamW).
 */
public record AdamConfig(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
    public AdamConfig {
        if (!(lr > 0) || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || !(eps > 0) || weightDecay < 0) {
            throw new IllegalArgumentException("Adam: invalid hyperparameters lr=" + lr + " betas=(" + beta1 + ", " + beta2 + ") eps=" + eps + " weight_decay=" + weightDecay);
        }
    }

    public static AdamConfig of(float lr, float beta1, float beta2) {
        return new AdamConfig(lr, beta1, beta2, 1e-8f, 0f, false);
    }
}
