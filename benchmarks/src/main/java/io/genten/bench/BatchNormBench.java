package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.BatchNormOutput;
import io.genten.tensor.Shape;
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
 * Batch normalization, training forward (batch statistics, running-stat update) and backward,
 * at DESIGN.md's shapes. GB/s is printed on the ideal traffic: forward reads x and writes y
 * (8 bytes per element), backward reads x and dy and writes dx (12). CPU: shapes up to
 * {@code maxCpuElements} elements.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class BatchNormBench {

    @Param({"cpu", "cuda"})
    public String backend;

    /** N x C x H x W. */
    @Param({"256x64x14x14", "256x128x7x7", "256x256x28x28", "64x512x56x56"})
    public String shape;

    @Param({"CUDNN", "NATIVE"})
    public String impl;

    @Param({"16777216"})
    public long maxCpuElements;

    private Backend b;
    private Tensor x;
    private Tensor dy;
    private Tensor gamma;
    private Tensor beta;
    private Tensor runningMean;
    private Tensor runningVar;
    private BatchNormOutput saved;
    private RateMeter meter;

    static Shape parseShape(String s) {
        var parts = s.split("x");
        var dims = new int[parts.length];
        for (int i = 0; i < parts.length; i++) dims[i] = Integer.parseInt(parts[i]);
        return Shape.of(dims);
    }

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        var config = BackendConfig.of(backend, "FP32", "NATIVE", impl);
        var s = parseShape(shape);
        if (config.isCpu()) Skip.unless(s.numel() <= maxCpuElements, "cpu runs up to " + maxCpuElements + " elements (-p maxCpuElements=N for more), not " + shape);
        b = config.open();
        int c = s.dim(1);
        x = b.randn(s, 1, 0);
        dy = b.randn(s, 2, 0);
        gamma = b.randn(Shape.of(c), 3, 0);
        beta = b.randn(Shape.of(c), 4, 0);
        runningMean = b.zeros(Shape.of(c));
        runningVar = b.full(Shape.of(c), 1f);
        saved = b.batchNormTrainForward(x, gamma, beta, runningMean, runningVar, 0.1f, 1e-5f);
        b.synchronize();
        String pass = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        double bytesPerElement = pass.equals("backward") ? 12 : 8;
        meter = RateMeter.gbps("batchnorm " + pass + " " + shape + " " + backend + (config.isCpu() ? "" : "/" + impl), bytesPerElement * s.numel());
    }

    @Setup(Level.Iteration)
    public void startIteration() { meter.startIteration(); }

    @TearDown(Level.Iteration)
    public void endIteration() { meter.endIteration(); }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (saved != null) {
            saved.y().close();
            saved.saveMean().close();
            saved.saveInvStd().close();
        }
        for (var t : new Tensor[] {x, dy, gamma, beta, runningMean, runningVar}) if (t != null) t.close();
        if (b != null) b.close();
    }

    @Benchmark
    public void trainForward() {
        try (var scope = TensorScope.open()) {
            b.batchNormTrainForward(x, gamma, beta, runningMean, runningVar, 0.1f, 1e-5f);
            b.synchronize();
        }
        meter.tick();
    }

    @Benchmark
    public void backward() {
        try (var scope = TensorScope.open()) {
            b.batchNormBackward(dy, x, gamma, saved.saveMean(), saved.saveInvStd());
            b.synchronize();
        }
        meter.tick();
    }
}
