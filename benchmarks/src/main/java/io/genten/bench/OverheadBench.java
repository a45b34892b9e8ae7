package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.cuda.global.cudart;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a call costs before any work: an empty FFM downcall (genten_nothing), an empty kernel
 * launch (genten_noop) through a plain and a critical downcall, the same kernel replayed as a
 * one-node CUDA graph, a JNI call through JavaCPP (cudaGetDevice), and one tiny op through the
 * Backend (both backends). The GPU-only ones skip without libgenten_cuda.so or a GPU.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class OverheadBench {

    /** Launches queued per invocation before one synchronize: the per-launch cost, not the round trip. */
    static final int LAUNCHES = 100;

    @State(Scope.Thread)
    public static class Ffm {
        NativeLib lib;

        @Setup(Level.Trial)
        public void setup() { lib = NativeLib.load(); }

        @TearDown(Level.Trial)
        public void tearDown() { if (lib != null) lib.close(); }
    }

    @State(Scope.Thread)
    public static class Gpu {
        NativeLib lib;
        MemorySegment stream;
        MemorySegment graph;

        @Setup(Level.Trial)
        public void setup() throws Throwable {
            lib = NativeLib.load();
            lib.requireDevice();
            var out = lib.arena.allocate(ValueLayout.ADDRESS);
            NativeLib.check("genten_stream_create", (int) lib.streamCreate.invokeExact(out));
            stream = out.get(ValueLayout.ADDRESS, 0);
            NativeLib.check("genten_graph_begin_capture", (int) lib.graphBeginCapture.invokeExact(stream));
            NativeLib.check("genten_noop (captured)", (int) lib.noop.invokeExact(stream));
            NativeLib.check("genten_graph_end_capture", (int) lib.graphEndCapture.invokeExact(stream, out));
            graph = out.get(ValueLayout.ADDRESS, 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Throwable {
            if (lib == null) return;
            if (graph != null) NativeLib.check("genten_graph_destroy", (int) lib.graphDestroy.invokeExact(graph));
            if (stream != null) NativeLib.check("genten_stream_destroy", (int) lib.streamDestroy.invokeExact(stream));
            lib.close();
        }
    }

    @State(Scope.Thread)
    public static class Jni {
        IntPointer device;

        @Setup(Level.Trial)
        public void setup() {
            try {
                Loader.load(cudart.class);
            } catch (Throwable t) {
                throw Skip.because("JavaCPP cudart presets do not load here: " + t);
            }
            device = new IntPointer(1);
            int status = cudart.cudaGetDevice(device);
            Skip.unless(status == 0, "cudaGetDevice returned " + status + ": no usable GPU");
        }

        @TearDown(Level.Trial)
        public void tearDown() { if (device != null) device.close(); }
    }

    @State(Scope.Thread)
    public static class Op {
        @Param({"cpu", "cuda"})
        public String backend;

        Backend b;
        Tensor a;
        Tensor c;

        @Setup(Level.Trial)
        public void setup() {
            b = BackendConfig.of(backend, "FP32", "NATIVE", "NATIVE").open();
            a = b.randn(Shape.of(1), 1, 0);
            c = b.randn(Shape.of(1), 2, 0);
            b.synchronize();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (var t : new Tensor[] {a, c}) if (t != null) t.close();
            if (b != null) b.close();
        }
    }

    @Benchmark
    public int ffmNothing(Ffm s) throws Throwable {
        return (int) s.lib.nothing.invokeExact();
    }

    @Benchmark
    public int ffmNothingCritical(Ffm s) throws Throwable {
        return (int) s.lib.nothingCritical.invokeExact();
    }

    @Benchmark
    @OperationsPerInvocation(LAUNCHES)
    public void noopLaunch(Gpu s) throws Throwable {
        for (int i = 0; i < LAUNCHES; i++) NativeLib.check("genten_noop", (int) s.lib.noop.invokeExact(s.stream));
        NativeLib.check("genten_stream_synchronize", (int) s.lib.streamSynchronize.invokeExact(s.stream));
    }

    @Benchmark
    @OperationsPerInvocation(LAUNCHES)
    public void noopLaunchCritical(Gpu s) throws Throwable {
        for (int i = 0; i < LAUNCHES; i++) NativeLib.check("genten_noop", (int) s.lib.noopCritical.invokeExact(s.stream));
        NativeLib.check("genten_stream_synchronize", (int) s.lib.streamSynchronize.invokeExact(s.stream));
    }

    /** Launch and wait: the round trip a synchronous caller sees. */
    @Benchmark
    public void noopLaunchAndSync(Gpu s) throws Throwable {
        NativeLib.check("genten_noop", (int) s.lib.noopCritical.invokeExact(s.stream));
        NativeLib.check("genten_stream_synchronize", (int) s.lib.streamSynchronize.invokeExact(s.stream));
    }

    @Benchmark
    @OperationsPerInvocation(LAUNCHES)
    public void graphReplayOneOp(Gpu s) throws Throwable {
        for (int i = 0; i < LAUNCHES; i++) NativeLib.check("genten_graph_launch", (int) s.lib.graphLaunch.invokeExact(s.graph, s.stream));
        NativeLib.check("genten_stream_synchronize", (int) s.lib.streamSynchronize.invokeExact(s.stream));
    }

    @Benchmark
    public int jniCudaGetDevice(Jni s) {
        return cudart.cudaGetDevice(s.device);
    }

    /** One 1-element add through the Backend, then synchronize: per-op dispatch cost (PyTorch's ~11.5 us). */
    @Benchmark
    public void backendTinyOp(Op s) {
        try (var scope = TensorScope.open()) {
            s.b.add(s.a, s.c);
            s.b.synchronize();
        }
    }
}
