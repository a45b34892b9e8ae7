package io.genten.backend.cuda;

import static io.genten.backend.cuda.CudaBackend.p;

import io.genten.backend.Checks;
import io.genten.backend.Reduction;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/** The losses on CUDA ({@code native/loss.cu}): BCE with logits and MSE, each with its backward. */
final class CudaLosses {
    private CudaLosses() {}

    private static float reductionScale(Reduction r, long n) {
        return r == Reduction.MEAN ? (float) (1.0 / Math.max(1, n)) : 1f;
    }

    /** scale / n for MEAN rounded once from double, the CPU backend's gradient factor (not a product of two floats). */
    private static float gradientScale(float scale, Reduction r, long n) {
        return r == Reduction.MEAN ? (float) ((double) scale / Math.max(1, n)) : scale;
    }

    static Tensor bceWithLogits(CudaBackend b, Tensor logits, Tensor targets, Reduction reduction) {
        String op = "bceWithLogits";
        Checks.on(op, b.device(), logits, targets);
        Checks.sameShape(op, logits, targets);
        var out = b.alloc(op, Shape.scalar());
        long n = logits.numel();
        if (n == 0) b.fill(out, reduction == Reduction.MEAN ? Float.NaN : 0f);
        else b.check(Native.bceWithLogits(p(logits), p(targets), p(out), n, reductionScale(reduction, n), b.stream()), op, logits, targets);
        return out;
    }

    static Tensor bceWithLogitsBackward(CudaBackend b, Tensor logits, Tensor targets, Reduction reduction, float scale) {
        String op = "bceWithLogitsBackward";
        Checks.on(op, b.device(), logits, targets);
        Checks.sameShape(op, logits, targets);
        var dx = b.alloc(op, logits.shape());
        long n = logits.numel();
        if (n > 0) {
            b.check(Native.bceWithLogitsBackward(p(logits), p(targets), p(dx), n, gradientScale(scale, reduction, n), b.stream()),
                    op, logits, targets);
        }
        return dx;
    }

    static Tensor mse(CudaBackend b, Tensor prediction, Tensor target, Reduction reduction) {
        String op = "mse";
        Checks.on(op, b.device(), prediction, target);
        Checks.sameShape(op, prediction, target);
        var out = b.alloc(op, Shape.scalar());
        long n = prediction.numel();
        if (n == 0) b.fill(out, reduction == Reduction.MEAN ? Float.NaN : 0f);
        else b.check(Native.mse(p(prediction), p(target), p(out), n, reductionScale(reduction, n), b.stream()), op, prediction, target);
        return out;
    }

    static Tensor mseBackward(CudaBackend b, Tensor prediction, Tensor target, Reduction reduction, float scale) {
        String op = "mseBackward";
        Checks.on(op, b.device(), prediction, target);
        Checks.sameShape(op, prediction, target);
        var dx = b.alloc(op, prediction.shape());
        long n = prediction.numel();
        if (n > 0) {
            b.check(Native.mseBackward(p(prediction), p(target), p(dx), n, gradientScale(scale, reduction, n), b.stream()),
                    op, prediction, target);
        }
        return dx;
    }
}
