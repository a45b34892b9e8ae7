package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;
import io.genten.backend.cuda.CudaAvailability;
import io.genten.backend.cuda.CudaBackend;
import io.genten.backend.cuda.CudaGraph;
import io.genten.backend.cuda.CudaOptions;
import io.genten.backend.cuda.CudaTimer;
import io.genten.backend.cuda.CudaUnavailableException;

/**
 * The one place the benchmarks touch the CUDA backend's own API (options, graphs, event
 * timers), so that an API change there is one edit here.
 */
final class Cuda {
    private Cuda() {}

    /** Why CUDA cannot run here, or null when it can. */
    static String unavailableReason() {
        var a = CudaAvailability.get();
        return a.available() ? null : a.reason();
    }

    /** Device 0 with these choices, or {@link Skip} saying why CUDA (or cuDNN) is unavailable. */
    static Backend open(MathMode math, ConvImpl convImpl, BatchNormImpl bnImpl) {
        try {
            return new CudaBackend(new CudaOptions(0, math, convImpl, bnImpl));
        } catch (CudaUnavailableException e) {
            throw Skip.because("cuda: " + e.getMessage());
        }
    }

    /** A whole step captured once and replayed: one graph launch per {@link StepGraph#replay}. */
    interface StepGraph extends AutoCloseable {
        void replay();

        @Override void close();
    }

    /** Philox offsets one replay moves on: far apart, so that no two replays share noise. */
    static final long OFFSET_STRIDE = 1L << 32;

    /**
     * Captures {@code step} on the backend's stream; the step must have run eagerly before (warm
     * caches). Each replay first advances the device-side Philox offset, so that the VAE's noise
     * and the GAN's dropout masks are fresh on every replay, as in an eager run (and in PyTorch's
     * captured step).
     */
    static StepGraph capture(Backend backend, Runnable step) {
        if (!(backend instanceof CudaBackend cuda)) throw Skip.because(backend.name() + " has no graphs");
        var graph = CudaGraph.capture(cuda, () -> {
            cuda.advanceRandomOffset(OFFSET_STRIDE);
            step.run();
        });
        return new StepGraph() {
            @Override public void replay() { graph.replay(); }

            @Override public void close() { graph.close(); }
        };
    }

    /** Milliseconds per run of {@code op}, timed with CUDA events on the backend's stream; NaN off CUDA. */
    static double eventMillis(Backend backend, Runnable op, int reps) {
        if (!(backend instanceof CudaBackend cuda)) return Double.NaN;
        return CudaTimer.time(cuda, reps, op).perIterationMs();
    }
}
