package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.models.ConvVae;
import io.genten.models.Dcgan;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
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
 * Inference through the models' public API, as an embedding application calls it: the VAE's
 * {@code reconstruct} (encode to the mean, then decode) of a batch of digits, and the DCGAN's
 * {@code generate} from a batch of latent codes. images/s = batch / (time per call); with
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes allocated per call (Java heap: on the
 * CPU the outputs, intermediates and workspaces are float arrays). The result is read back to the
 * host in each call, as an application would.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
public class InferenceBench {

    @Param({"cpu", "cuda"})
    public String backend;

    @Param({"vae", "dcgan"})
    public String model;

    @Param({"1", "16", "64", "256", "1024"})
    public int batch;

    @Param({"FP32"})
    public String math;

    private Backend b;
    private ConvVae vae;
    private Dcgan gan;
    private Tensor input;
    private RateMeter meter;

    @Setup(Level.Trial)
    public void setup() {
        var config = BackendConfig.of(backend, math, "NATIVE", "NATIVE");
        b = config.open();
        if (model.equals("vae")) {
            vae = new ConvVae(b, 42);
            // digits-like input in [0, 1]: uniform noise (the speed does not depend on the values)
            input = b.rand(Shape.of(batch, 1, 28, 28), 7, 0);
        } else if (model.equals("dcgan")) {
            gan = new Dcgan(b, 42);
            input = b.randn(Shape.of(batch, Dcgan.LATENT), 7, 0);
        } else {
            throw new IllegalArgumentException("model must be vae or dcgan, not " + model);
        }
        meter = RateMeter.imagesPerSecond(model + " inference batch " + batch + " " + config.label(), batch);
    }

    @Setup(Level.Iteration)
    public void startIteration() { meter.startIteration(); }

    @Benchmark
    public float infer() {
        meter.tick();
        try (var out = vae != null ? vae.reconstruct(input) : gan.generate(input)) {
            return out.toArray()[0];
        }
    }

    @TearDown(Level.Iteration)
    public void endIteration() { meter.endIteration(); }

    @TearDown(Level.Trial)
    public void close() {
        input.close();
        if (vae != null) vae.close();
        if (gan != null) gan.close();
        b.close();
    }
}
