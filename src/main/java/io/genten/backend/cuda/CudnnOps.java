package io.genten.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;

import io.genten.backend.MathMode;
import io.genten.tensor.Shape;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import java.util.Set;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Convolution and batch normalization through cuDNN on the backend's stream.
 *
 * <p>Each convolution shape gets a plan once: its descriptors (destroyed in {@link #close}) and the
 * fastest deterministic (and, in the strict modes, exact-FP32) algorithm that {@code cudnnFind*AlgorithmEx}
 * measured, keyed by direction, shapes and
 * math mode. Workspaces come from the caching allocator per call, so the steady state allocates
 * nothing (and a warmed-up step can be captured in a CUDA graph).
 *
 * <p>Math: FP32 sets CUDNN_FMA_MATH (forbids TF32 tensor cores). TF32 sets CUDNN_DEFAULT_MATH, under
 * which cuDNN 9 may use TF32 tensor cores for float data (PyTorch's allow_tf32), and then the math
 * type of the chosen algorithm. cuDNN has no 3xTF32, so FP32_3XTF32 uses CUDNN_FMA_MATH (strict FP32).
 *
 * <p>Batch normalization uses CUDNN_BATCHNORM_SPATIAL (BatchNorm1d input is viewed as N,C,1,1). Its
 * exponentialAverageFactor is PyTorch's momentum (running = (1 - f) running + f batch) and its
 * running variance uses the unbiased batch variance, as PyTorch's; the saved inverse std is
 * 1/sqrt(biased var + eps), the {@code saveInvStd} of our API.
 */
final class CudnnOps implements AutoCloseable {
    private static final long MAX_FIND_WORKSPACE = 512L << 20;

    enum Direction { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    private record ConvKey(Direction dir, Shape x, Shape w, Shape y, int stride, int pad) {}

    /** Descriptors and the chosen algorithm of one convolution shape. */
    private static final class ConvPlan {
        final cudnnTensorStruct xDesc = new cudnnTensorStruct();
        final cudnnFilterStruct wDesc = new cudnnFilterStruct();
        final cudnnTensorStruct yDesc = new cudnnTensorStruct();
        final cudnnConvolutionStruct convDesc = new cudnnConvolutionStruct();
        int algo = -1;
        long workspaceBytes;
    }

    /** Descriptors of one batchnorm input shape. */
    private static final class BnPlan {
        final cudnnTensorStruct xDesc = new cudnnTensorStruct();
        final cudnnTensorStruct bnDesc = new cudnnTensorStruct();
    }

    private final cudnnContext handle = new cudnnContext();
    private final CachingAllocator allocator;
    private final MathMode math;
    private final Map<ConvKey, ConvPlan> convPlans = new HashMap<>();
    private final Map<Shape, BnPlan> bnPlans = new HashMap<>();
    private final List<Pointer> descriptors = new ArrayList<>();
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private boolean closed;

    CudnnOps(MemorySegment stream, MathMode math, CachingAllocator allocator) {
        this.math = math;
        this.allocator = allocator;
        check(cudnnCreate(handle), "cudnnCreate", "");
        try {
            check(cudnnSetStream(handle, new CUstream_st(new DevicePointer(stream.address()))), "cudnnSetStream", "");
        } catch (RuntimeException e) {
            cudnnDestroy(handle);
            throw e;
        }
    }

    static void check(int status, String op, String detail) {
        if (status == CUDNN_STATUS_SUCCESS) return;
        var s = cudnnGetErrorString(status); // a static string inside cuDNN: not ours to free
        String name = s == null || s.isNull() ? "cuDNN status " + status : s.getString();
        throw new CudaException(op + " " + detail + ": " + name + " (cuDNN status " + status + ")", status);
    }

    private static Pointer dev(long address) { return new DevicePointer(address); }

    // ---- convolution ---------------------------------------------------------------------

    private ConvPlan plan(Direction dir, Shape x, Shape w, Shape y, int stride, int pad, String op) {
        var key = new ConvKey(dir, x, w, y, stride, pad);
        var plan = convPlans.get(key);
        if (plan != null) return plan;
        plan = new ConvPlan();
        String shapes = "x " + x + " w " + w + " y " + y + " stride " + stride + " pad " + pad;
        check(cudnnCreateTensorDescriptor(plan.xDesc), op, "cudnnCreateTensorDescriptor");
        descriptors.add(plan.xDesc);
        check(cudnnCreateFilterDescriptor(plan.wDesc), op, "cudnnCreateFilterDescriptor");
        descriptors.add(plan.wDesc);
        check(cudnnCreateTensorDescriptor(plan.yDesc), op, "cudnnCreateTensorDescriptor");
        descriptors.add(plan.yDesc);
        check(cudnnCreateConvolutionDescriptor(plan.convDesc), op, "cudnnCreateConvolutionDescriptor");
        descriptors.add(plan.convDesc);
        check(cudnnSetTensor4dDescriptor(plan.xDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, x.dim(0), x.dim(1), x.dim(2), x.dim(3)), op, shapes);
        check(cudnnSetFilter4dDescriptor(plan.wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, w.dim(0), w.dim(1), w.dim(2), w.dim(3)), op, shapes);
        check(cudnnSetTensor4dDescriptor(plan.yDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, y.dim(0), y.dim(1), y.dim(2), y.dim(3)), op, shapes);
        check(cudnnSetConvolution2dDescriptor(plan.convDesc, pad, pad, stride, stride, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), op, shapes);
        check(cudnnSetConvolutionMathType(plan.convDesc, math == MathMode.TF32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH), op, shapes);
        convPlans.put(key, plan);
        return plan;
    }

    /**
     * cudnnFind*AlgorithmEx times every algorithm and synchronizes: inside a CUDA graph capture it
     * would invalidate the capture (or fail on its 512 MiB search workspace with a misleading cache
     * miss). A warm-up step with the same shapes chooses every algorithm first.
     */
    private void requireNotCapturing(String op, String shapes) {
        if (allocator.isCapturing()) {
            throw new IllegalStateException(op + " " + shapes + ": no cuDNN algorithm chosen for this shape yet, and choosing one"
                    + " (cudnnFind*AlgorithmEx) cannot be captured in a CUDA graph; run the step eagerly once before capture");
        }
    }

    /** A workspace for the algorithm search: as large as allowed and available, down to none. */
    private CachingAllocator.Block findWorkspace() {
        for (long bytes = MAX_FIND_WORKSPACE; bytes >= (1L << 20); bytes /= 4) {
            try {
                return allocator.allocate(bytes);
            } catch (CudaOutOfMemoryException e) {
                // try a smaller one
            }
        }
        return null;
    }

    /**
     * Algorithms whose error is not FP32's: FFT and Winograd (1e-5..1e-4 relative, from their
     * transforms). Refused in the strict modes, like TF32 tensor ops.
     */
    private static final Set<Integer> FWD_INEXACT = Set.of(CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
            CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED);
    private static final Set<Integer> BWD_DATA_INEXACT = Set.of(CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING, CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED);
    private static final Set<Integer> BWD_FILTER_INEXACT = Set.of(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED);

    /**
     * The fastest measured algorithm that keeps our contracts: deterministic in every mode (atomics
     * in some backward algorithms make two runs, and a graph replay against the eager step, differ);
     * in FP32 and FP32_3XTF32 neither TF32 tensor ops nor FFT / Winograd transforms.
     */
    private void choose(ConvPlan plan, int count, IntPointer returned, PerfReader perf, Set<Integer> inexact, String op, String shapes) {
        int n = returned.get();
        for (int i = 0; i < n; i++) {
            if (perf.status(i) != CUDNN_STATUS_SUCCESS) continue;
            if (perf.determinism(i) != CUDNN_DETERMINISTIC) continue;
            boolean tensorOps = perf.mathType(i) != CUDNN_FMA_MATH && perf.mathType(i) != CUDNN_DEFAULT_MATH;
            if (math != MathMode.TF32 && (tensorOps || inexact.contains(perf.algo(i)))) continue;
            plan.algo = perf.algo(i);
            plan.workspaceBytes = perf.memory(i);
            if (math == MathMode.TF32) check(cudnnSetConvolutionMathType(plan.convDesc, perf.mathType(i)), op, shapes);
            int rank = i;
            System.getLogger("io.genten").log(System.Logger.Level.DEBUG, () -> "cuDNN " + op + " " + shapes + ": algorithm " + plan.algo
                    + " (rank " + rank + " of " + n + " timed, math type " + perf.mathType(rank) + ", workspace " + plan.workspaceBytes + " B, " + math + ")");
            return;
        }
        throw new CudaException(op + " " + shapes + ": cuDNN found no deterministic " + math + " algorithm"
                + (math == MathMode.TF32 ? "" : " without TF32, FFT or Winograd") + " among " + n + " of " + count, CUDNN_STATUS_NOT_SUPPORTED);
    }

    /** Read access to the three perf-result struct types (they share no Java supertype). */
    private interface PerfReader {
        int status(int i);
        int algo(int i);
        int mathType(int i);
        long memory(int i);
        int determinism(int i);
    }

    void convForward(String op, Shape x, Shape w, Shape y, int stride, int pad, long xp, long wp, long yp) {
        var plan = plan(Direction.FORWARD, x, w, y, stride, pad, op);
        String shapes = "x " + x + " w " + w + " y " + y;
        if (plan.algo < 0) {
            requireNotCapturing(op, shapes);
            int count = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
            var ws = findWorkspace();
            try (var returned = new IntPointer(1); var perf = new cudnnConvolutionFwdAlgoPerf_t(count)) {
                check(cudnnFindConvolutionForwardAlgorithmEx(handle, plan.xDesc, dev(xp), plan.wDesc, dev(wp), plan.convDesc,
                        plan.yDesc, dev(yp), count, returned, perf, ws == null ? null : dev(ws.address()), ws == null ? 0 : ws.size()),
                        op, "cudnnFindConvolutionForwardAlgorithmEx " + shapes);
                choose(plan, count, returned, new PerfReader() {
                    public int status(int i) { return perf.getPointer(i).status(); }
                    public int algo(int i) { return perf.getPointer(i).algo(); }
                    public int mathType(int i) { return perf.getPointer(i).mathType(); }
                    public long memory(int i) { return perf.getPointer(i).memory(); }
                    public int determinism(int i) { return perf.getPointer(i).determinism(); }
                }, FWD_INEXACT, op, shapes);
            } finally {
                if (ws != null) allocator.release(ws);
            }
        }
        var ws = plan.workspaceBytes > 0 ? allocator.allocate(plan.workspaceBytes) : null;
        try {
            check(cudnnConvolutionForward(handle, one, plan.xDesc, dev(xp), plan.wDesc, dev(wp), plan.convDesc, plan.algo,
                    ws == null ? null : dev(ws.address()), plan.workspaceBytes, zero, plan.yDesc, dev(yp)), op, "cudnnConvolutionForward " + shapes);
        } finally {
            if (ws != null) allocator.release(ws);
        }
    }

    void convBackwardData(String op, Shape x, Shape w, Shape y, int stride, int pad, long dyp, long wp, long dxp) {
        var plan = plan(Direction.BACKWARD_DATA, x, w, y, stride, pad, op);
        String shapes = "dx " + x + " w " + w + " dy " + y;
        if (plan.algo < 0) {
            requireNotCapturing(op, shapes);
            int count = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
            var ws = findWorkspace();
            try (var returned = new IntPointer(1); var perf = new cudnnConvolutionBwdDataAlgoPerf_t(count)) {
                check(cudnnFindConvolutionBackwardDataAlgorithmEx(handle, plan.wDesc, dev(wp), plan.yDesc, dev(dyp), plan.convDesc,
                        plan.xDesc, dev(dxp), count, returned, perf, ws == null ? null : dev(ws.address()), ws == null ? 0 : ws.size()),
                        op, "cudnnFindConvolutionBackwardDataAlgorithmEx " + shapes);
                choose(plan, count, returned, new PerfReader() {
                    public int status(int i) { return perf.getPointer(i).status(); }
                    public int algo(int i) { return perf.getPointer(i).algo(); }
                    public int mathType(int i) { return perf.getPointer(i).mathType(); }
                    public long memory(int i) { return perf.getPointer(i).memory(); }
                    public int determinism(int i) { return perf.getPointer(i).determinism(); }
                }, BWD_DATA_INEXACT, op, shapes);
            } finally {
                if (ws != null) allocator.release(ws);
            }
        }
        var ws = plan.workspaceBytes > 0 ? allocator.allocate(plan.workspaceBytes) : null;
        try {
            check(cudnnConvolutionBackwardData(handle, one, plan.wDesc, dev(wp), plan.yDesc, dev(dyp), plan.convDesc, plan.algo,
                    ws == null ? null : dev(ws.address()), plan.workspaceBytes, zero, plan.xDesc, dev(dxp)), op, "cudnnConvolutionBackwardData " + shapes);
        } finally {
            if (ws != null) allocator.release(ws);
        }
    }

    void convBackwardFilter(String op, Shape x, Shape w, Shape y, int stride, int pad, long dyp, long xp, long dwp) {
        var plan = plan(Direction.BACKWARD_FILTER, x, w, y, stride, pad, op);
        String shapes = "x " + x + " dw " + w + " dy " + y;
        if (plan.algo < 0) {
            requireNotCapturing(op, shapes);
            int count = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
            var ws = findWorkspace();
            try (var returned = new IntPointer(1); var perf = new cudnnConvolutionBwdFilterAlgoPerf_t(count)) {
                check(cudnnFindConvolutionBackwardFilterAlgorithmEx(handle, plan.xDesc, dev(xp), plan.yDesc, dev(dyp), plan.convDesc,
                        plan.wDesc, dev(dwp), count, returned, perf, ws == null ? null : dev(ws.address()), ws == null ? 0 : ws.size()),
                        op, "cudnnFindConvolutionBackwardFilterAlgorithmEx " + shapes);
                choose(plan, count, returned, new PerfReader() {
                    public int status(int i) { return perf.getPointer(i).status(); }
                    public int algo(int i) { return perf.getPointer(i).algo(); }
                    public int mathType(int i) { return perf.getPointer(i).mathType(); }
                    public long memory(int i) { return perf.getPointer(i).memory(); }
                    public int determinism(int i) { return perf.getPointer(i).determinism(); }
                }, BWD_FILTER_INEXACT, op, shapes);
            } finally {
                if (ws != null) allocator.release(ws);
            }
        }
        var ws = plan.workspaceBytes > 0 ? allocator.allocate(plan.workspaceBytes) : null;
        try {
            check(cudnnConvolutionBackwardFilter(handle, one, plan.xDesc, dev(xp), plan.yDesc, dev(dyp), plan.convDesc, plan.algo,
                    ws == null ? null : dev(ws.address()), plan.workspaceBytes, zero, plan.wDesc, dev(dwp)), op, "cudnnConvolutionBackwardFilter " + shapes);
        } finally {
            if (ws != null) allocator.release(ws);
        }
    }

    // ---- batch normalization ------------------------------------------------------------

    /** The smallest eps cuDNN accepts; smaller ones run on our kernels instead. */
    static double minEpsilon() { return CUDNN_BN_MIN_EPSILON; }

    private BnPlan bnPlan(Shape x, String op) {
        var plan = bnPlans.get(x);
        if (plan != null) return plan;
        plan = new BnPlan();
        check(cudnnCreateTensorDescriptor(plan.xDesc), op, "cudnnCreateTensorDescriptor");
        descriptors.add(plan.xDesc);
        check(cudnnCreateTensorDescriptor(plan.bnDesc), op, "cudnnCreateTensorDescriptor");
        descriptors.add(plan.bnDesc);
        int h = x.rank() == 4 ? x.dim(2) : 1, w = x.rank() == 4 ? x.dim(3) : 1;
        check(cudnnSetTensor4dDescriptor(plan.xDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, x.dim(0), x.dim(1), h, w), op, "x " + x);
        check(cudnnDeriveBNTensorDescriptor(plan.bnDesc, plan.xDesc, CUDNN_BATCHNORM_SPATIAL), op, "x " + x);
        bnPlans.put(x, plan);
        return plan;
    }

    void batchNormTrainForward(String op, Shape x, long xp, long gamma, long beta, long y, long runMean, long runVar,
                               long saveMean, long saveInvStd, double momentum, double eps) {
        var p = bnPlan(x, op);
        check(cudnnBatchNormalizationForwardTraining(handle, CUDNN_BATCHNORM_SPATIAL, one, zero, p.xDesc, dev(xp), p.xDesc, dev(y),
                p.bnDesc, dev(gamma), dev(beta), momentum, dev(runMean), dev(runVar), eps, dev(saveMean), dev(saveInvStd)),
                op, "cudnnBatchNormalizationForwardTraining x " + x);
    }

    /** eps must be the forward's; cuDNN uses the saved mean and inverse std, eps only for validation. */
    void batchNormBackward(String op, Shape x, long xp, long dy, long dx, long gamma, long dgamma, long dbeta,
                           long saveMean, long saveInvStd, double eps) {
        var p = bnPlan(x, op);
        check(cudnnBatchNormalizationBackward(handle, CUDNN_BATCHNORM_SPATIAL, one, zero, one, zero, p.xDesc, dev(xp), p.xDesc, dev(dy),
                p.xDesc, dev(dx), p.bnDesc, dev(gamma), dev(dgamma), dev(dbeta), eps, dev(saveMean), dev(saveInvStd)),
                op, "cudnnBatchNormalizationBackward x " + x);
    }

    void batchNormInference(String op, Shape x, long xp, long gamma, long beta, long runMean, long runVar, long y, double eps) {
        var p = bnPlan(x, op);
        check(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, one, zero, p.xDesc, dev(xp), p.xDesc, dev(y),
                p.bnDesc, dev(gamma), dev(beta), dev(runMean), dev(runVar), eps), op, "cudnnBatchNormalizationForwardInference x " + x);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        for (var d : descriptors) {
            switch (d) {
                case cudnnTensorStruct t -> cudnnDestroyTensorDescriptor(t);
                case cudnnFilterStruct f -> cudnnDestroyFilterDescriptor(f);
                case cudnnConvolutionStruct c -> cudnnDestroyConvolutionDescriptor(c);
                default -> throw new IllegalStateException("unknown descriptor " + d);
            }
        }
        descriptors.clear();
        convPlans.clear();
        bnPlans.clear();
        cudnnDestroy(handle);
        one.close();
        zero.close();
    }
}
