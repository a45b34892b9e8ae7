package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;

/**
 * Inverted dropout with a Philox mask keyed by (seed, offset): each training forward takes the
 * next offset and backward regenerates the same mask from it, so no mask is stored and a run
 * reproduces on every backend. The identity in eval mode or with p = 0.
 */
public final class Dropout extends Module {
    private final float p;
    private final long seed;
    private long nextOffset;
    private long lastOffset = -1; // -1: the last forward was the identity
    private boolean forwarded;

    /**
     * Dropout with probability {@code p}, masks keyed by {@code seed}.
     *
     * @param backend the backend
     * @param p       the probability of zeroing an element, in [0, 1)
     * @param seed    the Philox key of the masks
     */
    public Dropout(Backend backend, float p, long seed) {
        super(backend);
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p " + p + " must be in [0, 1)");
        this.p = p;
        this.seed = seed;
    }

    /**
     * The drop probability.
     *
     * @return p
     */
    public float p() { return p; }

    /**
     * The offset the next training forward will use.
     *
     * @return the Philox offset
     */
    public long nextOffset() { return nextOffset; }

    /**
     * Sets the offset of the next training forward (to resume a run).
     *
     * @param offset the Philox offset
     */
    public void setNextOffset(long offset) { this.nextOffset = offset; }

    @Override public Tensor forward(Tensor x) {
        forwarded = true;
        if (!isTraining() || p == 0f) {
            lastOffset = -1;
            return x;
        }
        lastOffset = nextOffset++;
        return backend.dropoutForward(x, p, seed, lastOffset);
    }

    /** The identity: no dropout at inference. */
    @Override public Tensor infer(Tensor x) { return x; }

    @Override public Tensor backward(Tensor dy) {
        if (!forwarded) throw noForward("Dropout");
        return lastOffset < 0 ? dy : backend.dropoutBackward(dy, p, seed, lastOffset);
    }
}
