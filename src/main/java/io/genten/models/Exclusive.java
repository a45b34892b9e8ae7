package io.genten.models;

import io.genten.backend.Backend;
import java.util.function.Supplier;

/**
 * Runs one inference call of a model: directly where the backend allows concurrent op calls (the
 * CPU), else holding the backend's monitor, so that threads sharing a model on CUDA take turns
 * instead of interleaving ops on one stream and one cuDNN handle.
 */
final class Exclusive {
    private Exclusive() {}

    static <T> T call(Backend backend, Supplier<T> body) {
        if (backend.supportsConcurrentCalls()) return body.get();
        synchronized (backend) {
            return body.get();
        }
    }
}
