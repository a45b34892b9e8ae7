package io.genten.nn;

/**
 * Plain float64 reference layers, written from the definitions (PyTorch's documentation), for
 * the finite-difference checks. Flat NCHW arrays; every function allocates its output.
 */
final class Ref {
    private Ref() {}

    /** y (n, out) = x (n, in) w^T (w: out x in) + b. */
    static double[] linear(double[] x, int n, int in, double[] w, int out, double[] b) {
        var y = new double[n * out];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int k = 0; k < in; k++) s += x[i * in + k] * w[o * in + k];
                y[i * out + o] = s;
            }
        return y;
    }

    /** Cross-correlation with zero padding; w (cout, cin, k, k). */
    static double[] conv2d(double[] x, int n, int cin, int h, int wd, double[] w, int cout, int k, int stride, int pad, double[] b) {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        var y = new double[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++) {
                        double s = b == null ? 0 : b[co];
                        for (int ci = 0; ci < cin; ci++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++) {
                                    int r = p * stride - pad + u, c = q * stride - pad + v;
                                    if (r < 0 || r >= h || c < 0 || c >= wd) continue;
                                    s += x[((i * cin + ci) * h + r) * wd + c] * w[((co * cin + ci) * k + u) * k + v];
                                }
                        y[((i * cout + co) * oh + p) * ow + q] = s;
                    }
        return y;
    }

    static int transposedSize(int in, int k, int stride, int pad, int outPad) {
        return (in - 1) * stride - 2 * pad + k + outPad;
    }

    /**
     * PyTorch's ConvTranspose2d by its scatter definition: input pixel (r, c) adds
     * x * w[ci, co, u, v] to output (r*stride - pad + u, c*stride - pad + v); w (cin, cout, k, k).
     */
    static double[] convTranspose2d(double[] x, int n, int cin, int h, int wd, double[] w, int cout, int k, int stride, int pad, int outPad, double[] b) {
        int oh = transposedSize(h, k, stride, pad, outPad), ow = transposedSize(wd, k, stride, pad, outPad);
        var y = new double[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int p = 0; p < oh * ow; p++) y[(i * cout + co) * oh * ow + p] = b == null ? 0 : b[co];
        for (int i = 0; i < n; i++)
            for (int ci = 0; ci < cin; ci++)
                for (int r = 0; r < h; r++)
                    for (int c = 0; c < wd; c++) {
                        double xv = x[((i * cin + ci) * h + r) * wd + c];
                        for (int co = 0; co < cout; co++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++) {
                                    int orow = r * stride - pad + u, ocol = c * stride - pad + v;
                                    if (orow < 0 || orow >= oh || ocol < 0 || ocol >= ow) continue;
                                    y[((i * cout + co) * oh + orow) * ow + ocol] += xv * w[((ci * cout + co) * k + u) * k + v];
                                }
                    }
        return y;
    }

    /** Training-mode batchnorm over (n, c, spatial): biased batch variance. */
    static double[] batchNorm(double[] x, int n, int c, int spatial, double[] gamma, double[] beta, double eps) {
        var y = new double[x.length];
        int m = n * spatial;
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) for (int s = 0; s < spatial; s++) mean += x[(i * c + ch) * spatial + s];
            mean /= m;
            for (int i = 0; i < n; i++) for (int s = 0; s < spatial; s++) {
                double d = x[(i * c + ch) * spatial + s] - mean;
                var += d * d;
            }
            var /= m;
            double inv = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < n; i++) for (int s = 0; s < spatial; s++) {
                int at = (i * c + ch) * spatial + s;
                y[at] = (x[at] - mean) * inv * gamma[ch] + beta[ch];
            }
        }
        return y;
    }

    /** Per-channel unbiased variance and mean of x, as the running statistics use them. */
    static double[][] batchStats(double[] x, int n, int c, int spatial) {
        var mean = new double[c];
        var unbiased = new double[c];
        int m = n * spatial;
        for (int ch = 0; ch < c; ch++) {
            double s = 0, ss = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < spatial; p++) s += x[(i * c + ch) * spatial + p];
            mean[ch] = s / m;
            for (int i = 0; i < n; i++) for (int p = 0; p < spatial; p++) {
                double d = x[(i * c + ch) * spatial + p] - mean[ch];
                ss += d * d;
            }
            unbiased[ch] = ss / (m - 1);
        }
        return new double[][] {mean, unbiased};
    }

    static double[] leakyRelu(double[] x, double alpha) {
        var y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : alpha * x[i];
        return y;
    }

    static double[] tanh(double[] x) {
        var y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
        return y;
    }

    static double[] sigmoid(double[] x) {
        var y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
        return y;
    }

    static double[] toDouble(float[] a) {
        var d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static float[] toFloat(double[] a) {
        var f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
