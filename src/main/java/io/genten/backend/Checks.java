package io.genten.backend;

import io.genten.tensor.Device;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** Argument checks shared by every backend: each failure names the op and the shapes. */
public final class Checks {
    private Checks() {}

    public static void rank(String op, String name, Shape s, int rank) {
        if (s.rank() != rank) throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + " but has shape " + s);
    }

    public static void sameShape(String op, Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": shapes differ, " + a.shape() + " vs " + b.shape());
        }
    }

    public static void shape(String op, String name, Tensor t, Shape expected) {
        if (!t.shape().equals(expected)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + t.shape() + " but " + expected + " is required");
        }
    }

    /** Every tensor open and on {@code device}. */
    public static void on(String op, Device device, Tensor... tensors) {
        for (var t : tensors) {
            if (t == null) continue;
            if (t.isClosed()) throw new IllegalStateException(op + ": tensor " + t.shape() + " used after close");
            if (!t.device().equals(device)) {
                throw new IllegalArgumentException(op + ": tensor " + t.shape() + " is on " + t.device() + " but this backend runs on " + device);
            }
        }
    }

    public static void lengths(String op, Tensor t, int length) {
        if (t.numel() != length) {
            throw new IllegalArgumentException(op + ": tensor " + t.shape() + " must hold " + length + " values");
        }
    }
}
