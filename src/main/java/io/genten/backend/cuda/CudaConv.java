package io.genten.backend.cuda;

import static io.genten.backend.cuda.CudaBackend.address;
import static io.genten.backend.cuda.CudaBackend.p;
import static io.genten.backend.cuda.CudaPointwise.actAlpha;
import static io.genten.backend.cuda.CudaPointwise.actCode;

import io.genten.backend.Activation;
import io.genten.backend.Checks;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.ConvImpl;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * Convolution on CUDA: our implicit-GEMM kernels ({@code native/conv.cu}, {@code ConvImpl.NATIVE})
 * or cuDNN ({@link CudnnOps}, {@code ConvImpl.CUDNN}), and the bias ops beside them (bias add and
 * the per-channel bias gradient, {@code native/elementwise.cu}). Shapes are {@link Conv2dSpec}'s.
 *
 * <p>Which block tile our kernels run (64 x 64, the wide 128 x 64 / 64 x 128, or 128 x 128) and how
 * each direction splits its reduction (split-K, summed in a fixed order) are decided natively, per
 * call, from the shape and math mode alone ({@code choose_tile}, {@code choose_splits} and
 * backward-filter's split plan in {@code native/conv.cu}: the plan of least time in the offline issue
 * model, benchmarks/NOTES.md), so nothing here picks a tile; the environment variables
 * {@code GENTEN_CONV_TILE} ({@code 64x64}, {@code wide}, {@code 128x128}) and {@code GENTEN_CONV_SPLITS}
 * (a count, forward and backward-data) force one for measurements.
 */
final class CudaConv {
    private CudaConv() {}

    /** Bias and activation in our kernel's epilogue; after cuDNN, in one in-place pass. */
    static Tensor forward(CudaBackend b, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Activation act) {
        String op = "conv2dForward";
        Checks.on(op, b.device(), x, w, bias);
        var yShape = spec.outputShape(op, x.shape(), w.shape());
        if (bias != null) Checks.lengths(op, bias, w.dim(0));
        var y = b.alloc(op, yShape);
        if (y.numel() == 0) return y;
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3), k = w.dim(0), r = w.dim(2);
        int oh = yShape.dim(2), ow = yShape.dim(3);
        if (b.options().conv() == ConvImpl.CUDNN) {
            try {
                b.cudnn().convForward(op, x.shape(), w.shape(), yShape, spec.stride(), spec.padding(), address(x), address(w), address(y));
            } catch (CudaOutOfMemoryException e) {
                throw b.outOfMemory(op + " " + CudaBackend.shapes(x, w) + ": out of device memory for cuDNN's workspace", e);
            }
            if (bias != null) {
                b.check(Native.biasActivation(p(y), p(bias), n, k, oh * ow, actCode(act), actAlpha(act), b.stream()), op, x, w, bias);
            } else {
                CudaPointwise.activateInPlace(b, op, act, y);
            }
        } else {
            b.check(Native.conv2dForward(p(x), p(w), p(bias), p(y), n, c, h, wd, k, r, spec.stride(), spec.padding(), oh, ow,
                    b.mathCode(), actCode(act), actAlpha(act), b.stream()), op, x, w, bias);
        }
        return y;
    }

    static Tensor backwardData(CudaBackend b, Tensor dy, Tensor w, Shape xShape, Conv2dSpec spec) {
        String op = "conv2dBackwardData";
        Checks.on(op, b.device(), dy, w);
        Checks.rank(op, "xShape", xShape, 4);
        Checks.shape(op, "dy", dy, spec.outputShape(op, xShape, w.shape()));
        var dx = b.alloc(op, xShape);
        if (dx.numel() == 0) return dx;
        if (dy.numel() == 0) {
            b.fill(dx, 0f);
            return dx;
        }
        if (b.options().conv() == ConvImpl.CUDNN) {
            try {
                b.cudnn().convBackwardData(op, xShape, w.shape(), dy.shape(), spec.stride(), spec.padding(), address(dy), address(w), address(dx));
            } catch (CudaOutOfMemoryException e) {
                throw b.outOfMemory(op + " " + CudaBackend.shapes(dy, w) + ": out of device memory for cuDNN's workspace", e);
            }
        } else {
            b.check(Native.conv2dBackwardData(p(dy), p(w), p(dx), xShape.dim(0), xShape.dim(1), xShape.dim(2), xShape.dim(3),
                    w.dim(0), w.dim(2), spec.stride(), spec.padding(), dy.dim(2), dy.dim(3), b.mathCode(), b.stream()), op, dy, w);
        }
        return dx;
    }

    static Tensor backwardFilter(CudaBackend b, Tensor dy, Tensor x, Shape wShape, Conv2dSpec spec) {
        String op = "conv2dBackwardFilter";
        Checks.on(op, b.device(), dy, x);
        Checks.rank(op, "wShape", wShape, 4);
        Checks.shape(op, "dy", dy, spec.outputShape(op, x.shape(), wShape));
        var dw = b.alloc(op, wShape);
        if (dw.numel() == 0) return dw;
        if (dy.numel() == 0) {
            b.fill(dw, 0f);
            return dw;
        }
        if (b.options().conv() == ConvImpl.CUDNN) {
            try {
                b.cudnn().convBackwardFilter(op, x.shape(), wShape, dy.shape(), spec.stride(), spec.padding(), address(dy), address(x), address(dw));
            } catch (CudaOutOfMemoryException e) {
                throw b.outOfMemory(op + " " + CudaBackend.shapes(dy, x) + ": out of device memory for cuDNN's workspace", e);
            }
        } else {
            b.check(Native.conv2dBackwardFilter(p(dy), p(x), p(dw), x.dim(0), x.dim(1), x.dim(2), x.dim(3), wShape.dim(0), wShape.dim(2),
                    spec.stride(), spec.padding(), dy.dim(2), dy.dim(3), b.mathCode(), b.stream()), op, dy, x);
        }
        return dw;
    }

    static void addBiasInPlace(CudaBackend b, Tensor y, Tensor bias) {
        String op = "addBiasInPlace";
        Checks.on(op, b.device(), y, bias);
        if (y.rank() < 2 || bias.rank() != 1 || bias.dim(0) != y.dim(1)) {
            throw new IllegalArgumentException(op + ": bias " + bias.shape() + " does not match the channels of " + y.shape());
        }
        int n = y.dim(0), c = y.dim(1);
        if (y.numel() == 0) return;
        int hw = Math.toIntExact(y.numel() / ((long) n * c));
        b.check(Native.biasActivation(p(y), p(bias), n, c, hw, actCode(Activation.IDENTITY), 0f, b.stream()), op, y, bias);
    }

    static Tensor biasGradient(CudaBackend b, Tensor dy) {
        String op = "biasGradient";
        Checks.on(op, b.device(), dy);
        if (dy.rank() < 2) throw new IllegalArgumentException(op + ": dy " + dy.shape() + " must have rank >= 2 (N, C, ...)");
        int n = dy.dim(0), c = dy.dim(1);
        int hw = n * c == 0 ? 0 : Math.toIntExact(dy.numel() / ((long) n * c));
        var out = b.alloc(op, Shape.of(c));
        if (c == 0) return out;
        if (dy.numel() == 0) {
            b.fill(out, 0f);
            return out;
        }
        b.check(Native.channelSum(p(dy), p(out), n, c, hw, b.stream()), op, dy);
        return out;
    }
}
