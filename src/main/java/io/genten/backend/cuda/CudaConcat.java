package io.genten.backend.cuda;

import io.genten.backend.Checks;
import io.genten.backend.ConcatShapes;
import io.genten.backend.Reduction;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The extra models' ops on the GPU: concatenation and slicing along dimension 1 as block copies
 * ({@code genten_copy_blocks}, one launch per part: our own kernel rather than cudaMemcpy2DAsync
 * so that it runs on the CPU emulator of the kernels like every other op), and the softmax
 * cross-entropy ({@code softmax_xent.cu}). Shape rules are {@link ConcatShapes}', shared with the
 * CPU backend. {@link CudaBackend} routes its four methods here.
 */
final class CudaConcat {
    private CudaConcat() {}

    private static MemorySegment at(Tensor t, long floatOffset) {
        return MemorySegment.ofAddress(CudaBackend.address(t) + 4 * floatOffset);
    }

    private static String shapes(List<Tensor> ts) {
        return ts.stream().map(t -> t.shape().toString()).toList().toString();
    }

    static Tensor concat(CudaBackend b, List<Tensor> parts) {
        if (parts != null) Checks.on("concat", b.device(), parts.toArray(Tensor[]::new));
        Shape shape = ConcatShapes.concat("concat", parts);
        var out = b.alloc("concat", shape);
        long outer = shape.dim(0), inner = ConcatShapes.inner(shape), outRow = shape.dim(1) * inner;
        long at = 0;
        for (var p : parts) {
            long block = p.dim(1) * inner;
            if (outer > 0 && block > 0) {
                b.check(NativeModelOps.copyBlocks(at(out, at), outRow, at(p, 0), block, outer, block, b.stream()), "concat", shapes(parts));
            }
            at += block;
        }
        return out;
    }

    static Tensor slice(CudaBackend b, Tensor x, int start, int length) {
        Checks.on("slice", b.device(), x);
        Shape shape = ConcatShapes.slice("slice", x, start, length);
        var out = b.alloc("slice", shape);
        long outer = shape.dim(0), inner = ConcatShapes.inner(shape), inRow = x.dim(1) * inner, block = length * inner;
        if (outer > 0 && block > 0) {
            b.check(NativeModelOps.copyBlocks(at(out, 0), block, at(x, start * inner), inRow, outer, block, b.stream()),
                    "slice", x.shape() + " [" + start + ", " + (start + length) + ")");
        }
        return out;
    }

    static Tensor softmaxCrossEntropy(CudaBackend b, Tensor logits, Tensor targets, Reduction reduction) {
        String op = "softmaxCrossEntropy";
        Checks.on(op, b.device(), logits, targets);
        ConcatShapes.classification(op, logits, targets, reduction);
        int n = logits.dim(0), c = logits.dim(1);
        var out = b.alloc(op, Shape.scalar());
        float scale = reduction == Reduction.MEAN ? (float) (1.0 / n) : 1f;
        b.check(NativeModelOps.softmaxXent(at(logits, 0), at(targets, 0), at(out, 0), n, c, scale, b.stream()), op, logits.shape().toString());
        return out;
    }

    static Tensor softmaxCrossEntropyBackward(CudaBackend b, Tensor logits, Tensor targets, Reduction reduction, float scale) {
        String op = "softmaxCrossEntropyBackward";
        Checks.on(op, b.device(), logits, targets);
        ConcatShapes.classification(op, logits, targets, reduction);
        int n = logits.dim(0), c = logits.dim(1);
        var dx = b.alloc(op, logits.shape());
        float k = reduction == Reduction.MEAN ? (float) ((double) scale / n) : scale;
        b.check(NativeModelOps.softmaxXentBackward(at(logits, 0), at(targets, 0), at(dx, 0), n, c, k, b.stream()), op, logits.shape().toString());
        return dx;
    }
}
