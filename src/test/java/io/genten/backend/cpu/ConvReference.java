package io.genten.backend.cpu;

/** The direct 7-loop convolution in double precision: the tests' oracle. */
final class ConvReference {
    private ConvReference() {}

    /** y = conv(x, w) + b (b may be null) for x (n,cin,h,w), w (cout,cin,k,k); output (n,cout,oh,ow). */
    static double[] forward(double[] x, double[] w, double[] b, int n, int cin, int h, int wd, int cout, int k,
                            int stride, int pad) {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        double[] y = new double[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int r = 0; r < oh; r++)
                    for (int c = 0; c < ow; c++) {
                        double s = b == null ? 0 : b[co];
                        for (int ci = 0; ci < cin; ci++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++) {
                                    int ih = r * stride - pad + ki, iw = c * stride - pad + kj;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    s += x[((i * cin + ci) * h + ih) * wd + iw] * w[((co * cin + ci) * k + ki) * k + kj];
                                }
                        y[((i * cout + co) * oh + r) * ow + c] = s;
                    }
        return y;
    }

    /** The adjoint of forward for x (n,cin,h,wd): dx, with dy (n,cout,oh,ow) of the conv of that x. */
    static double[] backwardData(double[] dy, double[] w, int n, int cin, int h, int wd, int cout, int k, int stride, int pad) {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        double[] dx = new double[n * cin * h * wd];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int r = 0; r < oh; r++)
                    for (int c = 0; c < ow; c++)
                        for (int ci = 0; ci < cin; ci++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++) {
                                    int ih = r * stride - pad + ki, iw = c * stride - pad + kj;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    dx[((i * cin + ci) * h + ih) * wd + iw] += dy[((i * cout + co) * oh + r) * ow + c] * w[((co * cin + ci) * k + ki) * k + kj];
                                }
        return dx;
    }

    /** The filter gradient: dw (cout,cin,k,k) from dy (n,cout,oh,ow) and x (n,cin,h,wd). */
    static double[] backwardFilter(double[] dy, double[] x, int n, int cin, int h, int wd, int cout, int k, int stride, int pad) {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        double[] dw = new double[cout * cin * k * k];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int r = 0; r < oh; r++)
                    for (int c = 0; c < ow; c++)
                        for (int ci = 0; ci < cin; ci++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++) {
                                    int ih = r * stride - pad + ki, iw = c * stride - pad + kj;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    dw[((co * cin + ci) * k + ki) * k + kj] += dy[((i * cout + co) * oh + r) * ow + c] * x[((i * cin + ci) * h + ih) * wd + iw];
                                }
        return dw;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** Central differences of loss() with respect to every element of v (perturbed in place and restored). */
    static float[] centralDifference(double[] v, java.util.function.DoubleSupplier loss) {
        double eps = 1e-3;
        float[] g = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            double old = v[i];
            v[i] = old + eps;
            double plus = loss.getAsDouble();
            v[i] = old - eps;
            double minus = loss.getAsDouble();
            v[i] = old;
            g[i] = (float) ((plus - minus) / (2 * eps));
        }
        return g;
    }
}
