package io.genten.backend.cpu;

import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * Prints forward / backward-data / backward-filter GFLOP/s of the DCGAN and VAE conv layers at
 * batch 64 (a printout, not a test: timings depend on the machine and its load).
 * Run: java -cp target/classes:target/test-classes:$(deps) io.genten.backend.cpu.ConvBench
 */
public final class ConvBench {
    private ConvBench() {}

    /** A layer: conv (transposed=false) or transposed conv of the given channels/sizes. */
    record Layer(String name, boolean transposed, int cin, int cout, int k, int stride, int pad, int outPad, int in) {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        var cpu = CpuBackend.get();
        System.out.println(cpu.describe() + ", batch " + n);
        var layers = new Layer[] {
            new Layer("VAE enc1 conv 1->32 3x3 s2 28->14", false, 1, 32, 3, 2, 1, 0, 28),
            new Layer("VAE enc2 conv 32->64 3x3 s2 14->7", false, 32, 64, 3, 2, 1, 0, 14),
            new Layer("VAE dec1 convT 64->64 3x3 s2 7->14", true, 64, 64, 3, 2, 1, 1, 7),
            new Layer("VAE dec2 convT 64->32 3x3 s2 14->28", true, 64, 32, 3, 2, 1, 1, 14),
            new Layer("VAE dec3 conv 32->1 3x3 s1 28x28", false, 32, 1, 3, 1, 1, 0, 28),
            new Layer("G convT 256->128 5x5 s1 7x7", true, 256, 128, 5, 1, 2, 0, 7),
            new Layer("G convT 128->64 5x5 s2 7->14", true, 128, 64, 5, 2, 2, 1, 7),
            new Layer("G convT 64->1 5x5 s2 14->28", true, 64, 1, 5, 2, 2, 1, 14),
            new Layer("D conv 1->64 5x5 s2 28->14", false, 1, 64, 5, 2, 2, 0, 28),
            new Layer("D conv 64->128 5x5 s2 14->7", false, 64, 128, 5, 2, 2, 0, 14),
        };
        double total = 0;
        System.out.printf("%-40s %9s %9s %9s   %s%n", "layer (GFLOP/s)", "fwd", "bwd-data", "bwd-filt", "ms fwd/bd/bf");
        for (var l : layers) total += run(cpu, l, n);
        System.out.printf("sum of the three passes over all layers: %.1f ms per batch of %d%n", total, n);
        linear(cpu, n, 100, 12544, "DCGAN G fc 100->12544");
        linear(cpu, n, 6272, 1, "DCGAN D fc 6272->1");
        linear(cpu, n, 3136, 32, "VAE mu fc 3136->32");
        linear(cpu, n, 32, 3136, "VAE dec0 fc 32->3136");
        if (Gemm.DEFAULT.usesBlas()) compareStrategies(n);
    }

    private static double run(CpuBackend cpu, Layer l, int n) {
        var spec = new Conv2dSpec(l.stride(), l.pad());
        long seed = 1;
        // in conv form: cx is the conv's input, cw its weight (Cout_c, Cin_c, k, k), cy its output
        Tensor in = Tensor.randn(seed++, 0, n, l.cin(), l.in(), l.in());
        Tensor w, out;
        Runnable fwd, bwdData, bwdFilter;
        double flops;
        if (!l.transposed()) {
            w = Tensor.randn(seed++, 0, l.cout(), l.cin(), l.k(), l.k());
            var yShape = spec.outputShape("bench", in.shape(), w.shape());
            out = Tensor.randn(seed++, 0, yShape.dims());
            flops = 2.0 * yShape.numel() * l.cin() * l.k() * l.k();
            Tensor x = in, wt = w, dy = out;
            try (var b = Tensor.randn(9, 0, l.cout())) {
                fwd = () -> cpu.conv2dForward(x, wt, null, spec).close();
            }
            bwdData = () -> cpu.conv2dBackwardData(dy, wt, x.shape(), spec).close();
            bwdFilter = () -> cpu.conv2dBackwardFilter(dy, x, wt.shape(), spec).close();
        } else {
            w = Tensor.randn(seed++, 0, l.cin(), l.cout(), l.k(), l.k()); // ConvTranspose2d weight (Cin, Cout, k, k)
            Shape yShape = spec.transposedOutputShape("bench", in.shape(), w.shape(), l.outPad());
            out = Tensor.randn(seed++, 0, yShape.dims());
            flops = 2.0 * in.numel() * l.cout() * l.k() * l.k();
            Tensor x = in, wt = w, dy = out;
            fwd = () -> cpu.conv2dBackwardData(x, wt, yShape, spec).close();
            bwdData = () -> cpu.conv2dForward(dy, wt, null, spec).close();
            bwdFilter = () -> cpu.conv2dBackwardFilter(x, dy, wt.shape(), spec).close();
        }
        double tf = time(fwd), td = time(bwdData), tw = time(bwdFilter);
        System.out.printf("%-40s %9.1f %9.1f %9.1f   %.2f/%.2f/%.2f%n", l.name(), flops / tf / 1e6, flops / td / 1e6, flops / tw / 1e6, tf, td, tw);
        in.close();
        w.close();
        out.close();
        return tf + td + tw;
    }

    private static void linear(CpuBackend cpu, int n, int in, int out, String name) {
        try (var x = Tensor.randn(1, 0, n, in); var w = Tensor.randn(2, 0, out, in); var b = Tensor.randn(3, 0, out);
             var dy = Tensor.randn(4, 0, n, out)) {
            double flops = 2.0 * n * in * out;
            double tf = time(() -> cpu.linearForward(x, w, b).close());
            double td = time(() -> cpu.linearBackwardData(dy, w).close());
            double tw = time(() -> cpu.linearBackwardWeight(dy, x).close());
            System.out.printf("%-40s %9.1f %9.1f %9.1f   %.2f/%.2f/%.2f%n", name, flops / tf / 1e6, flops / td / 1e6, flops / tw / 1e6, tf, td, tw);
        }
    }

    /**
     * The alternative threading strategy, for the forward of a conv: im2col of the whole batch
     * into one (Cin*K*K) x (N*P) matrix, one GEMM with OpenBLAS on all threads, scatter to NCHW.
     */
    static void compareStrategies(int n) {
        int threads = Parallel.threads();
        int[][] shapes = {{32, 64, 3, 2, 1, 14}, {64, 128, 5, 2, 2, 14}, {128, 256, 5, 1, 2, 7}, {64, 32, 3, 1, 1, 28}};
        System.out.println("forward, ms: per-image-group 1-thread GEMMs split over the batch  vs  one batched " + threads + "-thread GEMM");
        for (var s : shapes) {
            int cin = s[0], cout = s[1], k = s[2], stride = s[3], pad = s[4], h = s[5];
            var spec = new Conv2dSpec(stride, pad);
            try (var x = Tensor.randn(1, 0, n, cin, h, h); var w = Tensor.randn(2, 0, cout, cin, k, k)) {
                int oh = (h + 2 * pad - k) / stride + 1, p = oh * oh, ckk = cin * k * k;
                double ours = time(() -> CpuBackend.get().conv2dForward(x, w, null, spec).close());
                float[] xs = x.hostArray(), ws = w.hostArray();
                // scratch allocated once, so that only im2col, the GEMM and the scatter are timed
                float[] col = new float[ckk * n * p], buf = new float[cout * n * p], y = new float[n * cout * p];
                Runnable batched = () -> {
                    for (int i = 0; i < n; i++) Im2col.im2col(xs, i * cin * h * h, cin, h, h, k, stride, pad, oh, oh, col, i * p, n * p);
                    Gemm.DEFAULT.sgemm(false, false, cout, n * p, ckk, 1f, ws, 0, ckk, col, 0, n * p, 0f, buf, 0, n * p);
                    for (int i = 0; i < n; i++)
                        for (int c = 0; c < cout; c++) System.arraycopy(buf, (c * n + i) * p, y, (i * cout + c) * p, p);
                };
                Gemm.DEFAULT.setBlasThreadsForBenchmark(threads);
                double big = time(batched);
                Gemm.DEFAULT.setBlasThreadsForBenchmark(1);
                System.out.printf("  conv %d->%d %dx%d s%d at %dx%d: %.2f vs %.2f%n", cin, cout, k, k, stride, h, h, ours, big);
            }
        }
    }

    /** Fastest of repeated runs after warm-up (the minimum is the least disturbed by other load). */
    private static double time(Runnable r) {
        for (int i = 0; i < 5; i++) r.run();
        int reps = 15;
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[0];
    }
}
