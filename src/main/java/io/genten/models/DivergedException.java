package io.genten.models;

/**
 * Training produced a non-finite loss or parameter: the run cannot go on usefully, and nothing
 * computed from this step on may be saved. Thrown by the trainers' {@code step} (which check the
 * losses every step and the parameters every 64 steps) and by
 * {@link TrainingState#commit} before it would write a non-finite value.
 */
public final class DivergedException extends IllegalStateException {
    /** The 1-based step whose result was not finite (part of the serialized form). */
    private final long step;

    /**
     * An exception naming the step and what was not finite.
     *
     * @param step the 1-based step
     * @param what the loss or parameter that was not finite
     */
    public DivergedException(long step, String what) {
        super("training diverged at step " + step + ": " + what);
        this.step = step;
    }

    /**
     * The 1-based step whose result was not finite.
     *
     * @return the step
     */
    public long step() { return step; }
}
