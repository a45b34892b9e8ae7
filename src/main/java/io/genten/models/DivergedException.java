package io.genten.models;

/**
 * Training produced a non-finite loss or parameter: the run cannot go on usefully, and nothing
 * computed from this step on may be saved. Thrown by the trainers' {@code step} (which check the
 * losses every step and the parameters every 64 steps) and by
 * {@link TrainingState#commit} before it would write a non-finite value.
 */
public final class DivergedException extends IllegalStateException {
    private final long step;

    public DivergedException(long step, String what) {
        super("training diverged at step " + step + ": " + what);
        this.step = step;
    }

    /** The 1-based step whose result was not finite. */
    public long step() { return step; }
}
