package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Convolution forward, backward-data and backward-filter at every layer shape of the two models
 * (see {@link ConvCase}), at batch 64, 256 and 1024, plus DESIGN.md's N128 256x28x28 3x3 layer.
 * CUDA: our kernels (NATIVE) against cuDNN in each math mode. CPU: strict FP32, batches up to
 * {@code maxCpuBatch} (64 unless {@code -p maxCpuBatch=1024}). Each invocation synchronizes.
 * The achieved TFLOP/s is printed per iteration and computed by report.py from the score.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class ConvBench {

    @Param({"cpu", "cuda"})
    public String backend;

    @Param({"gan.g1@64", "gan.d2@64", "gan.d1@64", "vae.enc1@64", "vae.enc2@64", "vae.dec1@64", "vae.dec2@64", "vae.dec3@64",
            "gan.g1@256", "gan.d2@256", "gan.d1@256", "vae.enc1@256", "vae.enc2@256", "vae.dec1@256", "vae.dec2@256", "vae.dec3@256",
            "gan.g1@1024", "gan.d2@1024", "gan.d1@1024", "vae.enc1@1024", "vae.enc2@1024", "vae.dec1@1024", "vae.dec2@1024", "vae.dec3@1024",
            "big@128"})
    public String shape;

    @Param({"CUDNN", "NATIVE"})
    public String impl;

    /** FP32_3XTF32 is opt-in (-p math=TF32,FP32,FP32_3XTF32; run-all passes it on CUDA): each skipped CPU combination costs a JVM fork. */
    @Param({"TF32", "FP32"})
    public String math;

    @Param({"64"})
    public int maxCpuBatch;

    private Backend b;
    private ConvCase c;
    private Conv2dSpec spec;
    private Tensor x;
    private Tensor w;
    private Tensor dy;
    private RateMeter meter;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        var config = BackendConfig.of(backend, math, impl, "NATIVE");
        c = ConvCase.parse(shape);
        if (config.isCpu()) Skip.unless(c.n() <= maxCpuBatch, "cpu runs batches up to " + maxCpuBatch + " (-p maxCpuBatch=N for more), not " + shape);
        b = config.open();
        spec = c.spec();
        x = b.randn(c.xShape(), 1, 0);
        w = b.randn(c.wShape(), 2, 0);
        dy = b.randn(c.yShape(), 3, 0);
        b.synchronize();
        String pass = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        meter = RateMeter.tflops(pass + " " + shape + " " + config.label(), c.flops());
    }

    @Setup(Level.Iteration)
    public void startIteration() { meter.startIteration(); }

    @TearDown(Level.Iteration)
    public void endIteration() { meter.endIteration(); }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (var t : new Tensor[] {x, w, dy}) if (t != null) t.close();
        if (b != null) b.close();
    }

    @Benchmark
    public void forward() {
        try (var scope = TensorScope.open()) {
            b.conv2dForward(x, w, null, spec);
            b.synchronize();
        }
        meter.tick();
    }

    @Benchmark
    public void backwardData() {
        try (var scope = TensorScope.open()) {
            b.conv2dBackwardData(dy, w, c.xShape(), spec);
            b.synchronize();
        }
        meter.tick();
    }

    @Benchmark
    public void backwardFilter() {
        try (var scope = TensorScope.open()) {
            b.conv2dBackwardFilter(dy, x, c.wShape(), spec);
            b.synchronize();
        }
        meter.tick();
    }
}
