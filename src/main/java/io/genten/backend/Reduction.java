package io.genten.backend;

/** How a loss reduces over elements: SUM, or MEAN over all elements (PyTorch's 'mean'). */
public enum Reduction { SUM, MEAN }
