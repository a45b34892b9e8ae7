package io.genten.backend.cpu;

import io.genten.backend.Activation;
import io.genten.backend.Checks;
import io.genten.tensor.Philox;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * Activations, dropout, elementwise arithmetic and reductions. Large arrays are split into
 * fixed chunks so that results (including reductions) do not depend on the thread count.
 */
final class CpuPointwise {
    /** Elements per parallel chunk: a multiple of 4 so that Philox blocks never straddle chunks. */
    static final int CHUNK = 1 << 14;

    private CpuPointwise() {}

    /** A half-open index range [lo, hi) of one chunk. */
    @FunctionalInterface
    interface Range {
        void run(int lo, int hi);
    }

    /** A per-chunk partial result, combined in chunk order. */
    @FunctionalInterface
    interface RangeSum {
        double run(int lo, int hi);
    }

    static void chunked(int n, Range body) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        Parallel.forEach(chunks, CHUNK, c -> {
            int lo = c * CHUNK;
            body.run(lo, Math.min(n, lo + CHUNK));
        });
    }

    /** Sum of per-chunk doubles in a fixed order: deterministic whatever the threading. */
    static double chunkedSum(int n, RangeSum body) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        var partial = new double[chunks];
        Parallel.forEach(chunks, CHUNK, c -> {
            int lo = c * CHUNK;
            partial[c] = body.run(lo, Math.min(n, lo + CHUNK));
        });
        double s = 0;
        for (double p : partial) s += p;
        return s;
    }

    static Tensor scalar(double v) {
        var t = CpuBackend.alloc(Shape.scalar());
        t.hostArray()[0] = (float) v;
        return t;
    }

    static void sameShape(String op, Tensor... ts) {
        for (int i = 1; i < ts.length; i++) Checks.sameShape(op, ts[0], ts[i]);
    }

    static void notNull(String op, String name, Object o) {
        if (o == null) throw new IllegalArgumentException(op + ": " + name + " is null");
    }

    // ---- activations ---------------------------------------------------------------------

    static Tensor activationForward(Activation act, Tensor x) {
        notNull("activationForward", "activation", act);
        notNull("activationForward", "x", x);
        int n = x.shape().size();
        float[] in = x.hostArray();
        var y = CpuBackend.allocToOverwrite(x.shape());
        float[] out = y.hostArray();
        // the switch sits outside the loops so that the piecewise-linear ones vectorize
        chunked(n, (lo, hi) -> {
            switch (act) {
                case Activation.Identity a -> System.arraycopy(in, lo, out, lo, hi - lo);
                case Activation.Relu a -> { for (int i = lo; i < hi; i++) out[i] = Math.max(in[i], 0f); }
                case Activation.LeakyRelu l -> {
                    // max/min instead of a branch: random signs mispredict, and this form vectorizes (~40x here)
                    float alpha = l.alpha();
                    for (int i = lo; i < hi; i++) out[i] = Math.max(in[i], 0f) + alpha * Math.min(in[i], 0f);
                }
                default -> { for (int i = lo; i < hi; i++) out[i] = act.apply(in[i]); }
            }
        });
        return y;
    }

    /** Whether {@link #activateInPlace} takes this activation (the piecewise-linear ones). */
    static boolean inPlace(Activation act) {
        return act instanceof Activation.Identity || act instanceof Activation.Relu || act instanceof Activation.LeakyRelu;
    }

    /**
     * a[from, to) = act(a[from, to)), the same float operations as {@link #activationForward}: a
     * producer (batch norm) applies it to a range it has just written, still in cache, instead of a
     * second pass over the whole tensor.
     */
    static void activateInPlace(Activation act, float[] a, int from, int to) {
        switch (act) {
            case Activation.Identity i -> { }
            case Activation.Relu r -> { for (int i = from; i < to; i++) a[i] = Math.max(a[i], 0f); }
            case Activation.LeakyRelu l -> {
                float alpha = l.alpha();
                for (int i = from; i < to; i++) a[i] = Math.max(a[i], 0f) + alpha * Math.min(a[i], 0f);
            }
            default -> throw new IllegalArgumentException("activateInPlace: " + act + " is not piecewise linear");
        }
    }

    /** {@code y} may be null: it is then recomputed from x (only tanh and sigmoid read it). */
    static Tensor activationBackward(Activation act, Tensor x, Tensor y, Tensor dy) {
        String op = "activationBackward";
        notNull(op, "activation", act);
        notNull(op, "x", x);
        notNull(op, "dy", dy);
        Checks.sameShape(op, x, dy);
        if (y != null) Checks.sameShape(op, x, y);
        int n = x.shape().size();
        float[] xs = x.hostArray(), ys = y == null ? null : y.hostArray(), g = dy.hostArray();
        var dx = CpuBackend.allocToOverwrite(x.shape());
        float[] out = dx.hostArray();
        chunked(n, (lo, hi) -> {
            switch (act) {
                case Activation.Identity a -> System.arraycopy(g, lo, out, lo, hi - lo);
                // signum(max(x, 0)) is 1 where x > 0 and 0 elsewhere (NaN stays NaN): a branch-free,
                // vectorizable mask; the branchy form mispredicts on random signs
                case Activation.Relu a -> { for (int i = lo; i < hi; i++) out[i] = g[i] * Math.signum(Math.max(xs[i], 0f)); }
                case Activation.LeakyRelu l -> {
                    float alpha = l.alpha();
                    for (int i = lo; i < hi; i++) {
                        float keep = Math.signum(Math.max(xs[i], 0f));
                        out[i] = g[i] * keep + alpha * g[i] * (1f - keep); // exactly g or alpha * g
                    }
                }
                default -> {
                    for (int i = lo; i < hi; i++) {
                        float yi = ys == null ? act.apply(xs[i]) : ys[i];
                        out[i] = act.derivative(xs[i], yi, g[i]);
                    }
                }
            }
        });
        return dx;
    }

    // ---- dropout ---------------------------------------------------------------------------

    /**
     * Inverted dropout, the same function for forward and backward: element i is
     * {@code x[i] * (keep ? (float) (1 / (1 - p)) : 0) + 0}, keep iff
     * {@code Philox.uniform(word i of stream (seed, offset)) >= p} (a dropped NaN stays NaN, as in
     * PyTorch and the CUDA kernel). p == 0 copies.
     */
    static Tensor dropout(Tensor x, float p, long seed, long offset) {
        notNull("dropout", "x", x);
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: probability p must be in [0, 1) but is " + p + " (tensor " + x.shape() + ")");
        }
        int n = x.shape().size();
        float[] in = x.hostArray();
        var y = CpuBackend.allocToOverwrite(x.shape());
        float[] out = y.hostArray();
        if (p == 0f) {
            System.arraycopy(in, 0, out, 0, n);
            return y;
        }
        float keepScale = (float) (1.0 / (1.0 - p));
        // uniform(w) = (w >>> 8) * 2^-24 >= p exactly when (w >>> 8) >= ceil(p * 2^24): an integer
        // compare whose sign bit gives a 0/1 keep factor; multiplying by it vectorizes, where the
        // bit mask on the float (floatToRawIntBits) did not: 0.66 -> 0.11 ns per element
        int threshold = (int) Math.ceil(p * 16777216.0);
        chunked(n, (lo, hi) -> {
            Philox.wordsInPieces(seed, offset, lo, hi, (w, from, to) -> {
                for (int i = from; i < to; i++) {
                    float keep = (float) ((((w[i - from] >>> 8) - threshold) >>> 31) ^ 1); // 1 where kept, else 0
                    out[i] = in[i] * (keep * keepScale) + 0f; // + 0: a dropped -x gives +0, as the kernel does
                }
            });
        });
        return y;
    }

    // ---- arithmetic ------------------------------------------------------------------------

    static Tensor add(Tensor a, Tensor b) {
        notNull("add", "a", a);
        notNull("add", "b", b);
        Checks.sameShape("add", a, b);
        float[] x = a.hostArray(), z = b.hostArray();
        var c = CpuBackend.alloc(a.shape());
        float[] out = c.hostArray();
        chunked(a.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = x[i] + z[i];
        });
        return c;
    }

    static void addInPlace(Tensor acc, Tensor x) {
        notNull("addInPlace", "acc", acc);
        notNull("addInPlace", "x", x);
        Checks.sameShape("addInPlace", acc, x);
        float[] a = acc.hostArray(), b = x.hostArray();
        chunked(acc.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) a[i] += b[i];
        });
    }

    static Tensor scale(Tensor a, float s) {
        notNull("scale", "a", a);
        float[] x = a.hostArray();
        var c = CpuBackend.alloc(a.shape());
        float[] out = c.hostArray();
        chunked(a.shape().size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = x[i] * s;
        });
        return c;
    }

    // ---- reductions ------------------------------------------------------------------------

    static double sumDouble(Tensor t) {
        float[] x = t.hostArray();
        return chunkedSum(t.shape().size(), (lo, hi) -> {
            double s = 0;
            for (int i = lo; i < hi; i++) s += x[i];
            return s;
        });
    }

    static Tensor sum(Tensor t) {
        notNull("sum", "t", t);
        return scalar(sumDouble(t));
    }

    /** The mean of all elements; NaN for an empty tensor, as PyTorch. */
    static Tensor mean(Tensor t) {
        notNull("mean", "t", t);
        long n = t.numel();
        return scalar(n == 0 ? Double.NaN : sumDouble(t) / n);
    }
}
