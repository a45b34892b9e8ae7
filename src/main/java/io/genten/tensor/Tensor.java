package io.genten.tensor;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A float32 tensor: a shape over a storage on some device. Tensors own their memory and are
 * {@link AutoCloseable}; a tensor made while a {@link TensorScope} is open is closed with it.
 * A {@link #reshape reshaped} view shares the storage of its root and dies with it.
 * Any use after close throws {@link IllegalStateException}.
 */
public final class Tensor implements AutoCloseable {
    private static final AtomicLong LIVE = new AtomicLong();
    private static final boolean TRACK = Boolean.getBoolean("genten.debug.alloc");
    private static final Map<Tensor, Throwable> ALLOCATION_SITES = new ConcurrentHashMap<>();

    private final Shape shape;
    private final Storage storage;
    private final Tensor root; // this for an owner, the owner for a view
    private volatile boolean closed;

    /**
     * Wraps storage that this tensor will own. Registers with the innermost open scope.
     *
     * @param shape   the dimensions
     * @param storage memory of at least {@code shape.numel()} floats, owned from now on
     */
    public Tensor(Shape shape, Storage storage) {
        if (storage.length() < shape.numel()) {
            throw new IllegalArgumentException("storage of " + storage.length() + " floats is too small for shape " + shape);
        }
        this.shape = shape;
        this.storage = storage;
        this.root = this;
        LIVE.incrementAndGet();
        if (TRACK) ALLOCATION_SITES.put(this, new Throwable("tensor " + shape + " allocated here"));
        TensorScope.register(this);
    }

    private Tensor(Shape shape, Tensor root) {
        this.shape = shape;
        this.storage = root.storage;
        this.root = root;
    }

    // ---- host constructors -------------------------------------------------------------

    /**
     * A host tensor over a copy of {@code data}.
     *
     * @param data the values in row-major (C) order
     * @param dims the dimensions; their product must be {@code data.length}
     * @return a new CPU tensor
     */
    public static Tensor of(float[] data, int... dims) {
        var shape = Shape.of(dims);
        if (data.length != shape.numel()) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values do not fill shape " + shape);
        }
        return new Tensor(shape, new HostStorage(data.clone()));
    }

    /**
     * A host tensor that takes {@code data} without copying.
     *
     * @param data  the values in row-major (C) order; the tensor uses this array
     * @param shape the dimensions; their product must be {@code data.length}
     * @return a new CPU tensor
     */
    public static Tensor wrap(float[] data, Shape shape) {
        if (data.length != shape.numel()) {
            throw new IllegalArgumentException("Tensor.wrap: " + data.length + " values do not fill shape " + shape);
        }
        return new Tensor(shape, new HostStorage(data));
    }

    /**
     * A host tensor of zeros.
     *
     * @param dims the dimensions
     * @return a new CPU tensor
     */
    public static Tensor zeros(int... dims) {
        var shape = Shape.of(dims);
        return new Tensor(shape, new HostStorage(new float[shape.size()]));
    }

    /**
     * A host tensor with every element {@code value}.
     *
     * @param value the value
     * @param dims  the dimensions
     * @return a new CPU tensor
     */
    public static Tensor full(float value, int... dims) {
        var shape = Shape.of(dims);
        var data = new float[shape.size()];
        Arrays.fill(data, value);
        return new Tensor(shape, new HostStorage(data));
    }

    /**
     * A rank-0 host tensor.
     *
     * @param value its one value
     * @return a new CPU tensor of shape ()
     */
    public static Tensor scalar(float value) {
        return new Tensor(Shape.scalar(), new HostStorage(new float[] {value}));
    }

    /**
     * Standard normal values from Philox4x32-10 keyed by (seed, offset); identical on every backend.
     *
     * @param seed   the Philox key
     * @param offset the stream position (a new offset gives independent values)
     * @param dims   the dimensions
     * @return a new CPU tensor
     */
    public static Tensor randn(long seed, long offset, int... dims) {
        var shape = Shape.of(dims);
        var data = new float[shape.size()];
        Philox.fillNormal(seed, offset, data);
        return new Tensor(shape, new HostStorage(data));
    }

    /**
     * Uniform values in [0, 1) from Philox4x32-10 keyed by (seed, offset).
     *
     * @param seed   the Philox key
     * @param offset the stream position
     * @param dims   the dimensions
     * @return a new CPU tensor
     */
    public static Tensor rand(long seed, long offset, int... dims) {
        var shape = Shape.of(dims);
        var data = new float[shape.size()];
        Philox.fillUniform(seed, offset, data);
        return new Tensor(shape, new HostStorage(data));
    }

    // ---- accessors ---------------------------------------------------------------------

    /**
     * The dimensions.
     *
     * @return the shape
     */
    public Shape shape() { return shape; }

    /**
     * One dimension.
     *
     * @param i the axis, from 0
     * @return the size of axis {@code i}
     */
    public int dim(int i) { return shape.dim(i); }

    /**
     * The number of dimensions.
     *
     * @return the rank (0 for a scalar)
     */
    public int rank() { return shape.rank(); }

    /**
     * The number of elements.
     *
     * @return the product of the dimensions
     */
    public long numel() { return shape.numel(); }

    /**
     * Where the memory lives.
     *
     * @return the device of the storage
     */
    public Device device() { return storage.device(); }

    /**
     * The storage, for backends.
     *
     * @return the memory behind this tensor (shared with its views)
     * @throws IllegalStateException when the tensor is closed
     */
    public Storage storage() {
        checkOpen();
        return storage;
    }

    /**
     * The host array behind a CPU tensor (no copy); for the CPU backend and tests.
     *
     * @return the backing array
     * @throws IllegalArgumentException when the tensor is not on the host
     */
    public float[] hostArray() {
        checkOpen();
        if (!(storage instanceof HostStorage h)) {
            throw new IllegalArgumentException("tensor " + shape + " lives on " + device() + ", not the host");
        }
        return h.array();
    }

    /**
     * A view with another shape of the same number of elements; no copy. -1 infers one dimension.
     *
     * @param dims the new dimensions, at most one of them -1
     * @return a view sharing this tensor's storage (closing it does nothing; closing the owner ends it)
     */
    public Tensor reshape(int... dims) {
        checkOpen();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape " + shape + " -> " + Arrays.toString(dims) + ": more than one -1");
                infer = i;
            } else known *= dims[i];
        }
        int[] d = dims.clone();
        if (infer >= 0) {
            if (known == 0 || shape.numel() % known != 0) {
                throw new IllegalArgumentException("reshape " + shape + " -> " + Arrays.toString(dims) + ": cannot infer -1");
            }
            d[infer] = (int) (shape.numel() / known);
        }
        var target = Shape.of(d);
        if (target.numel() != shape.numel()) {
            throw new IllegalArgumentException("reshape " + shape + " -> " + target + ": element counts differ");
        }
        return new Tensor(target, root);
    }

    /**
     * {@link #reshape(int...)} to {@code target}.
     *
     * @param target the new shape
     * @return a view sharing this tensor's storage
     */
    public Tensor reshape(Shape target) { return reshape(target.dims()); }

    /**
     * Copies the values to a new Java array (synchronizing with the device if needed).
     *
     * @return the values in row-major order
     */
    public float[] toArray() {
        checkOpen();
        var out = new float[shape.size()];
        storage.read(0, out, 0, out.length);
        return out;
    }

    /**
     * Overwrites the values from a Java array of exactly numel() floats.
     *
     * @param values the new values in row-major order
     */
    public void copyFrom(float[] values) {
        checkOpen();
        if (values.length != shape.numel()) {
            throw new IllegalArgumentException("copyFrom: " + values.length + " values into tensor " + shape);
        }
        storage.write(0, values, 0, values.length);
    }

    /**
     * The single value of a one-element tensor (a host read: synchronizes with the device).
     *
     * @return the value
     */
    public float item() {
        checkOpen();
        if (shape.numel() != 1) throw new IllegalArgumentException("item() of tensor " + shape + " with " + shape.numel() + " elements");
        var out = new float[1];
        storage.read(0, out, 0, 1);
        return out[0];
    }

    /**
     * Whether the memory is freed.
     *
     * @return true once this tensor (or, for a view, its owner) is closed
     */
    public boolean isClosed() { return root.closed; }

    /**
     * Whether this is a {@link #reshape reshaped} view of another tensor.
     *
     * @return true for a view, false for the owner of its storage
     */
    public boolean isView() { return root != this; }

    /** The tensor that owns this one's storage: itself, or a view's owner. */
    Tensor root() { return root; }

    /**
     * Throws unless the tensor is usable.
     *
     * @throws IllegalStateException when the tensor is closed
     */
    public void checkOpen() {
        if (root.closed) throw new IllegalStateException("tensor " + shape + " on " + storage.device() + " used after close");
    }

    /** Frees the memory (for the owner) or does nothing (for a view). Idempotent. */
    @Override public void close() {
        if (root != this || closed) return;
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        storage.free();
        LIVE.decrementAndGet();
        if (TRACK) ALLOCATION_SITES.remove(this);
    }

    /**
     * Tensors made and not yet closed, process-wide: for leak tests.
     *
     * @return the count of live owning tensors
     */
    public static long liveCount() { return LIVE.get(); }

    /**
     * Where each live tensor was allocated; empty unless run with -Dgenten.debug.alloc=true.
     *
     * @return a snapshot: each live tensor and a throwable whose stack trace is its allocation site
     */
    public static Map<Tensor, Throwable> liveAllocationSites() { return Map.copyOf(ALLOCATION_SITES); }

    @Override public String toString() {
        return "Tensor" + shape + "@" + storage.device() + (root.closed ? " (closed)" : "");
    }
}
