package io.genten.models;

import io.genten.backend.cuda.CudaBackend;
import io.genten.backend.cuda.CudaGraph;
import io.genten.tensor.HostStorage;
import io.genten.tensor.Tensor;
import java.util.function.Supplier;

/**
 * A whole training step (forward, backward, Adam) captured once as a CUDA graph and replayed with
 * one launch per step: no allocation, no host synchronization and no Java work per layer.
 *
 * <p>{@link #capture} first runs one eager step on the static input (a real training step: it warms
 * the allocator cache, the cuDNN plans and the Adam tables, see {@link CudaGraph}), then records
 * the next step. Each {@link #replay} trains one step on whatever the static input holds; the
 * noise advances on the device (the step adds the trainer's stride to the backend's Philox offset
 * counter) and so does Adam's step count, and the trainer's host-side counters move along, so the
 * replays produce exactly the steps eager {@code stepOnDevice} calls would have. {@link #losses()}
 * reads the last step's losses (a synchronization: call it only when they are needed).
 *
 * <p>While the graph is open the backend's device offset counter is not 0, so do not step the
 * trainer eagerly, draw random numbers on the backend or open a second graphed step on it: close this
 * first, which resets the counter (the trainer's host counters already count the replays).
 * The static input must stay open until then.
 *
 * @param <L> the trainer's losses record
 */
public final class GraphedStep<L> implements AutoCloseable {
    private final StepTarget target;
    private final CudaBackend cuda;
    private final Tensor input;
    private final Supplier<L> losses;
    private final CudaGraph graph;
    private long expectedStep, replays;
    private boolean closed;

    private GraphedStep(StepTarget target, CudaBackend cuda, Tensor input, Supplier<L> losses, CudaGraph graph) {
        this.target = target;
        this.cuda = cuda;
        this.input = input;
        this.losses = losses;
        this.graph = graph;
        this.expectedStep = target.stepCount().getAsLong();
    }

    /**
     * Warms up with one eager step on {@code staticInput} on the trainer's CUDA device, then captures the next.
     *
     * @param trainer     the trainer, on a {@link io.genten.backend.cuda.CudaBackend}
     * @param staticInput the batch buffer (N, 1, 28, 28) the graph reads
     * @return the captured step
     */
    public static GraphedStep<VaeTrainer.Losses> capture(VaeTrainer trainer, Tensor staticInput) {
        return capture(trainer.graphTarget(), staticInput, trainer::losses);
    }

    /**
     * Warms up with one eager step on {@code staticInput} on the trainer's CUDA device, then captures the next.
     *
     * @param trainer     the trainer, on a {@link io.genten.backend.cuda.CudaBackend}
     * @param staticInput the batch buffer (N, 1, 28, 28) the graph reads
     * @return the captured step
     */
    public static GraphedStep<GanTrainer.Losses> capture(GanTrainer trainer, Tensor staticInput) {
        return capture(trainer.graphTarget(), staticInput, trainer::losses);
    }

    /**
     * Warms up with one eager step on {@code staticInput} on the trainer's CUDA device, then captures the next.
     *
     * @param trainer     the trainer of the 2-D VAE, on a {@link io.genten.backend.cuda.CudaBackend}
     * @param staticInput the batch buffer (N, 1, 28, 28) the graph reads
     * @return the captured step
     */
    public static GraphedStep<DenseVaeTrainer.Losses> capture(DenseVaeTrainer trainer, Tensor staticInput) {
        return capture(trainer.graphTarget(), staticInput, trainer::losses);
    }

    /**
     * Warms up with one eager step on {@code staticInput} on the trainer's CUDA device, then captures the next.
     *
     * @param trainer     the trainer of an unconditional model (mlpgan, lsgan), on a {@link io.genten.backend.cuda.CudaBackend}
     * @param staticInput the batch buffer (N, 1, 28, 28) the graph reads
     * @return the captured step
     * @throws IllegalArgumentException for a conditional model (cgan), which needs {@link #capture(GanPairTrainer, Tensor, int[])}
     */
    public static GraphedStep<GanPairTrainer.Losses> capture(GanPairTrainer trainer, Tensor staticInput) {
        return capture(trainer, staticInput, null);
    }

    /**
     * Warms up with one eager step on {@code staticInput} and {@code labels} on the trainer's CUDA device,
     * then captures the next. A conditional model's labels go into static device buffers that the graph
     * reads; {@link #replay(Tensor, int[])} overwrites them with each batch's labels.
     *
     * @param trainer     the trainer, on a {@link io.genten.backend.cuda.CudaBackend}
     * @param staticInput the batch buffer (N, 1, 28, 28) the graph reads
     * @param labels      the N labels of the warm-up batch for a conditional model (cgan), else null
     * @return the captured step
     */
    public static GraphedStep<GanPairTrainer.Losses> capture(GanPairTrainer trainer, Tensor staticInput, int[] labels) {
        return capture(trainer.graphTarget(staticInput.rank() > 0 ? staticInput.dim(0) : 0, labels), staticInput, trainer::losses);
    }

    private static <L> GraphedStep<L> capture(StepTarget target, Tensor input, Supplier<L> losses) {
        try {
            return captureOrThrow(target, input, losses);
        } catch (RuntimeException e) {
            target.release().run(); // the label buffers made for a graph that never came to be
            throw e;
        }
    }

    private static <L> GraphedStep<L> captureOrThrow(StepTarget target, Tensor input, Supplier<L> losses) {
        if (!(target.backend() instanceof CudaBackend cuda)) {
            throw new IllegalArgumentException("GraphedStep.capture: CUDA graphs need the CUDA backend, but the trainer runs on "
                    + target.backend().name());
        }
        target.checkInput().accept(input);
        if (input.isClosed() || !input.device().equals(cuda.device())) {
            throw new IllegalArgumentException("GraphedStep.capture: static input " + input.shape() + " must be an open tensor on "
                    + cuda.device() + (input.isClosed() ? " (it is closed)" : ", not " + input.device()));
        }
        cuda.resetRandomOffset(); // the eager steps before and after the graph use host offsets alone
        target.stepOnDevice().accept(input);
        var saved = target.saveCounters().get();
        CudaGraph graph;
        try {
            graph = CudaGraph.capture(cuda, () -> {
                target.stepOnDevice().accept(input);
                cuda.advanceRandomOffset(target.randomStride());
            });
        } finally {
            target.restoreCounters().accept(saved); // the capture recorded a step but ran nothing
        }
        return new GraphedStep<>(target, cuda, input, losses, graph);
    }

    /**
     * The static input the graph reads: write a batch into it, then {@link #replay()}.
     *
     * @return the static input
     */
    public Tensor input() { return input; }

    /**
     * Steps replayed so far.
     *
     * @return the count
     */
    public long replays() { return replays; }

    /**
     * Copies {@code batch} (host or this device, the static input's shape) into the static input and replays one step.
     *
     * @param batch the next batch
     */
    public void replay(Tensor batch) {
        checkOpen();
        if (!batch.shape().equals(input.shape())) {
            throw new IllegalArgumentException("GraphedStep.replay: batch " + batch.shape() + " but the graph was captured for " + input.shape());
        }
        if (batch.storage() == input.storage()) {
            // the static input itself (or a reshape of it): already in place; a copy onto itself is an overlapping cudaMemcpy
        } else if (batch.device().equals(cuda.device())) cuda.copyInto(batch, input);
        else input.copyFrom(batch.storage() instanceof HostStorage ? batch.hostArray() : batch.toArray());
        replay();
    }

    /**
     * For a conditional model: writes {@code labels} into the graph's label buffers, {@code batch} into the
     * static input, and replays one step.
     *
     * @param batch  the next batch
     * @param labels its N labels
     */
    public void replay(Tensor batch, int[] labels) {
        checkOpen();
        if (target.setLabels() == null) throw new IllegalArgumentException("GraphedStep.replay: this model is not conditional: replay(batch) without labels");
        if (!batch.shape().equals(input.shape())) {
            throw new IllegalArgumentException("GraphedStep.replay: batch " + batch.shape() + " but the graph was captured for " + input.shape());
        }
        target.setLabels().accept(labels);
        replay(batch);
    }

    /** Replays one training step on the static input (and, for a conditional model, the labels) as it is (queued: returns before the step ran). */
    public void replay() {
        checkOpen();
        long now = target.stepCount().getAsLong();
        if (now != expectedStep) {
            throw new IllegalStateException("GraphedStep.replay: the trainer is at step " + now + " but the graph expected "
                    + expectedStep + ": it was stepped outside the graph; close the graphed step before stepping eagerly");
        }
        graph.replay();
        target.shiftHostSteps().accept(1);
        expectedStep++;
        replays++;
    }

    /**
     * The losses of the last step (the warm-up or the last replay); synchronizes.
     *
     * @return the losses
     */
    public L losses() {
        checkOpen();
        return losses.get();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("GraphedStep used after close");
    }

    /** Waits for the replays, frees the graph and sets the device offset counter back to 0. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        if (cuda.isClosed()) return; // the backend's close destroyed the graph; its counter is gone
        try {
            graph.close();
        } finally {
            try {
                cuda.resetRandomOffset();
            } finally {
                target.release().run();
            }
        }
    }
}
