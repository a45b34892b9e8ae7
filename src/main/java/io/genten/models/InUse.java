package io.genten.models;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A cheap guard against sharing one model or trainer between threads. Models and trainers are not
 * thread-safe: a forward caches activations for its backward, sampling flips the model to eval
 * mode and back, and the noise offset advances per call, so two threads at once silently compute
 * garbage. Each public entry point enters this guard; a second thread entering while the first is
 * inside gets an {@link IllegalStateException} that says so. The owning thread may re-enter
 * (a trainer's step calls the model's forward). Cost: one compare-and-set per call.
 */
final class InUse {
    /** Leaving the guard; close() throws nothing. */
    interface Entered extends AutoCloseable {
        @Override void close();
    }

    private final String what;
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private int depth; // touched only by the owner
    private final Entered exit = this::exit;

    InUse(String what) { this.what = what; }

    Entered enter() {
        var me = Thread.currentThread();
        if (owner.get() != me && !owner.compareAndSet(null, me)) {
            var other = owner.get();
            throw new IllegalStateException(what + " is in use by thread \"" + (other == null ? "?" : other.getName()) + "\" while thread \""
                    + me.getName() + "\" called it: a model and its trainer are not thread-safe; give each thread its own model, or synchronize");
        }
        depth++;
        return exit;
    }

    private void exit() {
        if (--depth == 0) owner.set(null);
    }
}
