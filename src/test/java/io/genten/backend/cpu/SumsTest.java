package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genten.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The four-way partial sums against one plain running sum, at every tail length and offset. */
class SumsTest {
    @Test void matchPlainSumsAtEveryTailLength() {
        float[] a = Tensor.randn(11, 0, 64).hostArray(), b = Tensor.randn(12, 0, 64).hostArray();
        for (int off = 0; off < 5; off++) {
            for (int len = 0; len <= 13; len++) {
                double mean = 0.37, s = 0, sq = 0, dot = 0;
                for (int i = off; i < off + len; i++) {
                    s += a[i];
                    sq += (a[i] - mean) * (a[i] - mean);
                    dot += b[i] * (a[i] - mean);
                }
                String what = "off " + off + " len " + len;
                assertEquals(s, Sums.sum(a, off, len), 1e-12, what);
                assertEquals(sq, Sums.squaredDeviations(a, off, len, mean), 1e-12, what);
                assertEquals(dot, Sums.dotCentred(b, a, off, len, mean), 1e-12, what);
            }
        }
    }

    @Test void laneAccumulationSumsEveryRangeAndClearsOnDrain() {
        float[] a = Tensor.randn(13, 0, 200).hostArray(), g = Tensor.randn(14, 0, 200).hostArray();
        for (int len : new int[] {1, 3, 4, 7, 49}) {
            double[] acc = new double[len], sq = new double[len], dot = new double[len];
            double want = 0, wantSq = 0, wantDot = 0, mean = -0.21;
            for (int off = 0; off + len <= 150; off += len + 3) {
                Sums.accumulate(acc, a, off, len);
                Sums.accumulateSquaredDeviations(sq, a, off, len, mean);
                Sums.accumulateDotCentred(dot, g, a, off, len, mean);
                for (int j = off; j < off + len; j++) {
                    want += a[j];
                    wantSq += (a[j] - mean) * (a[j] - mean);
                    wantDot += g[j] * (a[j] - mean);
                }
            }
            assertEquals(want, Sums.drain(acc, len), 1e-9, "len " + len);
            assertEquals(wantSq, Sums.drain(sq, len), 1e-9, "len " + len);
            assertEquals(wantDot, Sums.drain(dot, len), 1e-9, "len " + len);
            assertEquals(0.0, Sums.drain(acc, len), "drain clears");
        }
    }
}
