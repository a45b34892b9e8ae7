package io.genten.models;

import io.genten.tensor.Tensor;
import java.util.Map;

/**
 * What {@link TrainingState} saves and restores of the extra models' trainers ({@link GanPairTrainer},
 * {@link DenseVaeTrainer}): Adam's moments, the step count and the noise offset.
 */
public interface Resumable {
    /** The checkpoint kind of the trained model. */
    String kind();

    /** The trained model (its weights go into the training state too). */
    GenerativeModel model();

    /** Adam's moments by name (live tensors). */
    Map<String, Tensor> optimizerState();

    long stepCount();

    /** The offset of the next noise draw. */
    long noiseOffset();

    /** Continues a run after {@code steps} steps from the saved moments and noise offset. */
    void restore(Map<String, Tensor> optimizerState, long steps, long noiseOffset);
}
