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
}
