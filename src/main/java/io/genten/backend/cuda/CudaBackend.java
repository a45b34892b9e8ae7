package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.BatchNormGradients;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.BatchNormOutput;
import io.genten.backend.Checks;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.ConvImpl;
import io.genten.backend.GaussianGradients;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import io.genten.backend.Reduction;
import io.genten.backend.ReparamOutput;
import io.genten.backend.TransposedConvGradients;
import io.genten.tensor.Device;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA backend: our kernels in libgenten_cuda.so through FFM, cuBLAS for linear layers and,
 * when chosen, cuDNN for convolution and batch normalization, all queued on one stream.
 *
 * <p>Shape checks and output shapes are the CPU backend's (io.genten.backend.Checks, Conv2dSpec).
 * Every status is checked: a failure is a {@link CudaException} naming the op and the shapes (a
 * kernel fault that shows only later surfaces at the next synchronizing call; run with
 * {@code -Dgenten.cuda.syncEachOp=true} to pin it to its op). Memory comes from a
 * {@link CachingAllocator}; with {@code poison} every new tensor is filled with NaN first.
 *
 * <p>This class holds the device state (stream, allocator, handles, the random counter) and the
 * memory ops; each op family lives in its own class, next to its kernel file, as in the CPU backend:
 * {@link CudaConv} (conv.cu or cuDNN), {@link CudaBatchNorm} (batchnorm.cu or cuDNN),
 * {@link CudaLinear} (gemm.cu or cuBLAS), {@link CudaPointwise} (elementwise.cu),
 * {@link CudaReparam} (reparam.cu), {@link CudaLosses} (loss.cu), {@link CudaAdam} (adam.cu) and
 * {@link CudaConcat} (concat.cu, softmax_xent.cu).
 *
 * <p>Random ops read a device offset counter (0 unless advanced with {@link #advanceRandomOffset}),
 * so a captured graph can draw fresh numbers on every replay; eagerly they equal the CPU's.
 *
 * <p>Call it from one thread at a time (the device is made current in the constructor's thread;
 * with several GPUs call {@link #makeCurrent} in other threads).
 */
public final class CudaBackend implements Backend {
    private final CudaOptions options;
    private final Device device;
    private final boolean syncEachOp = Boolean.getBoolean("genten.cuda.syncEachOp");
    private final CudaAvailability availability;
    private MemorySegment stream = MemorySegment.NULL;
    private CachingAllocator allocator;
    /** Nesting of {@link #op} calls (one thread at a time, as the class says) and what the outermost op allocated so far. */
    private int opDepth;
    private final List<Tensor> opAllocations = new ArrayList<>();
    private CudaLinear linear;
    private CudnnOps cudnn;
    private CudaAdam adam;
    private CachingAllocator.Block randomOffset;
    /**
     * The names of the last ops queued, a ring (no allocation per op): a GPU reports a kernel fault at
     * a later launch or synchronization, so a fault's message lists the ops that may have caused it.
     */
    private final String[] recentOps = new String[8];
    private int recentOpsAt;
    /** Open graphs: destroyed by {@link #close} before the memory and the stream they reference. */
    private final List<CudaGraph> graphs = new ArrayList<>();
    private boolean closed;

    /**
     * Opens the CUDA backend on {@code options.device()}: a stream, cuBLAS and (when present) cuDNN handles, a caching allocator.
     *
     * @param options the device, math mode and implementations
     * @throws CudaUnavailableException when the CUDA backend cannot run here (the message says why)
     */
    public CudaBackend(CudaOptions options) {
        this.options = options;
        this.device = Device.cuda(options.device());
        this.availability = CudaAvailability.get();
        if (!availability.available()) throw new CudaUnavailableException("CUDA backend unavailable: " + availability.reason());
        if (options.device() >= availability.deviceCount()) {
            throw new IllegalArgumentException("cuda: device " + options.device() + " requested but " + availability.deviceCount() + " present");
        }
        if (options.linear() == LinearImpl.CUBLAS && !availability.cublasAvailable()) {
            throw new CudaUnavailableException("CUDA backend with cuBLAS (linear " + options.linear() + ") unavailable: "
                    + availability.cublasStatus());
        }
        if ((options.conv() == ConvImpl.CUDNN || options.batchNorm() == BatchNormImpl.CUDNN) && !availability.cudnnAvailable()) {
            throw new CudaUnavailableException("CUDA backend with cuDNN (conv " + options.conv() + ", batchnorm "
                    + options.batchNorm() + ") unavailable: " + availability.cudnnStatus());
        }
        try {
            makeCurrent();
            try (var arena = Arena.ofConfined()) {
                var out = arena.allocate(ADDRESS);
                CudaStatus.check(Native.streamCreate(out), "cuda backend", "(stream create)");
                stream = out.get(ADDRESS, 0);
            }
            allocator = new CachingAllocator(new NativeDeviceMemory());
            linear = new CudaLinear(this, options.linear() == LinearImpl.CUBLAS
                    ? new CublasGemm(stream, options.math(), allocator) : null);
            if (options.conv() == ConvImpl.CUDNN || options.batchNorm() == BatchNormImpl.CUDNN) {
                cudnn = new CudnnOps(stream, options.math(), allocator);
            }
            adam = new CudaAdam(this);
            randomOffset = allocator.allocate(8);
            resetRandomOffset();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Device 0, strict FP32, our kernels.
     *
     * @return a new backend
     */
    public static CudaBackend create() { return new CudaBackend(CudaOptions.defaults()); }

    /**
     * The options this backend was opened with.
     *
     * @return the options
     */
    public CudaOptions options() { return options; }

    /**
     * The availability report this backend was opened under.
     *
     * @return the report
     */
    public CudaAvailability availability() { return availability; }

    /**
     * The caching allocator's statistics: bytes in use ({@code allocatedBytes}, in
     * {@code blocksInUse} blocks), their peak, bytes cached on the free lists, bytes held from the
     * device, allocations served ({@code allocations}) and device allocations made
     * ({@code mallocCalls}). In a steady training loop, bytes in use and device allocations stay
     * flat after the first steps. The kernels' own scratch (split-K and reduction workspaces,
     * stream-ordered from the device's pool) is not counted here.
     *
     * @return a snapshot
     */
    public CachingAllocator.Stats memoryStats() { return allocator.stats(); }

    /**
     * Returns the allocator's cached blocks and the kernels' cached scratch to the device. The
     * backend does this itself before it throws a {@link CudaOutOfMemoryException}.
     */
    @Override public void emptyCache() {
        requireOpen();
        allocator.emptyCache();
        CudaStatus.check(Native.trimScratch(), "emptyCache", "(kernel scratch pool)");
    }

    /**
     * Sets the size of the CPU emulator's device memory (tests provoke out-of-memory with it; the
     * emulated device is one per process, shared by every backend in it).
     *
     * @param bytes the new size; 0 restores the default ({@code GENTEN_SIMT_MEMORY_MB} megabytes, else half the host's memory)
     * @throws UnsupportedOperationException on a real GPU
     */
    public void setEmulatedMemoryLimit(long bytes) {
        requireOpen();
        if (bytes < 0) throw new IllegalArgumentException("setEmulatedMemoryLimit: " + bytes + " bytes");
        if (!availability.emulated()) throw new UnsupportedOperationException("setEmulatedMemoryLimit: " + device + " is a real GPU, not the emulator");
        CudaStatus.check(Native.emulatorSetMemoryLimit(bytes), "setEmulatedMemoryLimit", bytes + " bytes");
    }

    /**
     * The device's free and total memory as the driver (or the emulator) reports them.
     *
     * @return {free, total} in bytes
     */
    public long[] deviceMemoryInfo() {
        requireOpen();
        try (var arena = Arena.ofConfined()) {
            var free = arena.allocate(JAVA_LONG);
            var total = arena.allocate(JAVA_LONG);
            CudaStatus.check(Native.memInfo(free, total), "deviceMemoryInfo");
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    /** Makes this backend's device current in the calling thread. */
    public void makeCurrent() { CudaStatus.check(Native.setDevice(options.device()), "cuda", "(set device " + options.device() + ")"); }

    CachingAllocator allocator() { return allocator; }

    /** cuDNN's handles and plans: null unless conv or batchnorm is CUDNN. */
    CudnnOps cudnn() { return cudnn; }

    /** The stream, for the package's other users (graphs, storage copies, timers): refused after close. */
    MemorySegment stream() {
        requireOpen();
        return stream;
    }

    /**
     * Whether {@link #close} was called: then every use of the backend or its tensors' memory is refused.
     *
     * @return true after close
     */
    public boolean isClosed() { return closed; }

    void requireOpen() {
        if (closed) throw new IllegalStateException("cuda backend used after close");
    }

    /**
     * Host reads and writes wait for the device, which a CUDA graph capture cannot do; worse, a copy
     * captured with a temporary host buffer would write into freed host memory on every replay.
     */
    void requireNotCapturing(String what) {
        if (allocator.isCapturing()) {
            throw new IllegalStateException(what + " during CUDA graph capture: the captured step must not wait for the device"
                    + " or copy to or from the host (item(), toArray(), copyFrom(), synchronize(), randomOffset())");
        }
    }

    void register(CudaGraph graph) { graphs.add(graph); }

    void unregister(CudaGraph graph) { graphs.remove(graph); }

    void afterCapture() { adam.forgetSteps(); }

    /** Checks the status of a native op (and with syncEachOp, of its kernels): a failure names the op and {@code detail}. */
    void check(int status, String op, String detail) {
        recentOps[recentOpsAt++ & 7] = op;
        verify(status, op, detail);
    }

    /** Checks the status of a native op on these tensors: a failure names the op and their shapes. */
    void check(int status, String op, Tensor... tensors) {
        recentOps[recentOpsAt++ & 7] = op;
        if (status != 0 || syncEachOp) verify(status, op, shapes(tensors));
    }

    private void verify(int status, String op, String detail) {
        if (status != 0) throw failure(status, op, detail);
        if (syncEachOp && !allocator.isCapturing()) {
            int s = Native.streamSynchronize(stream);
            if (s != 0) throw failure(s, op, detail + " (kernel)");
        }
    }

    /**
     * The exception for a failed status: out of memory (a kernel's workspace) empties the caches
     * first, so the caller can go on; a kernel fault says that the context is lost.
     */
    RuntimeException failure(int status, String op, String detail) {
        String where = op + (detail.isEmpty() ? "" : " " + detail);
        if (status == CudaStatus.OUT_OF_MEMORY) {
            var held = allocator.stats();
            String emptied = emptyCacheAfterFailure();
            return new CudaOutOfMemoryException(where + ": out of device memory for a kernel's workspace (" + CudaStatus.errorString(status)
                    + "); allocator held: " + held + "; " + deviceMemory() + "; " + emptied, status, -1, held);
        }
        if (CudaStatus.isKernelFault(status)) {
            return new CudaKernelFaultException(where + ": a kernel faulted: " + CudaStatus.errorString(status) + " (status " + status + ")"
                    + queuedBefore(op) + "; the CUDA context is lost for the rest of this process (a sticky error)", status, op);
        }
        return new CudaException(where + ": " + CudaStatus.errorString(status) + " (status " + status + ")", status);
    }

    /** On a GPU without syncEachOp, the fault may be an earlier queued op's: name the candidates. */
    private String queuedBefore(String op) {
        if (syncEachOp || availability.emulated()) return ""; // the emulator reports a fault at its own launch
        var ops = new ArrayList<String>();
        for (int i = 0; i < recentOps.length; i++) {
            String o = recentOps[(recentOpsAt + i) & 7];
            if (o != null) ops.add(o);
        }
        return "; a GPU reports a fault at the launch or synchronization after it, so it may come from one of the ops queued before "
                + op + " (most recent last: " + String.join(", ", ops) + "); -Dgenten.cuda.syncEachOp=true pins it to its op";
    }

    private String emptyCacheAfterFailure() {
        try {
            allocator.emptyCache();
            int s = Native.trimScratch();
            return s == 0 ? "the caches were emptied, the backend goes on" : "the allocator's cache was emptied (scratch trim: " + CudaStatus.errorString(s) + ")";
        } catch (RuntimeException e) {
            return "emptying the caches failed too: " + e.getMessage();
        }
    }

    /** "device: X MiB free of Y MiB", or why not known: for out-of-memory messages. */
    private String deviceMemory() {
        try {
            long[] m = deviceMemoryInfo();
            return String.format("device: %.1f MiB free of %.1f MiB", m[0] / 1048576.0, m[1] / 1048576.0);
        } catch (RuntimeException e) {
            return "device memory unknown (" + e.getMessage() + ")";
        }
    }

    static String shapes(Tensor... tensors) {
        var sb = new StringBuilder();
        for (var t : tensors) {
            if (t == null) continue;
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(t.shape());
        }
        return sb.toString();
    }

    static long address(Tensor t) {
        if (!(t.storage() instanceof CudaStorage s)) throw new IllegalArgumentException("tensor " + t.shape() + " on " + t.device() + " is not CUDA memory");
        return s.address();
    }

    static MemorySegment p(Tensor t) {
        return t == null ? MemorySegment.NULL : MemorySegment.ofAddress(address(t));
    }

    /** The device offset counter that every random op reads. */
    MemorySegment counter() {
        requireOpen();
        return MemorySegment.ofAddress(randomOffset.address());
    }

    // ---- identity ------------------------------------------------------------------------

    @Override public String name() { return "cuda"; }

    @Override public Device device() { return device; }

    @Override public String describe() {
        var a = availability;
        return device + ": " + a.deviceName() + (a.emulated() ? " (emulated on the CPU" : " (sm_" + a.capability())
                + "), driver " + a.driverVersion() + ", runtime " + a.runtimeVersion() + ", cuBLAS " + linear.cublasVersion()
                + ", cuDNN " + (a.cudnnAvailable() ? a.cudnnStatus() : "absent") + ", math " + options.math() + ", conv "
                + options.conv() + ", batchnorm " + options.batchNorm() + ", linear " + options.linear();
    }

    @Override public MathMode mathMode() { return options.math(); }

    int mathCode() {
        return switch (options.math()) {
            case FP32 -> 0;
            case TF32 -> 1;
            case FP32_3XTF32 -> 2;
        };
    }

    // ---- memory --------------------------------------------------------------------------

    /**
     * A new tensor for {@code op}'s result. Out of memory (after the allocator emptied its cache and
     * retried) also trims the kernels' scratch pool and names the op and the shape.
     */
    Tensor alloc(String op, Shape shape) {
        try {
            return alloc(shape);
        } catch (CudaOutOfMemoryException e) {
            throw outOfMemory(op + ": out of device memory for a result of shape " + shape + " (" + 4 * shape.numel() + " bytes)", e);
        } catch (CudaKernelFaultException e) {
            throw e; // the poison's launch met an earlier fault: its message names the suspects
        } catch (CudaException e) {
            // any other failed cudaMalloc (or poison launch) said only "genten_malloc": name the op, as every other failure does
            var named = new CudaException(op + ": no device memory for a result of shape " + shape + ": " + e.getMessage(), e.status());
            named.initCause(e);
            throw named;
        }
    }

    /**
     * The caching allocator's out-of-memory (its cache already emptied) named for its op: the
     * kernels' scratch pool is trimmed too, and the message gets what the device holds.
     * Exceptions the backend already named (no allocator statistics) pass unchanged.
     */
    CudaOutOfMemoryException outOfMemory(String what, CudaOutOfMemoryException e) {
        if (e.allocatorStats() == null) return e;
        String emptied = emptyCacheAfterFailure();
        return new CudaOutOfMemoryException(what + ": " + e.getMessage() + "; " + deviceMemory() + "; " + emptied, e.status(),
                e.requestedBytes(), e.allocatorStats());
    }

    private Tensor alloc(Shape shape) {
        requireOpen();
        long n = shape.numel();
        var block = allocator.allocate(Math.max(4, 4 * n));
        var t = new Tensor(shape, new CudaStorage(this, block, n));
        if (opDepth > 0) opAllocations.add(t);
        if (options.poison() && n > 0) {
            try {
                check(Native.fill(p(t), n, Float.NaN, stream), "poison", t);
            } catch (RuntimeException e) {
                t.close();
                throw e;
            }
        }
        return t;
    }

    /**
     * Runs one op: if it fails, every tensor it allocated (its outputs, its scratch) is closed
     * before the exception leaves, so a failed launch or copy outside a {@link io.genten.tensor.TensorScope}
     * leaves no device memory behind (inside one, the scope would close them later; closing twice
     * is a no-op). Ops called from inside another op belong to the outer one.
     */
    private <T> T op(java.util.function.Supplier<T> body) {
        if (opDepth++ > 0) {
            try {
                return body.get();
            } finally {
                opDepth--;
            }
        }
        try {
            T result = body.get();
            opAllocations.clear();
            return result;
        } catch (RuntimeException | Error e) {
            for (var t : opAllocations) t.close();
            opAllocations.clear();
            throw e;
        } finally {
            opDepth--;
        }
    }

    @Override public Tensor empty(Shape shape) { return alloc("empty", shape); }

    @Override public Tensor zeros(Shape shape) { return full(shape, 0f); }

    @Override public Tensor full(Shape shape, float value) { return op(() -> full("full", shape, value)); }

    /** {@link #full(Shape, float)} for an op's own scratch: a failure is named for that op. */
    Tensor full(String op, Shape shape, float value) {
        var t = alloc(op, shape);
        if (t.numel() > 0) check(Native.fill(p(t), t.numel(), value, stream), op, t);
        return t;
    }

    @Override public Tensor copyOf(Tensor t) { return op(() -> copy(t)); }

    private Tensor copy(Tensor t) {
        t.checkOpen();
        var out = alloc("copyOf", t.shape());
        if (t.numel() == 0) return out;
        if (t.device().equals(device) && t.storage() instanceof CudaStorage) {
            check(Native.memcpyD2d(p(out), p(t), 4 * t.numel(), stream), "copyOf", t);
        } else {
            var host = t.toArray();
            out.storage().write(0, host, 0, host.length);
        }
        return out;
    }

    @Override public void copyInto(Tensor src, Tensor dst) {
        Checks.on("copyInto", device, src, dst);
        if (src.numel() != dst.numel()) throw new IllegalArgumentException("copyInto: " + src.shape() + " into " + dst.shape());
        if (src.numel() > 0) check(Native.memcpyD2d(p(dst), p(src), 4 * src.numel(), stream), "copyInto", src, dst);
    }

    @Override public void fill(Tensor t, float value) {
        Checks.on("fill", device, t);
        if (t.numel() > 0) check(Native.fill(p(t), t.numel(), value, stream), "fill", t);
    }

    @Override public Tensor randn(Shape shape, long seed, long offset) { return op(() -> normal(shape, seed, offset)); }

    private Tensor normal(Shape shape, long seed, long offset) {
        var t = alloc("randn", shape);
        if (t.numel() > 0) check(Native.philoxNormal(p(t), t.numel(), seed, offset, counter(), stream), "randn", t);
        return t;
    }

    @Override public Tensor rand(Shape shape, long seed, long offset) { return op(() -> uniform(shape, seed, offset)); }

    private Tensor uniform(Shape shape, long seed, long offset) {
        var t = alloc("rand", shape);
        if (t.numel() > 0) check(Native.philoxUniform(p(t), t.numel(), seed, offset, counter(), stream), "rand", t);
        return t;
    }

    /**
     * Adds {@code by} to the device offset counter of every random op (queued: capturable).
     *
     * @param by the Philox offsets to skip
     */
    public void advanceRandomOffset(long by) {
        check(Native.counterAdd(counter(), by, stream), "advanceRandomOffset", "by " + by);
    }

    /**
     * The device offset counter (synchronizes).
     *
     * @return the counter's value
     */
    public long randomOffset() {
        requireNotCapturing("randomOffset");
        try (var arena = Arena.ofConfined()) {
            var host = arena.allocate(JAVA_LONG);
            check(Native.memcpyD2h(host, counter(), 8, stream), "randomOffset", "");
            synchronize();
            return host.get(JAVA_LONG, 0);
        }
    }

    /** Sets the device offset counter back to 0 (synchronizes; not capturable). */
    public void resetRandomOffset() {
        requireNotCapturing("resetRandomOffset");
        try (var arena = Arena.ofConfined()) {
            var host = arena.allocate(JAVA_LONG);
            host.set(JAVA_LONG, 0, 0L);
            check(Native.memcpyH2d(counter(), host, 8, stream), "resetRandomOffset", "");
            synchronize();
        }
    }

    @Override public void synchronize() {
        requireOpen();
        requireNotCapturing("synchronize");
        int status = Native.streamSynchronize(stream);
        if (status != 0) throw failure(status, "synchronize", "");
    }

    // ---- convolution and bias: CudaConv (conv.cu or cuDNN; elementwise.cu) --------------------

    @Override public Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        return op(() -> CudaConv.forward(this, x, w, bias, spec, Activation.IDENTITY));
    }

    @Override public Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Activation act) {
        return op(() -> CudaConv.forward(this, x, w, bias, spec, act));
    }

    @Override public Tensor conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        return op(() -> CudaConv.backwardData(this, dy, w, xShape, spec));
    }

    @Override public Tensor conv2dBackwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        return op(() -> CudaConv.backwardFilter(this, dy, x, wShape, spec));
    }

    @Override public TransposedConvGradients convTranspose2dBackward(Tensor dy, Tensor x, Tensor w, Conv2dSpec spec, boolean weightGradient) {
        return op(() -> Backend.super.convTranspose2dBackward(dy, x, w, spec, weightGradient)); // both outputs go if the second fails
    }

    @Override public void addBiasInPlace(Tensor y, Tensor bias) { CudaConv.addBiasInPlace(this, y, bias); }

    @Override public Tensor biasGradient(Tensor dy) { return op(() -> CudaConv.biasGradient(this, dy)); }

    // ---- batchnorm: CudaBatchNorm (batchnorm.cu or cuDNN) ---------------------------------------

    @Override public BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                           Tensor runningVar, float momentum, float eps) {
        return op(() -> CudaBatchNorm.trainForward(this, x, gamma, beta, runningMean, runningVar, momentum, eps, Activation.IDENTITY));
    }

    @Override public BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                           Tensor runningVar, float momentum, float eps, Activation act) {
        return op(() -> CudaBatchNorm.trainForward(this, x, gamma, beta, runningMean, runningVar, momentum, eps, act));
    }

    @Override public BatchNormGradients batchNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        return op(() -> CudaBatchNorm.backward(this, dy, x, gamma, saveMean, saveInvStd));
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps) {
        return op(() -> CudaBatchNorm.inference(this, x, gamma, beta, runningMean, runningVar, eps, Activation.IDENTITY));
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps,
                                               Activation act) {
        return op(() -> CudaBatchNorm.inference(this, x, gamma, beta, runningMean, runningVar, eps, act));
    }

    // ---- linear: CudaLinear (gemm.cu or cuBLAS) ---------------------------------------------

    @Override public Tensor linearForward(Tensor x, Tensor w, Tensor bias) { return op(() -> linear.forward(x, w, bias)); }

    @Override public Tensor linearBackwardData(Tensor dy, Tensor w) { return op(() -> linear.backwardData(dy, w)); }

    @Override public Tensor linearBackwardWeight(Tensor dy, Tensor x) { return op(() -> linear.backwardWeight(dy, x)); }

    // ---- pointwise and reductions: CudaPointwise (elementwise.cu) -------------------------------

    @Override public Tensor activationForward(Activation act, Tensor x) { return op(() -> CudaPointwise.activationForward(this, act, x)); }

    @Override public Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy) {
        return op(() -> CudaPointwise.activationBackward(this, act, x, y, dy));
    }

    @Override public Tensor dropoutForward(Tensor x, float p, long seed, long offset) {
        return op(() -> CudaPointwise.dropout(this, "dropoutForward", x, p, seed, offset));
    }

    @Override public Tensor dropoutBackward(Tensor dy, float p, long seed, long offset) {
        return op(() -> CudaPointwise.dropout(this, "dropoutBackward", dy, p, seed, offset));
    }

    @Override public Tensor add(Tensor a, Tensor b) { return op(() -> CudaPointwise.add(this, a, b)); }

    @Override public void addInPlace(Tensor acc, Tensor x) { CudaPointwise.addInPlace(this, acc, x); }

    @Override public Tensor scale(Tensor a, float s) { return op(() -> CudaPointwise.scale(this, a, s)); }

    @Override public Tensor sum(Tensor t) { return op(() -> CudaPointwise.reduce(this, "sum", t, 1f, 0f)); }

    @Override public Tensor mean(Tensor t) {
        return op(() -> CudaPointwise.reduce(this, "mean", t, t.numel() == 0 ? 1f : (float) (1.0 / t.numel()), Float.NaN));
    }

    // ---- VAE: CudaReparam (reparam.cu) -----------------------------------------------------------

    @Override public ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset) {
        return op(() -> CudaReparam.forward(this, mu, logvar, seed, offset));
    }

    @Override public Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps) { return op(() -> CudaReparam.forward(this, mu, logvar, eps)); }

    @Override public GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale) {
        return op(() -> CudaReparam.backward(this, dz, mu, logvar, eps, klScale));
    }

    @Override public Tensor klDivergence(Tensor mu, Tensor logvar) { return op(() -> CudaReparam.klDivergence(this, mu, logvar)); }

    @Override public GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale) { return op(() -> CudaReparam.klBackward(this, mu, logvar, scale)); }

    // ---- losses: CudaLosses (loss.cu) ------------------------------------------------------------

    @Override public Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction) {
        return op(() -> CudaLosses.bceWithLogits(this, logits, targets, reduction));
    }

    @Override public Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        return op(() -> CudaLosses.bceWithLogitsBackward(this, logits, targets, reduction, scale));
    }

    @Override public Tensor mse(Tensor prediction, Tensor target, Reduction reduction) { return op(() -> CudaLosses.mse(this, prediction, target, reduction)); }

    @Override public Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale) {
        return op(() -> CudaLosses.mseBackward(this, prediction, target, reduction, scale));
    }

    // ---- optimizer: CudaAdam (adam.cu) -----------------------------------------------------------

    @Override public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step) {
        adam.step(params, grads, m, v, config, step);
    }

    // ---- lifetime ------------------------------------------------------------------------------

    /**
     * Waits for queued work, then destroys the graphs still open, releases cuBLAS/cuDNN handles, the
     * allocator's cache and the stream. Tensors still open must not be used any more (that is an
     * IllegalStateException); closing them frees their memory.
     */
    @Override public void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        if (stream.address() != 0) {
            try {
                CudaStatus.check(Native.streamSynchronize(stream), "cuda backend close", "(synchronize)");
            } catch (RuntimeException e) {
                first = e;
            }
        }
        // a graph references the memory and the stream freed below: destroy it first (the stream is idle)
        for (var g : List.copyOf(graphs)) {
            try {
                g.destroy();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        graphs.clear();
        try {
            if (adam != null) adam.close();
            if (randomOffset != null) allocator.release(randomOffset);
            if (cudnn != null) cudnn.close();
            if (linear != null) linear.close();
            if (allocator != null) allocator.close();
        } catch (RuntimeException e) {
            if (first == null) first = e;
        }
        if (stream.address() != 0) {
            int status = Native.streamDestroy(stream);
            if (status != 0 && first == null) first = new CudaException("cuda backend close: " + CudaStatus.errorString(status), status);
        }
        if (first != null) throw first;
    }

    // ---- the extra models' ops (concat, slice, softmax cross-entropy): CudaConcat ------------

    @Override public Tensor concat(List<Tensor> parts) { return op(() -> CudaConcat.concat(this, parts)); }

    @Override public Tensor slice(Tensor x, int start, int length) { return op(() -> CudaConcat.slice(this, x, start, length)); }

    @Override public Tensor softmaxCrossEntropy(Tensor logits, Tensor targets, Reduction reduction) {
        return op(() -> CudaConcat.softmaxCrossEntropy(this, logits, targets, reduction));
    }

    @Override public Tensor softmaxCrossEntropyBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        return op(() -> CudaConcat.softmaxCrossEntropyBackward(this, logits, targets, reduction, scale));
    }
}
