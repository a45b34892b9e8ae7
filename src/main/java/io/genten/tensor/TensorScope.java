package io.genten.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Frees the temporaries of a step: every tensor created on this thread while the scope is the
 * innermost open one is closed when the scope closes, unless {@link #keep kept}.
 * <pre>{@code try (var scope = TensorScope.open()) { ... } }</pre>
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<TensorScope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private TensorScope() {}

    /**
     * Opens a scope on this thread; it becomes the innermost one until closed.
     *
     * @return the scope, to close in a try-with-resources
     */
    public static TensorScope open() {
        var scope = new TensorScope();
        OPEN.get().push(scope);
        return scope;
    }

    static void register(Tensor t) {
        var stack = OPEN.get();
        if (!stack.isEmpty()) stack.peek().owned.add(t);
    }

    /**
     * Moves {@code t} out of this scope to the enclosing one (or to no scope): it survives the close.
     * For a view, its owner moves too (closing the owner would end the view).
     *
     * @param t a tensor made in this scope
     * @return {@code t}
     */
    public Tensor keep(Tensor t) {
        if (t.isView()) move(t.root());
        move(t);
        return t;
    }

    private void move(Tensor t) {
        if (owned.remove(t)) {
            var stack = OPEN.get();
            var it = stack.iterator();
            while (it.hasNext()) {
                if (it.next() == this) {
                    if (it.hasNext()) it.next().owned.add(t);
                    break;
                }
            }
        }
    }

    /**
     * Number of tensors this scope will close.
     *
     * @return the count
     */
    public int size() { return owned.size(); }

    @Override public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread) throw new IllegalStateException("TensorScope closed on another thread than it was opened on");
        closed = true;
        var stack = OPEN.get();
        stack.remove(this);
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
    }
}
