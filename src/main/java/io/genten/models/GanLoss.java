package io.genten.models;

/**
 * The adversarial losses of {@link GanPairTrainer}, both on the discriminator's raw output.
 *
 * <ul>
 *   <li>{@code BCE}: BCE-with-logits, D's targets {@code realLabel} (real) and 0 (fake); G's
 *       non-saturating target 1.</li>
 *   <li>{@code LEAST_SQUARES} (LSGAN, Mao et al. 2017, a = 0, b = c = 1): D minimizes
 *       {@code 0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2]}, G minimizes {@code 0.5 E[(D(G(z)) - 1)^2]}.
 *       The sketch our users start from gives G the target 0, the fake target of D: G then
 *       minimizes what D already minimizes on fakes, pushes its samples where D calls them fake
 *       and learns nothing useful; we use the standard form.</li>
 * </ul>
 */
public enum GanLoss {
    /** BCE-with-logits, with G's non-saturating target 1. */
    BCE,
    /** The least-squares loss of LSGAN (a = 0, b = c = 1). */
    LEAST_SQUARES
}
