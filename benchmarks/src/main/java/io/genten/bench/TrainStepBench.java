package io.genten.bench;

import io.genten.backend.Backend;
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

/**
 * Whole training steps, the figure DESIGN.md's anchors give: images/s = batch / (time per op),
 * printed per iteration and computed by report.py. Eager (op by op from Java) and, on CUDA,
 * the whole step captured once as a CUDA graph and replayed. CPU: batch 64 by default.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class TrainStepBench {

    @Param({"cpu", "cuda"})
    public String backend;

    @Param({"vae", "dcgan"})
    public String model;

    @Param({"64", "256", "1024"})
    public int batch;

    @Param({"TF32", "FP32", "FP32_3XTF32"})
    public String math;

    /** eager: the capturable step op by op; graph: it captured once and replayed (CUDA); trainer: VaeTrainer/GanTrainer.step, which read the losses back each step. */
    @Param({"eager", "graph", "trainer"})
    public String exec;

    @Param({"64"})
    public int maxCpuBatch;

    private Backend b;
    private TrainSteps.TrainStep step;
    private Cuda.StepGraph graph;
    private RateMeter meter;

    @Setup(Level.Trial)
    public void setup() {
        var config = BackendConfig.of(backend, math, "CUDNN", "CUDNN");
        if (config.isCpu()) {
            Skip.unless(batch <= maxCpuBatch, "cpu runs batches up to " + maxCpuBatch + " (-p maxCpuBatch=N for more), not " + batch);
            Skip.unless(!exec.equals("graph"), "cpu has no graphs");
            config = BackendConfig.of(backend, math, "NATIVE", "NATIVE");
        }
        Skip.unless(exec.equals("eager") || exec.equals("graph") || exec.equals("trainer"), "exec must be eager, graph or trainer, not " + exec);
        b = config.open();
        step = TrainSteps.create(model, exec, b, batch, 42);
        // warm the allocator and the algorithm caches before any capture
        for (int i = 0; i < 3; i++) runEager();
        if (exec.equals("graph")) graph = Cuda.capture(b, step::step);
        meter = RateMeter.imagesPerSecond(model + " batch " + batch + " " + exec + " " + config.label(), batch);
    }

    private void runEager() {
        try (var scope = TensorScope.open()) {
            step.step();
            b.synchronize();
        }
    }

    @Setup(Level.Iteration)
    public void startIteration() { meter.startIteration(); }

    @TearDown(Level.Iteration)
    public void endIteration() { meter.endIteration(); }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (graph != null) graph.close();
        if (step != null) step.close();
        if (b != null) b.close();
    }

    @Benchmark
    public void trainStep() {
        if (graph != null) {
            graph.replay();
            b.synchronize();
        } else {
            runEager();
        }
        meter.tick();
    }
}
