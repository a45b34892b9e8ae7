package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link PixelUnfold} against {@link Im2col} (itself checked against the direct loops): the same
 * matrix transposed, up to the column permutation that packWeight applies, and the adjoint fold.
 */
class PixelUnfoldTest {
    private static final int[][] SHAPES = { // cin, h, w, k, stride, pad
        {16, 7, 7, 5, 1, 2}, {3, 9, 8, 3, 2, 1}, {5, 8, 8, 5, 2, 2}, {2, 7, 6, 4, 3, 2}, {4, 5, 6, 1, 1, 0},
        {6, 10, 9, 3, 2, 0}, {1, 28, 28, 5, 2, 2}, {7, 6, 5, 2, 2, 1}};

    /**
     * Two images share one matrix, rows interleaved as (output row, image, output column); the
     * blocks of kernel rows that see only padding must be exactly Im2col's all-zero ones, left
     * unwritten by the unfold (NaN stays) and unread by the fold (NaN there changes nothing).
     */
    @Test void unfoldIsIm2colTransposedAndFoldIsItsAdjoint() {
        long seed = 7;
        for (int[] s : SHAPES) {
            int cin = s[0], h = s[1], w = s[2], k = s[3], stride = s[4], pad = s[5];
            int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1, p = oh * ow, ckk = cin * k * k;
            String what = Arrays.toString(s);
            float[] x = Tensor.randn(seed++, 0, 2, cin, h, w).hostArray();
            float[] col = new float[ckk * p], rows = new float[2 * ckk * p];
            Arrays.fill(rows, Float.NaN);
            var unfold = new PixelUnfold(cin, h, w, k, stride, pad, oh, ow);
            unfold.unfold(x, cin * h * w, rows, ow * ckk, 2 * ow); // the second image: rows (o, 1, q)
            Im2col.im2col(x, cin * h * w, cin, h, w, k, stride, pad, oh, ow, col, 0, p);
            float[] seeds = Tensor.randn(seed++, 0, 2 * ckk * p).hostArray();
            float[] colBack = new float[ckk * p];
            int skipped = 0;
            for (int ci = 0; ci < cin; ci++)
                for (int ki = 0; ki < k; ki++)
                    for (int kj = 0; kj < k; kj++)
                        for (int q = 0; q < p; q++) {
                            int r = (ci * k + ki) * k + kj, c = unfold.column(ci, ki, kj), o = q / ow;
                            int at = ((o * 2 + 1) * ow + q % ow) * ckk + c;
                            if (o >= unfold.rowsFrom(ki) && o < unfold.rowsTo(ki)) {
                                assertEquals(col[r * p + q], rows[at], what + " row " + r + " pixel " + q);
                                colBack[r * p + q] = seeds[at];
                            } else {
                                assertEquals(0f, col[r * p + q], what + " skipped row " + r + " pixel " + q + " sees the image");
                                assertTrue(Float.isNaN(rows[at]), what + " skipped row " + r + " pixel " + q + " was written");
                                seeds[at] = Float.NaN;
                                skipped++;
                            }
                        }
            assertEquals(!unfold.skipsNothing(), skipped > 0, what + ": skipped " + skipped);
            float[] dx = new float[2 * cin * h * w], want = new float[2 * cin * h * w];
            Arrays.fill(dx, 0.5f);
            Arrays.fill(want, 0.5f);
            unfold.foldAdd(seeds, ow * ckk, 2 * ow, dx, cin * h * w);
            Im2col.col2imAdd(colBack, 0, p, cin, h, w, k, stride, pad, oh, ow, want, cin * h * w);
            for (int i = 0; i < dx.length; i++) assertEquals(want[i], dx[i], 1e-5f, what + " fold at " + i);
        }
    }

    @Test void rowRangesAreWhereTheKernelRowSeesTheImage() {
        var unfold = new PixelUnfold(8, 7, 7, 5, 1, 2, 7, 7); // 7x7, 5x5, stride 1, "same"
        assertArrayEquals(new int[] {2, 1, 0, 0, 0}, new int[] {unfold.rowsFrom(0), unfold.rowsFrom(1), unfold.rowsFrom(2), unfold.rowsFrom(3), unfold.rowsFrom(4)});
        assertArrayEquals(new int[] {7, 7, 7, 6, 5}, new int[] {unfold.rowsTo(0), unfold.rowsTo(1), unfold.rowsTo(2), unfold.rowsTo(3), unfold.rowsTo(4)});
        var strided = new PixelUnfold(8, 14, 14, 5, 2, 2, 7, 7); // 14x14 -> 7x7
        assertArrayEquals(new int[] {1, 1, 0, 0, 0}, new int[] {strided.rowsFrom(0), strided.rowsFrom(1), strided.rowsFrom(2), strided.rowsFrom(3), strided.rowsFrom(4)});
        assertArrayEquals(new int[] {7, 7, 7, 7, 6}, new int[] {strided.rowsTo(0), strided.rowsTo(1), strided.rowsTo(2), strided.rowsTo(3), strided.rowsTo(4)});
        // the VAE's 3x3 stride-2 convs would skip 2-5% of the rows: not worth splitting the GEMM
        var vae = new PixelUnfold(32, 14, 14, 3, 2, 1, 7, 7);
        assertTrue(vae.skipsNothing());
        assertEquals(0, vae.rowsFrom(0));
        assertEquals(7, vae.rowsTo(2));
        assertTrue(!unfold.skipsNothing() && !strided.skipsNothing());
        var tiny = new PixelUnfold(2, 1, 3, 5, 1, 2, 1, 3); // one input row: only the middle kernel row sees it
        assertEquals(tiny.rowsFrom(0), tiny.rowsTo(0));
        assertEquals(0, tiny.rowsFrom(2));
        assertEquals(1, tiny.rowsTo(2));
        assertEquals(tiny.rowsFrom(4), tiny.rowsTo(4));
    }

    /**
     * One instance folds, then unfolds: the fold leaves sums in the stage's padding cells, which the
     * unfold must overwrite with zeros (a conv's backward-data and the next forward may share one).
     */
    @Test void unfoldAfterFoldStillPadsWithZeros() {
        for (int[] s : SHAPES) {
            int cin = s[0], h = s[1], w = s[2], k = s[3], stride = s[4], pad = s[5];
            int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1, p = oh * ow, ckk = cin * k * k;
            var unfold = new PixelUnfold(cin, h, w, k, stride, pad, oh, ow);
            unfold.foldAdd(Tensor.randn(21, 0, ckk * p).hostArray(), 0, ow, new float[cin * h * w], 0);
            float[] x = Tensor.randn(22, 0, cin, h, w).hostArray();
            float[] rows = new float[ckk * p], col = new float[ckk * p];
            unfold.unfold(x, 0, rows, 0, ow);
            Im2col.im2col(x, 0, cin, h, w, k, stride, pad, oh, ow, col, 0, p);
            for (int ci = 0; ci < cin; ci++)
                for (int ki = 0; ki < k; ki++)
                    for (int kj = 0; kj < k; kj++)
                        for (int q = 0; q < p; q++) {
                            int r = (ci * k + ki) * k + kj;
                            assertEquals(col[r * p + q], rows[q * ckk + unfold.column(ci, ki, kj)], Arrays.toString(s) + " row " + r + " pixel " + q);
                        }
        }
    }

    @Test void packWeightAndUnpackWeightAreInverse() {
        var unfold = new PixelUnfold(5, 8, 8, 3, 2, 1, 4, 4);
        float[] w = Tensor.randn(3, 0, 7, 5, 3, 3).hostArray();
        // destinations as the workspace hands them out: longer than needed, holding old values
        float[] packed = new float[w.length + 9];
        Arrays.fill(packed, Float.NaN);
        unfold.packWeight(w, 7, packed);
        assertEquals(false, Arrays.equals(w, 0, w.length, packed, 0, w.length), "the column order differs from PyTorch's");
        float[] back = new float[w.length];
        Arrays.fill(back, Float.NaN);
        assertArrayEquals(w, unfold.unpackWeight(packed, 7, back));
        float[] transposed = new float[w.length];
        Arrays.fill(transposed, Float.NaN);
        unfold.packWeightTransposed(w, 7, transposed);
        for (int co = 0; co < 7; co++)
            for (int j = 0; j < w.length / 7; j++) assertEquals(packed[co * (w.length / 7) + j], transposed[j * 7 + co], "row " + co + " column " + j);
    }
}
