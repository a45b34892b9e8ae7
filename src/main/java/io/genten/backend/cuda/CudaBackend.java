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
 * <p>Random ops read a device offset counter (0 unless advanced with {@link #advanceRandomOffset}),
 * so a captured graph can draw fresh numbers on every replay; eagerly they equal the CPU's.
 *
 * <p>Call it from one thread at a time (the device is made current in the constructor's thread;
 * with several GPUs call {@link #makeCurrent} in other threads).
 */
public final class CudaBackend implements Backend {
    private static final int ACT_IDENTITY = 0, ACT_RELU = 1, ACT_LEAKY_RELU = 2, ACT_TANH = 3, ACT_SIGMOID = 4;

    private final CudaOptions options;
    private final Device device;
    private final boolean syncEachOp = Boolean.getBoolean("genten.cuda.syncEachOp");
    private final CudaAvailability availability;
    private MemorySegment stream = MemorySegment.NULL;
    private CachingAllocator allocator;
    private CudaLinear linear;
    private CudnnOps cudnn;
    private CudaAdam adam;
    private CachingAllocator.Block randomOffset;
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
     * Allocator statistics, for tests and {@code genten info}.
     *
     * @return a snapshot
     */
    public CachingAllocator.Stats memoryStats() { return allocator.stats(); }

    /** Frees the allocator's cached blocks (e.g. after catching a {@link CudaOutOfMemoryException}). */
    public void emptyCache() { allocator.emptyCache(); }

    /** Makes this backend's device current in the calling thread. */
    public void makeCurrent() { CudaStatus.check(Native.setDevice(options.device()), "cuda", "(set device " + options.device() + ")"); }

    CachingAllocator allocator() { return allocator; }

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

    void check(int status, String op, String detail) {
        CudaStatus.check(status, op, detail);
        if (syncEachOp && !allocator.isCapturing()) CudaStatus.check(Native.streamSynchronize(stream), op, detail + " (kernel)");
    }

    void check(int status, String op, Tensor... tensors) {
        if (status != 0 || syncEachOp) check(status, op, shapes(tensors));
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

    private MemorySegment counter() {
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

    Tensor alloc(Shape shape) {
        requireOpen();
        long n = shape.numel();
        var block = allocator.allocate(Math.max(4, 4 * n));
        var t = new Tensor(shape, new CudaStorage(this, block, n));
        if (options.poison() && n > 0) check(Native.fill(p(t), n, Float.NaN, stream), "poison", t);
        return t;
    }

    @Override public Tensor empty(Shape shape) { return alloc(shape); }

    @Override public Tensor zeros(Shape shape) { return full(shape, 0f); }

    @Override public Tensor full(Shape shape, float value) {
        var t = alloc(shape);
        if (t.numel() > 0) check(Native.fill(p(t), t.numel(), value, stream), "full", t);
        return t;
    }

    @Override public Tensor copyOf(Tensor t) {
        t.checkOpen();
        var out = alloc(t.shape());
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

    @Override public Tensor randn(Shape shape, long seed, long offset) {
        var t = alloc(shape);
        if (t.numel() > 0) check(Native.philoxNormal(p(t), t.numel(), seed, offset, counter(), stream), "randn", t);
        return t;
    }

    @Override public Tensor rand(Shape shape, long seed, long offset) {
        var t = alloc(shape);
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
        CudaStatus.check(Native.streamSynchronize(stream), "synchronize");
    }

    // ---- convolution -----------------------------------------------------------------------

    @Override public Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        return conv2dForward(x, w, bias, spec, Activation.IDENTITY);
    }

    /** Bias and activation in our kernel's epilogue; after cuDNN, in one in-place pass. */
    @Override public Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Activation act) {
        String op = "conv2dForward";
        Checks.on(op, device, x, w, bias);
        var yShape = spec.outputShape(op, x.shape(), w.shape());
        if (bias != null) Checks.lengths(op, bias, w.dim(0));
        var y = alloc(yShape);
        if (y.numel() == 0) return y;
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3), k = w.dim(0), r = w.dim(2);
        int oh = yShape.dim(2), ow = yShape.dim(3);
        if (options.conv() == ConvImpl.CUDNN) {
            cudnn.convForward(op, x.shape(), w.shape(), yShape, spec.stride(), spec.padding(), address(x), address(w), address(y));
            if (bias != null) check(Native.biasActivation(p(y), p(bias), n, k, oh * ow, actCode(act), actAlpha(act), stream), op, x, w, bias);
            else activateInPlace(op, act, y);
        } else {
            check(Native.conv2dForward(p(x), p(w), p(bias), p(y), n, c, h, wd, k, r, spec.stride(), spec.padding(), oh, ow,
                    mathCode(), actCode(act), actAlpha(act), stream), op, x, w, bias);
        }
        return y;
    }

    @Override public Tensor conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        String op = "conv2dBackwardData";
        Checks.on(op, device, dy, w);
        Checks.rank(op, "xShape", xShape, 4);
        Checks.shape(op, "dy", dy, spec.outputShape(op, xShape, w.shape()));
        var dx = alloc(xShape);
        if (dx.numel() == 0) return dx;
        if (dy.numel() == 0) {
            fill(dx, 0f);
            return dx;
        }
        if (options.conv() == ConvImpl.CUDNN) {
            cudnn.convBackwardData(op, xShape, w.shape(), dy.shape(), spec.stride(), spec.padding(), address(dy), address(w), address(dx));
        } else {
            check(Native.conv2dBackwardData(p(dy), p(w), p(dx), xShape.dim(0), xShape.dim(1), xShape.dim(2), xShape.dim(3),
                    w.dim(0), w.dim(2), spec.stride(), spec.padding(), dy.dim(2), dy.dim(3), mathCode(), stream), op, dy, w);
        }
        return dx;
    }

    @Override public Tensor conv2dBackwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        String op = "conv2dBackwardFilter";
        Checks.on(op, device, dy, x);
        Checks.rank(op, "wShape", wShape, 4);
        Checks.shape(op, "dy", dy, spec.outputShape(op, x.shape(), wShape));
        var dw = alloc(wShape);
        if (dw.numel() == 0) return dw;
        if (dy.numel() == 0) {
            fill(dw, 0f);
            return dw;
        }
        if (options.conv() == ConvImpl.CUDNN) {
            cudnn.convBackwardFilter(op, x.shape(), wShape, dy.shape(), spec.stride(), spec.padding(), address(dy), address(x), address(dw));
        } else {
            check(Native.conv2dBackwardFilter(p(dy), p(x), p(dw), x.dim(0), x.dim(1), x.dim(2), x.dim(3), wShape.dim(0), wShape.dim(2),
                    spec.stride(), spec.padding(), dy.dim(2), dy.dim(3), mathCode(), stream), op, dy, x);
        }
        return dw;
    }

    @Override public void addBiasInPlace(Tensor y, Tensor bias) {
        String op = "addBiasInPlace";
        Checks.on(op, device, y, bias);
        if (y.rank() < 2 || bias.rank() != 1 || bias.dim(0) != y.dim(1)) {
            throw new IllegalArgumentException(op + ": bias " + bias.shape() + " does not match the channels of " + y.shape());
        }
        int n = y.dim(0), c = y.dim(1);
        if (y.numel() == 0) return;
        int hw = Math.toIntExact(y.numel() / ((long) n * c));
        check(Native.biasActivation(p(y), p(bias), n, c, hw, ACT_IDENTITY, 0f, stream), op, y, bias);
    }

    @Override public Tensor biasGradient(Tensor dy) {
        String op = "biasGradient";
        Checks.on(op, device, dy);
        if (dy.rank() < 2) throw new IllegalArgumentException(op + ": dy " + dy.shape() + " must have rank >= 2 (N, C, ...)");
        int n = dy.dim(0), c = dy.dim(1);
        int hw = n * c == 0 ? 0 : Math.toIntExact(dy.numel() / ((long) n * c));
        var out = alloc(Shape.of(c));
        if (c == 0) return out;
        if (dy.numel() == 0) {
            fill(out, 0f);
            return out;
        }
        check(Native.channelSum(p(dy), p(out), n, c, hw, stream), op, dy);
        return out;
    }

    // ---- batchnorm ---------------------------------------------------------------------------

    private static int[] bnDims(String op, Tensor x) {
        if (x.rank() != 2 && x.rank() != 4) throw new IllegalArgumentException(op + ": x " + x.shape() + " must have rank 2 or 4");
        int n = x.dim(0), c = x.dim(1), hw = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1;
        return new int[] {n, c, hw};
    }

    private boolean cudnnBatchNorm(float eps) {
        return options.batchNorm() == BatchNormImpl.CUDNN && eps >= CudnnOps.minEpsilon();
    }

    @Override public BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                           Tensor runningVar, float momentum, float eps) {
        return batchNormTrainForward(x, gamma, beta, runningMean, runningVar, momentum, eps, Activation.IDENTITY);
    }

    /** The activation fused into our normalize pass; after cuDNN, one in-place pass. */
    @Override public BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                           Tensor runningVar, float momentum, float eps, Activation act) {
        String op = "batchNormTrainForward";
        Checks.on(op, device, x, gamma, beta, runningMean, runningVar);
        int[] d = bnDims(op, x);
        for (var t : new Tensor[] {gamma, beta, runningMean, runningVar}) Checks.lengths(op, t, d[1]);
        if ((long) d[0] * d[2] < 2) {
            throw new IllegalArgumentException(op + ": x " + x.shape() + " has fewer than 2 values per channel; training needs a batch variance");
        }
        var y = alloc(x.shape());
        var saveMean = alloc(Shape.of(d[1]));
        var saveInvStd = alloc(Shape.of(d[1]));
        if (d[1] == 0) return new BatchNormOutput(y, saveMean, saveInvStd); // no channels: nothing to compute (the kernels reject C = 0)
        if (cudnnBatchNorm(eps)) {
            cudnn.batchNormTrainForward(op, x.shape(), address(x), address(gamma), address(beta), address(y), address(runningMean),
                    address(runningVar), address(saveMean), address(saveInvStd), momentum, eps);
            activateInPlace(op, act, y);
        } else {
            check(Native.batchnormTrainForward(p(x), p(gamma), p(beta), p(y), p(saveMean), p(saveInvStd), p(runningMean), p(runningVar),
                    d[0], d[1], d[2], momentum, eps, actCode(act), actAlpha(act), stream), op, x, gamma);
        }
        return new BatchNormOutput(y, saveMean, saveInvStd);
    }

    @Override public BatchNormGradients batchNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        String op = "batchNormBackward";
        Checks.on(op, device, dy, x, gamma, saveMean, saveInvStd);
        Checks.sameShape(op, dy, x);
        int[] d = bnDims(op, x);
        for (var t : new Tensor[] {gamma, saveMean, saveInvStd}) Checks.lengths(op, t, d[1]);
        var dx = alloc(x.shape());
        var dgamma = alloc(Shape.of(d[1]));
        var dbeta = alloc(Shape.of(d[1]));
        if (x.numel() == 0) {
            // an empty batch (N or H*W = 0): the sums are 0, as on the CPU; the kernels and cuDNN reject it
            if (d[1] > 0) {
                fill(dgamma, 0f);
                fill(dbeta, 0f);
            }
            return new BatchNormGradients(dx, dgamma, dbeta);
        }
        if (options.batchNorm() == BatchNormImpl.CUDNN) {
            // eps only validates here: cuDNN uses the saved mean and inverse std of the forward
            cudnn.batchNormBackward(op, x.shape(), address(x), address(dy), address(dx), address(gamma), address(dgamma), address(dbeta),
                    address(saveMean), address(saveInvStd), Math.max(CudnnOps.minEpsilon(), 1e-5));
        } else {
            check(Native.batchnormBackward(p(dy), p(x), p(gamma), p(saveMean), p(saveInvStd), p(dx), p(dgamma), p(dbeta),
                    d[0], d[1], d[2], stream), op, dy, x);
        }
        return new BatchNormGradients(dx, dgamma, dbeta);
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps) {
        return batchNormInference(x, gamma, beta, runningMean, runningVar, eps, Activation.IDENTITY);
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps,
                                               Activation act) {
        String op = "batchNormInference";
        Checks.on(op, device, x, gamma, beta, runningMean, runningVar);
        int[] d = bnDims(op, x);
        for (var t : new Tensor[] {gamma, beta, runningMean, runningVar}) Checks.lengths(op, t, d[1]);
        var y = alloc(x.shape());
        if (y.numel() == 0) return y;
        if (cudnnBatchNorm(eps)) {
            cudnn.batchNormInference(op, x.shape(), address(x), address(gamma), address(beta), address(runningMean), address(runningVar),
                    address(y), eps);
            activateInPlace(op, act, y);
        } else {
            check(Native.batchnormInference(p(x), p(gamma), p(beta), p(runningMean), p(runningVar), p(y), d[0], d[1], d[2], eps,
                    actCode(act), actAlpha(act), stream), op, x, gamma);
        }
        return y;
    }

    /** y = act(y) in place (the elementwise kernel reads and writes each element once). */
    private void activateInPlace(String op, Activation act, Tensor y) {
        if (!(act instanceof Activation.Identity) && y.numel() > 0) {
            check(Native.activationForward(actCode(act), actAlpha(act), p(y), p(y), y.numel(), stream), op + " " + act, y);
        }
    }

    // ---- linear: CudaLinear (gemm.cu or cuBLAS) ---------------------------------------------

    @Override public Tensor linearForward(Tensor x, Tensor w, Tensor bias) { return linear.forward(x, w, bias); }

    @Override public Tensor linearBackwardData(Tensor dy, Tensor w) { return linear.backwardData(dy, w); }

    @Override public Tensor linearBackwardWeight(Tensor dy, Tensor x) { return linear.backwardWeight(dy, x); }

    // ---- pointwise -------------------------------------------------------------------------

    private static int actCode(Activation act) {
        return switch (act) {
            case Activation.Identity i -> ACT_IDENTITY;
            case Activation.Relu r -> ACT_RELU;
            case Activation.LeakyRelu l -> ACT_LEAKY_RELU;
            case Activation.Tanh t -> ACT_TANH;
            case Activation.Sigmoid s -> ACT_SIGMOID;
        };
    }

    private static float actAlpha(Activation act) {
        return act instanceof Activation.LeakyRelu l ? l.alpha() : 0f;
    }

    @Override public Tensor activationForward(Activation act, Tensor x) {
        String op = "activationForward";
        Checks.on(op, device, x);
        var y = alloc(x.shape());
        if (y.numel() > 0) check(Native.activationForward(actCode(act), actAlpha(act), p(x), p(y), x.numel(), stream), op + " " + act, x);
        return y;
    }

    @Override public Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy) {
        String op = "activationBackward";
        Checks.on(op, device, x, y, dy);
        Checks.sameShape(op, x, y);
        Checks.sameShape(op, x, dy);
        var dx = alloc(x.shape());
        if (dx.numel() > 0) {
            check(Native.activationBackward(actCode(act), actAlpha(act), p(x), p(y), p(dy), p(dx), x.numel(), stream), op + " " + act, x);
        }
        return dx;
    }

    private Tensor dropout(String op, Tensor x, float p, long seed, long offset) {
        Checks.on(op, device, x);
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException(op + ": p = " + p + " must be in [0, 1), tensor " + x.shape());
        var y = alloc(x.shape());
        if (y.numel() > 0) check(Native.dropout(p(x), p(y), x.numel(), p, seed, offset, counter(), stream), op, x);
        return y;
    }

    @Override public Tensor dropoutForward(Tensor x, float p, long seed, long offset) { return dropout("dropoutForward", x, p, seed, offset); }

    @Override public Tensor dropoutBackward(Tensor dy, float p, long seed, long offset) { return dropout("dropoutBackward", dy, p, seed, offset); }

    @Override public Tensor add(Tensor a, Tensor b) {
        Checks.on("add", device, a, b);
        Checks.sameShape("add", a, b);
        var out = alloc(a.shape());
        if (out.numel() > 0) check(Native.add(p(a), p(b), p(out), a.numel(), stream), "add", a, b);
        return out;
    }

    @Override public void addInPlace(Tensor acc, Tensor x) {
        Checks.on("addInPlace", device, acc, x);
        Checks.sameShape("addInPlace", acc, x);
        if (acc.numel() > 0) check(Native.axpy(p(acc), p(x), 1f, acc.numel(), stream), "addInPlace", acc, x);
    }

    @Override public Tensor scale(Tensor a, float s) {
        Checks.on("scale", device, a);
        var out = alloc(a.shape());
        if (out.numel() > 0) check(Native.scale(p(a), p(out), s, a.numel(), stream), "scale", a);
        return out;
    }

    // ---- reductions ------------------------------------------------------------------------

    private Tensor reduce(String op, Tensor t, float scale, float ifEmpty) {
        Checks.on(op, device, t);
        var out = alloc(Shape.scalar());
        if (t.numel() == 0) fill(out, ifEmpty);
        else check(Native.sum(p(t), p(out), t.numel(), scale, stream), op, t);
        return out;
    }

    @Override public Tensor sum(Tensor t) { return reduce("sum", t, 1f, 0f); }

    @Override public Tensor mean(Tensor t) { return reduce("mean", t, t.numel() == 0 ? 1f : (float) (1.0 / t.numel()), Float.NaN); }

    // ---- VAE ---------------------------------------------------------------------------------

    @Override public ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset) {
        String op = "reparamForward";
        Checks.on(op, device, mu, logvar);
        Checks.sameShape(op, mu, logvar);
        var z = alloc(mu.shape());
        var eps = alloc(mu.shape());
        if (z.numel() > 0) {
            check(Native.reparamForward(p(mu), p(logvar), p(z), p(eps), MemorySegment.NULL, mu.numel(), seed, offset, counter(), stream),
                    op, mu, logvar);
        }
        return new ReparamOutput(z, eps);
    }

    @Override public Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps) {
        String op = "reparamForward";
        Checks.on(op, device, mu, logvar, eps);
        Checks.sameShape(op, mu, logvar);
        Checks.sameShape(op, mu, eps);
        var z = alloc(mu.shape());
        if (z.numel() > 0) check(Native.reparamForwardEps(p(mu), p(logvar), p(eps), p(z), mu.numel(), stream), op, mu, logvar, eps);
        return z;
    }

    @Override public GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale) {
        String op = "reparamBackward";
        Checks.on(op, device, dz, mu, logvar, eps);
        for (var t : new Tensor[] {dz, logvar, eps}) Checks.sameShape(op, mu, t);
        var dmu = alloc(mu.shape());
        var dlogvar = alloc(mu.shape());
        if (dmu.numel() > 0) {
            check(Native.reparamBackward(p(dz), p(mu), p(logvar), p(eps), p(dmu), p(dlogvar), mu.numel(), klScale, stream),
                    op, dz, mu, logvar, eps);
        }
        return new GaussianGradients(dmu, dlogvar);
    }

    @Override public Tensor klDivergence(Tensor mu, Tensor logvar) {
        String op = "klDivergence";
        Checks.on(op, device, mu, logvar);
        Checks.sameShape(op, mu, logvar);
        var out = alloc(Shape.scalar());
        if (mu.numel() == 0) fill(out, 0f);
        else check(Native.klDivergence(p(mu), p(logvar), p(out), mu.numel(), stream), op, mu, logvar);
        return out;
    }

    /** The KL part of the fused reparameterization backward, with dz = 0 (so eps does not matter: zeros). */
    @Override public GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale) {
        String op = "klBackward";
        Checks.on(op, device, mu, logvar);
        Checks.sameShape(op, mu, logvar);
        var dmu = alloc(mu.shape());
        var dlogvar = alloc(mu.shape());
        if (dmu.numel() == 0) return new GaussianGradients(dmu, dlogvar);
        try (var zeros = zeros(mu.shape())) {
            check(Native.reparamBackward(p(zeros), p(mu), p(logvar), p(zeros), p(dmu), p(dlogvar), mu.numel(), scale, stream),
                    op, mu, logvar);
        }
        return new GaussianGradients(dmu, dlogvar);
    }

    // ---- losses ------------------------------------------------------------------------------

    private static float reductionScale(Reduction r, long n) {
        return r == Reduction.MEAN ? (float) (1.0 / Math.max(1, n)) : 1f;
    }

    /** scale / n for MEAN rounded once from double, the CPU backend's gradient factor (not a product of two floats). */
    private static float gradientScale(float scale, Reduction r, long n) {
        return r == Reduction.MEAN ? (float) ((double) scale / Math.max(1, n)) : scale;
    }

    @Override public Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction) {
        String op = "bceWithLogits";
        Checks.on(op, device, logits, targets);
        Checks.sameShape(op, logits, targets);
        var out = alloc(Shape.scalar());
        long n = logits.numel();
        if (n == 0) fill(out, reduction == Reduction.MEAN ? Float.NaN : 0f);
        else check(Native.bceWithLogits(p(logits), p(targets), p(out), n, reductionScale(reduction, n), stream), op, logits, targets);
        return out;
    }

    @Override public Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        String op = "bceWithLogitsBackward";
        Checks.on(op, device, logits, targets);
        Checks.sameShape(op, logits, targets);
        var dx = alloc(logits.shape());
        long n = logits.numel();
        if (n > 0) {
            check(Native.bceWithLogitsBackward(p(logits), p(targets), p(dx), n, gradientScale(scale, reduction, n), stream),
                    op, logits, targets);
        }
        return dx;
    }

    @Override public Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
        String op = "mse";
        Checks.on(op, device, prediction, target);
        Checks.sameShape(op, prediction, target);
        var out = alloc(Shape.scalar());
        long n = prediction.numel();
        if (n == 0) fill(out, reduction == Reduction.MEAN ? Float.NaN : 0f);
        else check(Native.mse(p(prediction), p(target), p(out), n, reductionScale(reduction, n), stream), op, prediction, target);
        return out;
    }

    @Override public Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale) {
        String op = "mseBackward";
        Checks.on(op, device, prediction, target);
        Checks.sameShape(op, prediction, target);
        var dx = alloc(prediction.shape());
        long n = prediction.numel();
        if (n > 0) {
            check(Native.mseBackward(p(prediction), p(target), p(dx), n, gradientScale(scale, reduction, n), stream),
                    op, prediction, target);
        }
        return dx;
    }

    // ---- optimizer -------------------------------------------------------------------------------

    @Override public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step) {
        String op = "adamStep";
        if (grads.size() != params.size() || m.size() != params.size() || v.size() != params.size()) {
            throw new IllegalArgumentException(op + ": " + params.size() + " params but " + grads.size() + " grads, " + m.size()
                    + " first and " + v.size() + " second moments");
        }
        if (step < 1) throw new IllegalArgumentException(op + ": step " + step + " must count from 1");
        for (var list : List.of(params, grads, m, v)) Checks.on(op, device, list.toArray(Tensor[]::new));
        for (int i = 0; i < params.size(); i++) {
            Checks.sameShape(op, params.get(i), grads.get(i));
            Checks.sameShape(op, params.get(i), m.get(i));
            Checks.sameShape(op, params.get(i), v.get(i));
        }
        if (params.isEmpty()) return;
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

    @Override public Tensor concat(List<Tensor> parts) { return CudaConcat.concat(this, parts); }

    @Override public Tensor slice(Tensor x, int start, int length) { return CudaConcat.slice(this, x, start, length); }

    @Override public Tensor softmaxCrossEntropy(Tensor logits, Tensor targets, Reduction reduction) {
        return CudaConcat.softmaxCrossEntropy(this, logits, targets, reduction);
    }

    @Override public Tensor softmaxCrossEntropyBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        return CudaConcat.softmaxCrossEntropyBackward(this, logits, targets, reduction, scale);
    }
}
