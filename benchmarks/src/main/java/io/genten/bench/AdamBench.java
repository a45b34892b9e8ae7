package io.genten.bench;

import io.genten.backend.AdamConfig;
import io.genten.backend.Backend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
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

/**
 * One Adam step over all parameters of the DCGAN's generator or discriminator (PyTorch's
 * state_dict shapes), in place. Traffic: reads p, g, m, v and writes p, m, v: 28 bytes per
 * parameter. Many small tensors: this measures the multi-tensor launch as much as bandwidth.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class AdamBench {

    @Param({"cpu", "cuda"})
    public String backend;

    @Param({"dcgan.G", "dcgan.D"})
    public String params;

    /** fc.weight, bn0.*, conv1.weight, bn1.*, conv2.weight, bn2.*, conv3.weight. */
    static final List<Shape> GENERATOR = List.of(
            Shape.of(12544, 100), Shape.of(12544), Shape.of(12544),
            Shape.of(256, 128, 5, 5), Shape.of(128), Shape.of(128),
            Shape.of(128, 64, 5, 5), Shape.of(64), Shape.of(64),
            Shape.of(64, 1, 5, 5));

    /** conv1.weight/bias, conv2.weight/bias, fc.weight/bias. */
    static final List<Shape> DISCRIMINATOR = List.of(
            Shape.of(64, 1, 5, 5), Shape.of(64),
            Shape.of(128, 64, 5, 5), Shape.of(128),
            Shape.of(1, 6272), Shape.of(1));

    private Backend b;
    private final List<Tensor> p = new ArrayList<>();
    private final List<Tensor> g = new ArrayList<>();
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final AdamConfig config = AdamConfig.of(1e-4f, 0.9f, 0.999f);
    private long step;
    private RateMeter meter;

    @Setup(Level.Trial)
    public void setup() {
        b = BackendConfig.of(backend, "FP32", "NATIVE", "NATIVE").open();
        var shapes = switch (params) {
            case "dcgan.G" -> GENERATOR;
            case "dcgan.D" -> DISCRIMINATOR;
            default -> throw new IllegalArgumentException("params must be dcgan.G or dcgan.D, not " + params);
        };
        long count = 0;
        int seed = 0;
        for (var s : shapes) {
            p.add(b.randn(s, ++seed, 0));
            g.add(b.randn(s, ++seed, 0));
            m.add(b.zeros(s));
            v.add(b.zeros(s));
            count += s.numel();
        }
        b.synchronize();
        meter = RateMeter.gbps("adam " + params + " (" + count + " params, " + shapes.size() + " tensors) " + backend, 28.0 * count);
    }

    @Setup(Level.Iteration)
    public void startIteration() { meter.startIteration(); }

    @TearDown(Level.Iteration)
    public void endIteration() { meter.endIteration(); }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (var list : List.of(p, g, m, v)) list.forEach(Tensor::close);
        if (b != null) b.close();
    }

    @Benchmark
    public void step() {
        b.adamStep(p, g, m, v, config, ++step);
        b.synchronize();
        meter.tick();
    }
}
