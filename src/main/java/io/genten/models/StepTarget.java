package io.genten.models;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * What {@link GraphedStep} needs of a trainer, without making it public API: the device-only step,
 * its input check, the step count, and a way to move the host-side counters (Philox offsets, Adam
 * steps) by a number of steps, for the step a capture only recorded and the steps replays ran.
 *
 * @param randomStride the Philox offsets one step takes on every noise stream: each replay adds it
 *                     to the backend's device offset counter
 */
record StepTarget(Backend backend, Consumer<Tensor> checkInput, Consumer<Tensor> stepOnDevice, LongSupplier stepCount,
                  LongConsumer shiftHostSteps, long randomStride) {}
