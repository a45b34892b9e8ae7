package io.genten.backend.cpu;

import static io.genten.backend.cpu.CpuPointwise.chunked;
import static io.genten.backend.cpu.CpuPointwise.chunkedSum;
import static io.genten.backend.cpu.CpuPointwise.notNull;

import io.genten.backend.Checks;
import io.genten.backend.Reduction;
import io.genten.tensor.Tensor;

/**
 * Losses (rank-0 results, accumulated in double) and their gradients. MEAN divides by the
 * number of elements, as PyTorch's reduction='mean'. Targets may be soft (any value in [0, 1]).
 */
final class CpuLosses {
    private CpuLosses() {}

    private static void check(String op, Tensor a, Tensor b, Reduction reduction) {
        notNull(op, "input", a);
        notNull(op, "target", b);
        notNull(op, "reduction", reduction);
        Checks.sameShape(op, a, b);
    }

    private static double reduce(double sum, long n, Reduction reduction) {
        return reduction == Reduction.MEAN ? (n == 0 ? Double.NaN : sum / n) : sum;
    }

    /** Per element max(x, 0) - x t + log1p(exp(-|x|)): no overflow for any logit. */
    static Tensor bceWithLogits(Tensor logits, Tensor targets, Reduction reduction) {
        check("bceWithLogits", logits, targets, reduction);
        float[] x = logits.hostArray(), t = targets.hostArray();
        double s = chunkedSum(logits.shape().size(), (lo, hi) -> {
            double acc = 0;
            for (int i = lo; i < hi; i++) {
                double xi = x[i];
                acc += Math.max(xi, 0.0) - xi * t[i] + Math.log1p(Math.exp(-Math.abs(xi)));
            }
            return acc;
        });
        return CpuPointwise.scalar(reduce(s, logits.numel(), reduction));
    }

    /** scale (sigmoid(x) - t), divided by numel for MEAN. */
    static Tensor bceWithLogitsBackward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        check("bceWithLogitsBackward", logits, targets, reduction);
        float[] x = logits.hostArray(), t = targets.hostArray();
        double k = factor(scale, logits.numel(), reduction);
        var dx = CpuBackend.alloc(logits.shape());
        float[] out = dx.hostArray();
        chunked(logits.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = (float) (k * (1.0 / (1.0 + Math.exp(-(double) x[i])) - t[i]));
        });
        return dx;
    }

    static Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
        check("mse", prediction, target, reduction);
        float[] p = prediction.hostArray(), t = target.hostArray();
        double s = chunkedSum(prediction.shape().size(), (lo, hi) -> {
            double acc = 0;
            for (int i = lo; i < hi; i++) {
                double d = (double) p[i] - t[i];
                acc += d * d;
            }
            return acc;
        });
        return CpuPointwise.scalar(reduce(s, prediction.numel(), reduction));
    }

    /** scale 2 (p - t), divided by numel for MEAN. */
    static Tensor mseBackward(Tensor prediction, Tensor target, Reduction reduction, float scale) {
        check("mseBackward", prediction, target, reduction);
        float[] p = prediction.hostArray(), t = target.hostArray();
        double k = 2.0 * factor(scale, prediction.numel(), reduction);
        var dx = CpuBackend.alloc(prediction.shape());
        float[] out = dx.hostArray();
        chunked(prediction.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = (float) (k * ((double) p[i] - t[i]));
        });
        return dx;
    }

    private static double factor(float scale, long n, Reduction reduction) {
        return reduction == Reduction.MEAN ? (double) scale / Math.max(n, 1) : scale;
    }
}
