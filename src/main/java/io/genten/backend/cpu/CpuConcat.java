package io.genten.backend.cpu;

import io.genten.backend.ConcatShapes;
import io.genten.tensor.Tensor;
import java.util.List;

/**
 * Concatenation and slicing along dimension 1: per outer index (dimension 0) each part is one
 * contiguous block of {@code dim1 * inner} floats, copied with {@link System#arraycopy}. Pure copies,
 * so they are exact and need no threading at the sizes the models use.
 */
final class CpuConcat {
    private CpuConcat() {}

    static Tensor concat(List<Tensor> parts) {
        var shape = ConcatShapes.concat("concat", parts);
        var out = CpuBackend.alloc(shape);
        float[] o = out.hostArray();
        int outer = shape.dim(0), inner = ConcatShapes.inner(shape), outRow = shape.dim(1) * inner;
        int at = 0;
        for (var p : parts) {
            float[] src = p.hostArray();
            int block = p.dim(1) * inner;
            for (int n = 0; n < outer; n++) System.arraycopy(src, n * block, o, n * outRow + at, block);
            at += block;
        }
        return out;
    }

    static Tensor slice(Tensor x, int start, int length) {
        var shape = ConcatShapes.slice("slice", x, start, length);
        var out = CpuBackend.alloc(shape);
        float[] src = x.hostArray(), o = out.hostArray();
        int outer = shape.dim(0), inner = ConcatShapes.inner(shape), inRow = x.dim(1) * inner, block = length * inner;
        for (int n = 0; n < outer; n++) System.arraycopy(src, n * inRow + start * inner, o, n * block, block);
        return out;
    }
}
