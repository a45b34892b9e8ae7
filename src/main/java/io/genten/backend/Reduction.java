package io.genten.backend;

/** How a loss reduces over elements: SUM, or MEAN over all elements (PyTorch's 'mean'). */
public enum Reduction {
    /** The sum over all elements. */
    SUM,
    /** The mean over all elements. */
    MEAN
}
