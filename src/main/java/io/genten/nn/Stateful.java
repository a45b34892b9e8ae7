package io.genten.nn;

import io.genten.tensor.Tensor;
import java.util.Map;

/**
 * Something whose weights are a state dict: every {@link Module} and every model of
 * {@code io.genten.models}. What {@code Checkpoint} saves and loads.
 */
public interface Stateful {
    /**
     * Every parameter and buffer by PyTorch state-dict name.
     *
     * @return the live tensors (not copies), in a stable order
     */
    Map<String, Tensor> stateDict();

    /**
     * Copies the values in (from any device). Mismatched names or shapes throw
     * {@link IllegalArgumentException} and change nothing.
     *
     * @param state tensors by state-dict name; not closed
     */
    void loadStateDict(Map<String, Tensor> state);
}
