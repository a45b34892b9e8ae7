package io.genten.models;

import io.genten.tensor.Tensor;
import java.util.Map;

/**
 * What {@link TrainingState} saves and restores of the extra models' trainers ({@link GanPairTrainer},
 * {@link DenseVaeTrainer}): Adam's moments, the step count and the noise offset.
 */
public interface Resumable {
    /**
     * The checkpoint kind of the trained model.
     *
     * @return the kind
     */
    String kind();

    /**
     * The trained model (its weights go into the training state too).
     *
     * @return the model
     */
    GenerativeModel model();

    /**
     * Adam's moments by name (live tensors).
     *
     * @return the moments by name
     */
    Map<String, Tensor> optimizerState();

    /**
     * The number of optimizer steps taken.
     *
     * @return the step count
     */
    long stepCount();

    /**
     * The offset of the next noise draw.
     *
     * @return the noise offset
     */
    long noiseOffset();

    /**
     * Continues a run after {@code steps} steps from the saved moments and noise offset.
     *
     * @param optimizerState the saved moments by name
     * @param steps          the number of steps taken
     * @param noiseOffset    the offset of the next noise draw
     */
    void restore(Map<String, Tensor> optimizerState, long steps, long noiseOffset);
}
