package io.genten.backend;

import io.genten.tensor.Device;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** Argument checks shared by every backend: each failure names the op and the shapes. */
public final class Checks {
    private Checks() {}

    /**
     * Requires a rank.
     *
     * @param op   the op name for the message
     * @param name the argument's name
     * @param s    its shape
     * @param rank the required rank
     * @throws IllegalArgumentException otherwise
     */
    public static void rank(String op, String name, Shape s, int rank) {
        if (s.rank() != rank) throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + " but has shape " + s);
    }

    /**
     * Requires equal shapes.
     *
     * @param op the op name for the message
     * @param a  a tensor
     * @param b  another tensor
     * @throws IllegalArgumentException otherwise
     */
    public static void sameShape(String op, Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": shapes differ, " + a.shape() + " vs " + b.shape());
        }
    }

    /**
     * Requires a shape.
     *
     * @param op       the op name for the message
     * @param name     the argument's name
     * @param t        the tensor
     * @param expected the required shape
     * @throws IllegalArgumentException otherwise
     */
    public static void shape(String op, String name, Tensor t, Shape expected) {
        if (!t.shape().equals(expected)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + t.shape() + " but " + expected + " is required");
        }
    }

    /**
     * Every tensor open and on {@code device} (null tensors are skipped).
     *
     * @param op      the op name for the message
     * @param device  the backend's device
     * @param tensors the arguments
     * @throws IllegalStateException for a closed tensor
     * @throws IllegalArgumentException for a tensor on another device
     */
    public static void on(String op, Device device, Tensor... tensors) {
        for (var t : tensors) {
            if (t == null) continue;
            if (t.isClosed()) throw new IllegalStateException(op + ": tensor " + t.shape() + " used after close");
            if (!t.device().equals(device)) {
                throw new IllegalArgumentException(op + ": tensor " + t.shape() + " is on " + t.device() + " but this backend runs on " + device);
            }
        }
    }

    /**
     * Requires a number of elements.
     *
     * @param op     the op name for the message
     * @param t      the tensor
     * @param length the required element count
     * @throws IllegalArgumentException otherwise
     */
    public static void lengths(String op, Tensor t, int length) {
        if (t.numel() != length) {
            throw new IllegalArgumentException(op + ": tensor " + t.shape() + " must hold " + length + " values");
        }
    }
}
