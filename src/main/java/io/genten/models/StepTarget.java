package io.genten.models;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What {@link GraphedStep} needs of a trainer, without making it public API: the device-only step
 * and its input check, the step count, and the host-side counters (Philox offsets, Adam steps):
 * saved and restored around a capture, which records a step but runs nothing, and moved one step
 * per replay, so that after the graph the trainer continues where the replays left off.
 *
 * @param randomStride the Philox offsets one step takes on every noise stream: each replay adds it
 *                     to the backend's device offset counter
 * @param setLabels    for a conditional model, writes a batch's labels into the static device buffers
 *                     the captured step reads (outside the graph, before a replay); else null
 * @param release      frees what the target allocated for the graph (the label buffers), at the graph's close
 */
record StepTarget(Backend backend, Consumer<Tensor> checkInput, Consumer<Tensor> stepOnDevice, LongSupplier stepCount,
                  Supplier<long[]> saveCounters, Consumer<long[]> restoreCounters, LongConsumer shiftHostSteps,
                  long randomStride, Consumer<int[]> setLabels, Runnable release) {
    /** A target without labels and with nothing to release. */
    StepTarget(Backend backend, Consumer<Tensor> checkInput, Consumer<Tensor> stepOnDevice, LongSupplier stepCount,
               Supplier<long[]> saveCounters, Consumer<long[]> restoreCounters, LongConsumer shiftHostSteps, long randomStride) {
        this(backend, checkInput, stepOnDevice, stepCount, saveCounters, restoreCounters, shiftHostSteps, randomStride, null, () -> {});
    }
}
