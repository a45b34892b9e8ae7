package io.genten.backend.cpu;

import io.genten.backend.ConcatShapes;
import io.genten.backend.Reduction;
import io.genten.tensor.Tensor;

/**
 * Softmax cross-entropy over rows of logits (N, C) against class probabilities, in double per row:
 * {@code loss_n = sum_c t_c (lse(x_n) - x_nc)} with {@code lse} the log-sum-exp shifted by the row's
 * maximum (no overflow for any logit), and its gradient {@code softmax(x_n) sum_c t_c - t_n}. The
 * row sums are added in row order, so the result does not depend on threading.
 */
final class CpuSoftmaxCrossEntropy {
    private CpuSoftmaxCrossEntropy() {}

    /** max_c x + log sum_c exp(x_c - max) of row n. */
    private static double logSumExp(float[] x, int row, int c) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) max = Math.max(max, x[row + j]);
        double s = 0;
        for (int j = 0; j < c; j++) s += Math.exp(x[row + j] - max);
        return max + Math.log(s);
    }

    static Tensor forward(Tensor logits, Tensor targets, Reduction reduction) {
        ConcatShapes.classification("softmaxCrossEntropy", logits, targets, reduction);
        int n = logits.dim(0), c = logits.dim(1);
        float[] x = logits.hostArray(), t = targets.hostArray();
        double total = 0;
        for (int i = 0; i < n; i++) {
            int row = i * c;
            double lse = logSumExp(x, row, c), acc = 0;
            for (int j = 0; j < c; j++) acc += t[row + j] * (lse - x[row + j]);
            total += acc;
        }
        return CpuPointwise.scalar(reduction == Reduction.MEAN ? total / n : total);
    }

    static Tensor backward(Tensor logits, Tensor targets, Reduction reduction, float scale) {
        ConcatShapes.classification("softmaxCrossEntropyBackward", logits, targets, reduction);
        int n = logits.dim(0), c = logits.dim(1);
        float[] x = logits.hostArray(), t = targets.hostArray();
        double k = reduction == Reduction.MEAN ? (double) scale / n : scale;
        var dx = CpuBackend.alloc(logits.shape());
        float[] out = dx.hostArray();
        for (int i = 0; i < n; i++) {
            int row = i * c;
            double lse = logSumExp(x, row, c), tsum = 0;
            for (int j = 0; j < c; j++) tsum += t[row + j];
            for (int j = 0; j < c; j++) out[row + j] = (float) (k * (Math.exp(x[row + j] - lse) * tsum - t[row + j]));
        }
        return dx;
    }
}
