package io.genten.models;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A cheap guard against sharing one model or trainer between threads for training. Training is not
 * thread-safe: a forward caches activations for its backward and the noise offset advances per
 * call, so two threads at once silently compute garbage. (Inference, the models' encode, decode,
 * generate and sample, caches nothing and may be shared; it only checks, with
 * {@link #checkNotTrainedElsewhere}, that no other thread is training the model meanwhile.) Each public entry point enters this guard; a second thread entering while the first is
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

    /**
     * For inference: fails fast when another thread is inside the guard (training the model), whose
     * weight updates the inference would read half-done. A check, not a lock: the models' contract
     * (no training while inference runs) still holds; this catches the common mistake.
     */
    void checkNotTrainedElsewhere(String op) {
        var other = owner.get();
        if (other != null && other != Thread.currentThread()) {
            throw new IllegalStateException(op + " called on thread \"" + Thread.currentThread().getName() + "\" while thread \""
                    + other.getName() + "\" trains the " + what + ": inference may be shared between threads, but not with training"
                    + " of the same model; infer from a copy (Checkpoint.save and load) or after the training step");
        }
    }

    private void exit() {
        if (--depth == 0) owner.set(null);
    }
}
