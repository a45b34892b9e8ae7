package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.ReparamOutput;
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
 * The VAE's reparameterization z = mu + exp(0.5 logvar) eps with Philox noise drawn in the same
 * kernel (forward: reads mu, logvar; writes z, eps), its KL term, and the fused backward of both
 * (reads dz, mu, logvar, eps; writes dmu, dlogvar). GB/s on those arrays.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class ReparamBench {

    @Param({"cpu", "cuda"})
    public String backend;

    /** batch x latent. */
    @Param({"256x32", "4096x256", "1048576x64"})
    public String shape;

    private Backend b;
    private Tensor mu;
    private Tensor logvar;
    private Tensor dz;
    private ReparamOutput saved;
    private RateMeter meter;
    private long offset;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        b = BackendConfig.of(backend, "FP32", "NATIVE", "NATIVE").open();
        Shape s = BatchNormBench.parseShape(shape);
        mu = b.randn(s, 1, 0);
        logvar = b.randn(s, 2, 0);
        dz = b.randn(s, 3, 0);
        saved = b.reparamForward(mu, logvar, 4, 0);
        b.synchronize();
        String pass = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        int arrays = switch (pass) {
            case "forward" -> 4;
            case "kl" -> 2;
            case "forwardWithKl" -> 4;
            default -> 6;
        };
        meter = RateMeter.gbps("reparam " + pass + " " + shape + " " + backend, 4.0 * arrays * s.numel());
    }

    @Setup(Level.Iteration)
    public void startIteration() { meter.startIteration(); }

    @TearDown(Level.Iteration)
    public void endIteration() { meter.endIteration(); }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (saved != null) {
            saved.z().close();
            saved.eps().close();
        }
        for (var t : new Tensor[] {mu, logvar, dz}) if (t != null) t.close();
        if (b != null) b.close();
    }

    @Benchmark
    public void forward() {
        try (var scope = TensorScope.open()) {
            b.reparamForward(mu, logvar, 5, offset += 1 << 20);
            b.synchronize();
        }
        meter.tick();
    }

    @Benchmark
    public void kl() {
        try (var scope = TensorScope.open()) {
            b.klDivergence(mu, logvar);
            b.synchronize();
        }
        meter.tick();
    }

    @Benchmark
    public void forwardWithKl() {
        try (var scope = TensorScope.open()) {
            b.reparamForward(mu, logvar, 5, offset += 1 << 20);
            b.klDivergence(mu, logvar);
            b.synchronize();
        }
        meter.tick();
    }

    /** Reparameterization and KL backward in one pass (klScale 1). */
    @Benchmark
    public void backwardWithKl() {
        try (var scope = TensorScope.open()) {
            b.reparamBackward(dz, mu, logvar, saved.eps(), 1f);
            b.synchronize();
        }
        meter.tick();
    }
}
