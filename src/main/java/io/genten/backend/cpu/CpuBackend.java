package io.genten.backend.cpu;

import io.genten.backend.Activation;
import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.backend.BatchNormGradients;
import io.genten.backend.BatchNormOutput;
import io.genten.backend.Checks;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.GaussianGradients;
import io.genten.backend.MathMode;
import io.genten.backend.Reduction;
import io.genten.backend.ReparamOutput;
import io.genten.backend.TransposedConvGradients;
import io.genten.tensor.Device;
import io.genten.tensor.HostStorage;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.function.Supplier;

/**
 * The Java backend: the test oracle for every other backend and the fallback without a GPU.
 * Each op family lives in its own class; this class only routes, checks devices and picks the
 * threads an op runs on.
 *
 * <p>Threads: {@link #get()} is the shared backend, whose ops split their work over the common
 * {@link ForkJoinPool} (plus the calling thread). {@link #withThreads(int)} and
 * {@link #withPool(ForkJoinPool)} make a backend whose ops use only the given threads, e.g. one
 * thread per op when many application threads run inference at once. Results are the same, bit
 * for bit, for every thread setting. Any CPU backend may be called from several threads at once:
 * each op's output is its own and its scratch belongs to the thread running it
 * ({@link #supportsConcurrentCalls()}).
 *
 * <p>Memory: outputs come from the backend's {@link HostPool}, which recycles the arrays of closed
 * tensors (off with {@code -Dgenten.cpu.pool=false}); the convolutions' scratch is per thread
 * ({@link Workspace}).
 */
public final class CpuBackend implements Backend {
    private static final CpuBackend SHARED = new CpuBackend(null, false, "the common fork-join pool");

    private final ForkJoinPool pool;   // null: the common pool (shared) or the caller's thread (serial)
    private final boolean serial;
    private final boolean ownsPool;
    /** withThreads: ops run on the caller, with the pool's threads as helpers (no hand-off per op). */
    private final boolean callerWorks;
    private final String threading;
    /** The GEMM under conv and linear: oneDNN, OpenBLAS or the Java path; fixed per instance. */
    private final Gemm gemm;
    /** Recycles the arrays of closed tensors; null with -Dgenten.cpu.pool=false. */
    private final HostPool hostPool;

    private CpuBackend(ForkJoinPool pool, boolean owns, String threading) {
        this(pool, owns, false, threading, Gemm.DEFAULT);
    }

    private CpuBackend(ForkJoinPool pool, boolean owns, boolean callerWorks, String threading) {
        this(pool, owns, callerWorks, threading, Gemm.DEFAULT);
    }

    private CpuBackend(ForkJoinPool pool, boolean owns, boolean callerWorks, String threading, Gemm gemm) {
        this(pool, owns, callerWorks, threading, gemm, defaultHostPool());
    }

    private CpuBackend(ForkJoinPool pool, boolean owns, boolean callerWorks, String threading, Gemm gemm, HostPool hostPool) {
        this.pool = pool;
        this.serial = false;
        this.ownsPool = owns;
        this.callerWorks = callerWorks;
        this.threading = threading;
        this.gemm = gemm;
        this.hostPool = hostPool;
    }

    private static HostPool defaultHostPool() {
        return Boolean.parseBoolean(System.getProperty("genten.cpu.pool", "true")) ? HostPool.forThisHeap() : null;
    }

    private CpuBackend(boolean serial) {
        this.pool = null;
        this.serial = serial;
        this.ownsPool = false;
        this.callerWorks = false;
        this.threading = "the calling thread only";
        this.gemm = Gemm.DEFAULT;
        this.hostPool = defaultHostPool();
    }

    /**
     * A backend whose conv and linear layers run the plain-Java GEMM, as on a machine without
     * OpenBLAS: lets the tests cover that path beside the OpenBLAS one in the same JVM.
     */
    static CpuBackend withJavaGemm() { return new CpuBackend(null, false, false, "the common fork-join pool", Gemm.JAVA); }

    /**
     * A backend whose ops' outputs that the op overwrites ({@link #allocToOverwrite}) start as NaN,
     * recycled or not: an element such an op leaves unwritten shows (tests).
     */
    static CpuBackend withPoisonedOutputs() {
        return new CpuBackend(null, false, false, "the common fork-join pool", Gemm.DEFAULT, HostPool.poisoning(64L << 20));
    }

    /**
     * The shared CPU backend: ops split their work over the common fork-join pool.
     *
     * @return the process-wide instance (closing it does nothing)
     */
    public static CpuBackend get() { return SHARED; }

    /**
     * A CPU backend whose ops use {@code threads} threads: 1 runs every op on the calling thread
     * (no hand-off, the best choice when the application already runs many inferences in parallel);
     * more runs each op on the calling thread too, joined in its parallel parts by {@code threads - 1}
     * helper threads of a fork-join pool of the backend's own (shut down by {@link #close()}), so
     * that an op costs no hand-off to another thread and back.
     *
     * @param threads at least 1
     * @return a new backend; modules built on it run with that many threads
     * @throws IllegalArgumentException when {@code threads} is below 1
     */
    public static CpuBackend withThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("CpuBackend.withThreads: " + threads + " threads; need at least 1");
        if (threads == 1) return new CpuBackend(true);
        // the calling thread works too (Parallel.HELPERS): threads - 1 helpers make threads in all
        return new CpuBackend(new ForkJoinPool(threads - 1), true, true, "the calling thread and " + (threads - 1) + " helper thread" + (threads > 2 ? "s" : ""));
    }

    /**
     * A CPU backend whose ops run on the workers of {@code pool} (the caller keeps owning it: close
     * does not shut it down). Each op is handed to the pool and the calling thread waits for it.
     *
     * @param pool the pool to run ops in
     * @return a new backend
     */
    public static CpuBackend withPool(ForkJoinPool pool) {
        if (pool == null) throw new IllegalArgumentException("CpuBackend.withPool: pool is null");
        return new CpuBackend(pool, false, "a given pool of " + pool.getParallelism() + " threads");
    }

    /**
     * How many threads an op may use.
     *
     * @return 1 for a single-threaded backend, the pool's parallelism, or the common pool's plus one
     */
    public int threads() {
        if (serial) return 1;
        if (pool != null) return pool.getParallelism() + (callerWorks ? 1 : 0);
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    @Override public String name() { return "cpu"; }

    @Override public Device device() { return Device.CPU; }

    @Override public String describe() {
        return "cpu: " + threads() + " threads (" + threading + "), " + gemm.describe();
    }

    /**
     * Shuts down the pool that {@link #withThreads} made and drops the arrays kept for reuse
     * (the shared backend keeps both).
     */
    @Override public void close() {
        if (this == SHARED) return;
        if (ownsPool) pool.shutdown();
        if (hostPool != null) hostPool.close();
    }

    /**
     * Drops the arrays of closed tensors kept for reuse ({@link HostPool}), as {@code
     * torch.cuda.empty_cache()} returns a GPU allocator's cached blocks: before measuring the heap,
     * or to hand the memory back before other work. The backend goes on recycling afterwards.
     */
    @Override public void emptyCache() {
        if (hostPool != null) hostPool.clear();
    }

    /** Bytes of closed tensors' arrays kept for reuse (tests). */
    long pooledBytes() { return hostPool == null ? 0 : hostPool.pooledBytes(); }

    /** Runs one op on this backend's threads. */
    private <T> T on(Supplier<T> unpooled) {
        // the op's outputs come from this backend's pool (CpuBackend.alloc), on whatever thread it runs
        Supplier<T> op = hostPool == null ? unpooled : () -> ScopedValue.where(HostPool.CURRENT, hostPool).call(unpooled::get);
        if (serial) return ScopedValue.where(Parallel.SERIAL, Boolean.TRUE).call(op::get);
        if (pool == null || ForkJoinTask.getPool() == pool) return op.get();
        if (callerWorks) {
            // the caller runs the op, so a small op would never touch the closed pool: refuse it here
            if (pool.isShutdown()) throw new RejectedExecutionException("CpuBackend: used after close() (" + threading + ")");
            return ScopedValue.where(Parallel.HELPERS, pool).call(op::get);
        }
        try {
            return pool.submit(op::get).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException("cpu op failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("cpu op interrupted", e);
        }
    }

    private void run(Runnable op) {
        on(() -> {
            op.run();
            return null;
        });
    }

    @Override public MathMode mathMode() { return MathMode.FP32; }

    // ---- memory ------------------------------------------------------------------------

    /** A zeroed tensor for the output of the op running now: from its backend's pool, if any. */
    static Tensor alloc(Shape shape) {
        return HostPool.CURRENT.isBound() ? HostPool.CURRENT.get().tensor(shape) : unpooled(shape);
    }

    /**
     * A tensor for an output that the op running now writes whole: a recycled array comes as it
     * is, not zeroed (zeroing them was 2% of a DCGAN step). Only for outputs every element of
     * which the op writes, whatever the input (tests run each such op with {@link #withPoisonedOutputs}).
     */
    static Tensor allocToOverwrite(Shape shape) {
        return HostPool.CURRENT.isBound() ? HostPool.CURRENT.get().tensorToOverwrite(shape) : unpooled(shape);
    }

    private static Tensor unpooled(Shape shape) {
        return new Tensor(shape, new HostStorage(new float[shape.size()]));
    }

    /** A zeroed tensor from this backend's pool. */
    private Tensor allocHere(Shape shape) {
        return hostPool != null ? hostPool.tensor(shape) : unpooled(shape);
    }

    @Override public Tensor empty(Shape shape) { return allocHere(shape); }

    @Override public Tensor zeros(Shape shape) { return allocHere(shape); }

    @Override public Tensor full(Shape shape, float value) {
        var t = allocHere(shape);
        Arrays.fill(t.hostArray(), value);
        return t;
    }

    @Override public Tensor copyOf(Tensor t) {
        t.checkOpen();
        var out = allocHere(t.shape());
        t.storage().read(0, out.hostArray(), 0, t.shape().size());
        return out;
    }

    @Override public void copyInto(Tensor src, Tensor dst) {
        Checks.on("copyInto", device(), src, dst);
        if (src.numel() != dst.numel()) throw new IllegalArgumentException("copyInto: " + src.shape() + " into " + dst.shape());
        System.arraycopy(src.hostArray(), 0, dst.hostArray(), 0, src.shape().size());
    }

    @Override public void fill(Tensor t, float value) {
        Checks.on("fill", device(), t);
        Arrays.fill(t.hostArray(), 0, t.shape().size(), value);
    }

    @Override public Tensor randn(Shape shape, long seed, long offset) {
        var t = allocHere(shape);
        float[] out = t.hostArray();
        // chunks of a multiple of 4 elements: Philox blocks stay whole, the values are one call's
        run(() -> CpuPointwise.chunked(shape.size(), (lo, hi) -> Philox.fillNormal(seed, offset, out, lo, hi)));
        return t;
    }

    @Override public Tensor rand(Shape shape, long seed, long offset) {
        var t = allocHere(shape);
        float[] out = t.hostArray();
        run(() -> CpuPointwise.chunked(shape.size(), (lo, hi) -> Philox.fillUniform(seed, offset, out, lo, hi)));
        return t;
    }

    @Override public void synchronize() {}

    /** Every op writes only its own output (and its thread's scratch) and only reads its inputs. */
    @Override public boolean supportsConcurrentCalls() { return true; }

    // ---- convolution -----------------------------------------------------------------------

    @Override public Tensor conv2dForward(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        Checks.on("conv2dForward", device(), x, w, bias);
        return on(() -> CpuConv.forward(gemm, x, w, bias, spec));
    }

    @Override public Tensor conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        Checks.on("conv2dBackwardData", device(), dy, w);
        return on(() -> CpuConv.backwardData(gemm, dy, w, xShape, spec));
    }

    @Override public Tensor conv2dBackwardFilter(Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        Checks.on("conv2dBackwardFilter", device(), dy, x);
        return on(() -> CpuConv.backwardFilter(gemm, dy, x, wShape, spec));
    }

    @Override public TransposedConvGradients convTranspose2dBackward(Tensor dy, Tensor x, Tensor w, Conv2dSpec spec, boolean weightGradient) {
        Checks.on("convTranspose2dBackward", device(), dy, x, w);
        if (!weightGradient || !CpuConv.sharesUnfolding(dy.shape(), w.shape(), spec)) {
            return Backend.super.convTranspose2dBackward(dy, x, w, spec, weightGradient);
        }
        var both = on(() -> CpuConv.forwardAndFilterGradient(gemm, dy, w, x, spec));
        return new TransposedConvGradients(both[0], both[1]);
    }

    @Override public Tensor biasGradient(Tensor dy) {
        Checks.on("biasGradient", device(), dy);
        return on(() -> CpuConv.biasGradient(dy));
    }

    @Override public void addBiasInPlace(Tensor y, Tensor bias) {
        Checks.on("addBiasInPlace", device(), y, bias);
        run(() -> CpuBias.addInPlace(y, bias));
    }

    // ---- batchnorm -------------------------------------------------------------------------

    @Override public BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                           Tensor runningVar, float momentum, float eps) {
        Checks.on("batchNormTrainForward", device(), x, gamma, beta, runningMean, runningVar);
        return on(() -> CpuBatchNorm.trainForward(x, gamma, beta, runningMean, runningVar, momentum, eps, Activation.IDENTITY));
    }

    /** The activation applied to each channel's planes as batch norm writes them (no second pass). */
    @Override public BatchNormOutput batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                           Tensor runningVar, float momentum, float eps, Activation act) {
        if (act == null || !CpuPointwise.inPlace(act)) return Backend.super.batchNormTrainForward(x, gamma, beta, runningMean, runningVar, momentum, eps, act);
        Checks.on("batchNormTrainForward", device(), x, gamma, beta, runningMean, runningVar);
        return on(() -> CpuBatchNorm.trainForward(x, gamma, beta, runningMean, runningVar, momentum, eps, act));
    }

    @Override public BatchNormGradients batchNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        Checks.on("batchNormBackward", device(), dy, x, gamma, saveMean, saveInvStd);
        return on(() -> CpuBatchNorm.backward(dy, x, gamma, saveMean, saveInvStd));
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps) {
        Checks.on("batchNormInference", device(), x, gamma, beta, runningMean, runningVar);
        return on(() -> CpuBatchNorm.inference(x, gamma, beta, runningMean, runningVar, eps, Activation.IDENTITY));
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Activation act) {
        if (act == null || !CpuPointwise.inPlace(act)) return Backend.super.batchNormInference(x, gamma, beta, runningMean, runningVar, eps, act);
        Checks.on("batchNormInference", device(), x, gamma, beta, runningMean, runningVar);
        return on(() -> CpuBatchNorm.inference(x, gamma, beta, runningMean, runningVar, eps, act));
    }

    // ---- linear ----------------------------------------------------------------------------

    @Override public Tensor linearForward(Tensor x, Tensor w, Tensor bias) {
        Checks.on("linearForward", device(), x, w, bias);
        return on(() -> CpuLinear.forward(gemm, x, w, bias));
    }

    @Override public Tensor linearBackwardData(Tensor dy, Tensor w) {
        Checks.on("linearBackwardData", device(), dy, w);
        return on(() -> CpuLinear.backwardData(gemm, dy, w));
    }

    @Override public Tensor linearBackwardWeight(Tensor dy, Tensor x) {
        Checks.on("linearBackwardWeight", device(), dy, x);
        return on(() -> CpuLinear.backwardWeight(gemm, dy, x));
    }

    // ---- pointwise -------------------------------------------------------------------------

    @Override public Tensor activationForward(Activation act, Tensor x) {
        Checks.on("activationForward", device(), x);
        return on(() -> CpuPointwise.activationForward(act, x));
    }

    @Override public Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy) {
        Checks.on("activationBackward", device(), x, y, dy);
        return on(() -> CpuPointwise.activationBackward(act, x, y, dy));
    }

    @Override public Tensor dropoutForward(Tensor x, float p, long seed, long offset) {
        Checks.on("dropoutForward", device(), x);
        return on(() -> CpuPointwise.dropout(x, p, seed, offset));
    }

    @Override public Tensor dropoutBackward(Tensor dy, float p, long seed, long offset) {
        Checks.on("dropoutBackward", device(), dy);
        return on(() -> CpuPointwise.dropout(dy, p, seed, offset));
    }

    @Override public Tensor add(Tensor a, Tensor b) {
        Checks.on("add", device(), a, b);
        return on(() -> CpuPointwise.add(a, b));
    }

    @Override public void addInPlace(Tensor acc, Tensor x) {
        Checks.on("addInPlace", device(), acc, x);
        run(() -> CpuPointwise.addInPlace(acc, x));
    }

    @Override public Tensor scale(Tensor a, float s) {
        Checks.on("scale", device(), a);
        return on(() -> CpuPointwise.scale(a, s));
    }

    @Override public Tensor sum(Tensor t) {
        Checks.on("sum", device(), t);
        return on(() -> CpuPointwise.sum(t));
    }

    @Override public Tensor mean(Tensor t) {
        Checks.on("mean", device(), t);
        return on(() -> CpuPointwise.mean(t));
    }

    // ---- VAE ---------------------------------------------------------------------------------

    @Override public ReparamOutput reparamForward(Tensor mu, Tensor logvar, long seed, long offset) {
        Checks.on("reparamForward", device(), mu, logvar);
        return on(() -> CpuVae.reparamForward(mu, logvar, seed, offset));
    }

    @Override public Tensor reparamForward(Tensor mu, Tensor logvar, Tensor eps) {
        Checks.on("reparamForward", device(), mu, logvar, eps);
        return on(() -> CpuVae.reparamForward(mu, logvar, eps));
    }

    @Override public GaussianGradients reparamBackward(Tensor dz, Tensor mu, Tensor logvar, Tensor eps, float klScale) {
        Checks.on("reparamBackward", device(), dz, mu, logvar, eps);
        return on(() -> CpuVae.reparamBackward(dz, mu, logvar, eps, klScale));
    }

    @Override public Tensor klDivergence(Tensor mu, Tensor logvar) {
        Checks.on("klDivergence", device(), mu, logvar);
        return on(() -> CpuVae.kl(mu, logvar));
    }

    @Override public GaussianGradients klBackward(Tensor mu, Tensor logvar, float scale) {
        Checks.on("klBackward", device(), mu, logvar);
        return on(() -> CpuVae.klBackward(mu, logvar, scale));
    }

    // ---- losses --------------------------------------------------------------------------------

    @Override public Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction) {
        Checks.on("bceWithLogits", device(), logits, targets);
        return on(() -> CpuLosses.bceWithLogits(logits, targets, reduction));
    }

    @Override public Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        Checks.on("bceWithLogitsBackward", device(), logits, targets);
        return on(() -> CpuLosses.bceWithLogitsBackward(logits, targets, reduction, scale));
    }

    @Override public Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
        Checks.on("mse", device(), prediction, target);
        return on(() -> CpuLosses.mse(prediction, target, reduction));
    }

    @Override public Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale) {
        Checks.on("mseBackward", device(), prediction, target);
        return on(() -> CpuLosses.mseBackward(prediction, target, reduction, scale));
    }

    // ---- optimizer -----------------------------------------------------------------------------

    @Override public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step) {
        for (var list : List.of(params, grads, m, v)) Checks.on("adamStep", device(), list.toArray(Tensor[]::new));
        run(() -> CpuAdam.step(params, grads, m, v, config, step));
    }

    // ---- concatenation and classification ---------------------------------------------------

    @Override public Tensor concat(List<Tensor> parts) {
        if (parts != null) Checks.on("concat", device(), parts.toArray(Tensor[]::new));
        return CpuConcat.concat(parts);
    }

    @Override public Tensor slice(Tensor x, int start, int length) {
        Checks.on("slice", device(), x);
        return CpuConcat.slice(x, start, length);
    }

    @Override public Tensor softmaxCrossEntropy(Tensor logits, Tensor targets, Reduction reduction) {
        Checks.on("softmaxCrossEntropy", device(), logits, targets);
        return CpuSoftmaxCrossEntropy.forward(logits, targets, reduction);
    }

    @Override public Tensor softmaxCrossEntropyBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        Checks.on("softmaxCrossEntropyBackward", device(), logits, targets);
        return CpuSoftmaxCrossEntropy.backward(logits, targets, reduction, scale);
    }
}
