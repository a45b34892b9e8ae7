package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;

/**
 * The one place the benchmarks touch the CUDA backend's own API (options, graphs, event
 * timers), so that an API change there is one edit here.
 *
 * <p>ADAPTER: this build has no io.genten.backend.cuda yet; every CUDA entry point skips.
 */
final class Cuda {
    private Cuda() {}

    static final String MISSING = "the CUDA backend (io.genten.backend.cuda) is not part of this build";

    /** Why CUDA cannot run here, or null when it can. */
    static String unavailableReason() {
        return MISSING;
    }

    static Backend open(MathMode math, ConvImpl convImpl, BatchNormImpl bnImpl) {
        throw Skip.because("cuda: " + MISSING);
    }

    /** A whole step captured once and replayed: one graph launch per {@link StepGraph#replay}. */
    interface StepGraph extends AutoCloseable {
        void replay();

        @Override void close();
    }

    static StepGraph capture(Backend backend, Runnable step) {
        throw Skip.because("cuda graphs: " + MISSING);
    }

    /** Milliseconds per run of {@code op}, timed with CUDA events on the backend's stream; NaN without CUDA. */
    static double eventMillis(Backend backend, Runnable op, int reps) {
        return Double.NaN;
    }
}
