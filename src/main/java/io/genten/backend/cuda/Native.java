package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FFM bindings to every function of {@code native/include/genten.h}, one static method each.
 *
 * <p>{@link #FUNCTIONS} (names and C signatures) needs no library, so this class always loads and
 * tests can check the table against the header and against the built library's symbols. The
 * method handles live in two holder classes: {@link Probe} (what the availability probe calls)
 * and {@link H} (the rest); the library is looked up, and a holder's handles linked, the first
 * time one of its downcalls runs; a missing library then surfaces as a
 * {@link CudaUnavailableException} instead of an error at class-initialization time of callers.
 *
 * <p>Pointers are {@link MemorySegment}s (device pointers as zero-length segments); statuses
 * are returned raw and checked by the caller, which knows the op and the shapes.
 */
final class Native {
    private Native() {}

    /** The whole C ABI, in header order. */
    static final List<NativeFunction> FUNCTIONS = List.of(
            new NativeFunction("genten_error_string", FunctionDescriptor.of(ADDRESS, JAVA_INT), false),
            new NativeFunction("genten_device_count", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_device_name", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), false),
            new NativeFunction("genten_device_capability", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), false),
            new NativeFunction("genten_set_device", FunctionDescriptor.of(JAVA_INT, JAVA_INT), false),
            new NativeFunction("genten_versions", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), false),
            new NativeFunction("genten_mem_info", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), false),
            new NativeFunction("genten_malloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), false),
            new NativeFunction("genten_free", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_memcpy_h2d", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), false),
            new NativeFunction("genten_memcpy_d2h", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), false),
            new NativeFunction("genten_memcpy_d2d", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_stream_create", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_stream_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_stream_synchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_stream_check", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
            new NativeFunction("genten_event_create", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_event_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_event_record", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), true),
            new NativeFunction("genten_event_elapsed_ms", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), false),
            new NativeFunction("genten_graph_begin_capture", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_graph_end_capture", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), false),
            new NativeFunction("genten_graph_launch", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), true),
            new NativeFunction("genten_graph_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_noop", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
            new NativeFunction("genten_nothing", FunctionDescriptor.of(JAVA_INT), true),
            new NativeFunction("genten_emulated", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
            new NativeFunction("genten_emulator_configure", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), false),
            new NativeFunction("genten_emulator_set_memory_limit", FunctionDescriptor.of(JAVA_INT, JAVA_LONG), false),
            new NativeFunction("genten_trim_scratch", FunctionDescriptor.of(JAVA_INT), false),
            new NativeFunction("genten_fill", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_philox_uniform", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), true),
            new NativeFunction("genten_philox_normal", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), true),
            new NativeFunction("genten_counter_add", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_activation_forward", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_activation_backward", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_dropout", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), true),
            new NativeFunction("genten_add", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_axpy", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_FLOAT, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_scale", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_FLOAT, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_sum", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_channel_sum", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), true),
            new NativeFunction("genten_bias_activation", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_conv2d_forward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_conv2d_backward_data", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), true),
            new NativeFunction("genten_conv2d_backward_filter", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), true),
            new NativeFunction("genten_gemm", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), true),
            new NativeFunction("genten_batchnorm_train_forward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_INT, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_batchnorm_backward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), true),
            new NativeFunction("genten_batchnorm_inference", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_reparam_forward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), true),
            new NativeFunction("genten_reparam_forward_eps", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_reparam_backward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_kl_divergence", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_bce_with_logits", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_bce_with_logits_backward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_mse", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_mse_backward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_adam_step", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_INT, ADDRESS, ADDRESS), true)    );

    /** Every bound symbol name: what the library must export. */
    static final List<String> SYMBOLS = java.util.stream.Stream.concat(FUNCTIONS.stream(), NativeModelOps.FUNCTIONS.stream()) // + the extra models' block
            .map(NativeFunction::name).toList();

    private static final Map<String, NativeFunction> BY_NAME = index();

    private static Map<String, NativeFunction> index() {
        var m = new LinkedHashMap<String, NativeFunction>();
        for (var f : FUNCTIONS) m.put(f.name(), f);
        return Map.copyOf(m);
    }

    private static CudaException downcallFailed(String name, Throwable t) {
        if (t instanceof CudaUnavailableException u) throw u;
        if (t instanceof ExceptionInInitializerError e && e.getCause() instanceof CudaUnavailableException u) {
            throw new CudaUnavailableException(u.getMessage(), u);
        }
        return new CudaException("downcall " + name + " failed: " + t, -1);
    }

    private static final Linker LINKER = Linker.nativeLinker();

    private static MethodHandle bind(String name) {
        var f = BY_NAME.get(name);
        if (f == null) throw new IllegalStateException("no descriptor for " + name);
        var lookup = NativeLibrary.require();
        var symbol = lookup.find(name).orElseThrow(() -> new CudaUnavailableException(
                "libgenten_cuda.so at " + NativeLibrary.status().path() + " does not export " + name
                        + ": it was built from another version of genten.h; rebuild it (./mvnw package without -Dgenten.skipNative)"));
        return f.critical()
                ? LINKER.downcallHandle(symbol, f.descriptor(), Linker.Option.critical(false))
                : LINKER.downcallHandle(symbol, f.descriptor());
    }

    /**
     * What {@link CudaAvailability}'s probe calls, linked on its own: on a machine without a GPU
     * the probe is all that runs, and linking every downcall of the ABI (about 60 stubs, each
     * spun as classes) cost ~0.4 s of the first training step's critical path and ~1 s of JIT
     * time compiling the class-file machinery that spins them.
     */
    private static final class Probe {
        static final MethodHandle ERROR_STRING = bind("genten_error_string");
        static final MethodHandle DEVICE_COUNT = bind("genten_device_count");
        static final MethodHandle DEVICE_NAME = bind("genten_device_name");
        static final MethodHandle DEVICE_CAPABILITY = bind("genten_device_capability");
        static final MethodHandle VERSIONS = bind("genten_versions");
        static final MethodHandle EMULATED = bind("genten_emulated");
    }

    /** The other handles, linked once when the first of them runs (the holder-class idiom). */
    private static final class H {
        static final MethodHandle SET_DEVICE = bind("genten_set_device");
        static final MethodHandle MEM_INFO = bind("genten_mem_info");
        static final MethodHandle MALLOC = bind("genten_malloc");
        static final MethodHandle FREE = bind("genten_free");
        static final MethodHandle MEMCPY_H2D = bind("genten_memcpy_h2d");
        static final MethodHandle MEMCPY_D2H = bind("genten_memcpy_d2h");
        static final MethodHandle MEMCPY_D2D = bind("genten_memcpy_d2d");
        static final MethodHandle STREAM_CREATE = bind("genten_stream_create");
        static final MethodHandle STREAM_DESTROY = bind("genten_stream_destroy");
        static final MethodHandle STREAM_SYNCHRONIZE = bind("genten_stream_synchronize");
        static final MethodHandle STREAM_CHECK = bind("genten_stream_check");
        static final MethodHandle EVENT_CREATE = bind("genten_event_create");
        static final MethodHandle EVENT_DESTROY = bind("genten_event_destroy");
        static final MethodHandle EVENT_RECORD = bind("genten_event_record");
        static final MethodHandle EVENT_ELAPSED_MS = bind("genten_event_elapsed_ms");
        static final MethodHandle GRAPH_BEGIN_CAPTURE = bind("genten_graph_begin_capture");
        static final MethodHandle GRAPH_END_CAPTURE = bind("genten_graph_end_capture");
        static final MethodHandle GRAPH_LAUNCH = bind("genten_graph_launch");
        static final MethodHandle GRAPH_DESTROY = bind("genten_graph_destroy");
        static final MethodHandle NOOP = bind("genten_noop");
        static final MethodHandle NOTHING = bind("genten_nothing");
        static final MethodHandle EMULATOR_CONFIGURE = bind("genten_emulator_configure");
        static final MethodHandle EMULATOR_SET_MEMORY_LIMIT = bind("genten_emulator_set_memory_limit");
        static final MethodHandle TRIM_SCRATCH = bind("genten_trim_scratch");
        static final MethodHandle FILL = bind("genten_fill");
        static final MethodHandle PHILOX_UNIFORM = bind("genten_philox_uniform");
        static final MethodHandle PHILOX_NORMAL = bind("genten_philox_normal");
        static final MethodHandle COUNTER_ADD = bind("genten_counter_add");
        static final MethodHandle ACTIVATION_FORWARD = bind("genten_activation_forward");
        static final MethodHandle ACTIVATION_BACKWARD = bind("genten_activation_backward");
        static final MethodHandle DROPOUT = bind("genten_dropout");
        static final MethodHandle ADD = bind("genten_add");
        static final MethodHandle AXPY = bind("genten_axpy");
        static final MethodHandle SCALE = bind("genten_scale");
        static final MethodHandle SUM = bind("genten_sum");
        static final MethodHandle CHANNEL_SUM = bind("genten_channel_sum");
        static final MethodHandle BIAS_ACTIVATION = bind("genten_bias_activation");
        static final MethodHandle CONV2D_FORWARD = bind("genten_conv2d_forward");
        static final MethodHandle CONV2D_BACKWARD_DATA = bind("genten_conv2d_backward_data");
        static final MethodHandle CONV2D_BACKWARD_FILTER = bind("genten_conv2d_backward_filter");
        static final MethodHandle GEMM = bind("genten_gemm");
        static final MethodHandle BATCHNORM_TRAIN_FORWARD = bind("genten_batchnorm_train_forward");
        static final MethodHandle BATCHNORM_BACKWARD = bind("genten_batchnorm_backward");
        static final MethodHandle BATCHNORM_INFERENCE = bind("genten_batchnorm_inference");
        static final MethodHandle REPARAM_FORWARD = bind("genten_reparam_forward");
        static final MethodHandle REPARAM_FORWARD_EPS = bind("genten_reparam_forward_eps");
        static final MethodHandle REPARAM_BACKWARD = bind("genten_reparam_backward");
        static final MethodHandle KL_DIVERGENCE = bind("genten_kl_divergence");
        static final MethodHandle BCE_WITH_LOGITS = bind("genten_bce_with_logits");
        static final MethodHandle BCE_WITH_LOGITS_BACKWARD = bind("genten_bce_with_logits_backward");
        static final MethodHandle MSE = bind("genten_mse");
        static final MethodHandle MSE_BACKWARD = bind("genten_mse_backward");
        static final MethodHandle ADAM_STEP = bind("genten_adam_step");
    }

    static MemorySegment errorString(int status) {
        try {
            return (MemorySegment) Probe.ERROR_STRING.invokeExact(status);
        } catch (Throwable t) {
            throw downcallFailed("genten_error_string", t);
        }
    }

    static int deviceCount(MemorySegment count) {
        try {
            return (int) Probe.DEVICE_COUNT.invokeExact(count);
        } catch (Throwable t) {
            throw downcallFailed("genten_device_count", t);
        }
    }

    static int deviceName(int device, MemorySegment buf, int len) {
        try {
            return (int) Probe.DEVICE_NAME.invokeExact(device, buf, len);
        } catch (Throwable t) {
            throw downcallFailed("genten_device_name", t);
        }
    }

    static int deviceCapability(int device, MemorySegment major, MemorySegment minor) {
        try {
            return (int) Probe.DEVICE_CAPABILITY.invokeExact(device, major, minor);
        } catch (Throwable t) {
            throw downcallFailed("genten_device_capability", t);
        }
    }

    static int setDevice(int device) {
        try {
            return (int) H.SET_DEVICE.invokeExact(device);
        } catch (Throwable t) {
            throw downcallFailed("genten_set_device", t);
        }
    }

    static int versions(MemorySegment runtime_version, MemorySegment driver_version) {
        try {
            return (int) Probe.VERSIONS.invokeExact(runtime_version, driver_version);
        } catch (Throwable t) {
            throw downcallFailed("genten_versions", t);
        }
    }

    static int memInfo(MemorySegment free_bytes, MemorySegment total_bytes) {
        try {
            return (int) H.MEM_INFO.invokeExact(free_bytes, total_bytes);
        } catch (Throwable t) {
            throw downcallFailed("genten_mem_info", t);
        }
    }

    static int malloc(MemorySegment ptr, long bytes) {
        try {
            return (int) H.MALLOC.invokeExact(ptr, bytes);
        } catch (Throwable t) {
            throw downcallFailed("genten_malloc", t);
        }
    }

    static int free(MemorySegment ptr) {
        try {
            return (int) H.FREE.invokeExact(ptr);
        } catch (Throwable t) {
            throw downcallFailed("genten_free", t);
        }
    }

    static int memcpyH2d(MemorySegment dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            return (int) H.MEMCPY_H2D.invokeExact(dst, src, bytes, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_memcpy_h2d", t);
        }
    }

    static int memcpyD2h(MemorySegment dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            return (int) H.MEMCPY_D2H.invokeExact(dst, src, bytes, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_memcpy_d2h", t);
        }
    }

    static int memcpyD2d(MemorySegment dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            return (int) H.MEMCPY_D2D.invokeExact(dst, src, bytes, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_memcpy_d2d", t);
        }
    }

    static int streamCreate(MemorySegment stream) {
        try {
            return (int) H.STREAM_CREATE.invokeExact(stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_stream_create", t);
        }
    }

    static int streamDestroy(MemorySegment stream) {
        try {
            return (int) H.STREAM_DESTROY.invokeExact(stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_stream_destroy", t);
        }
    }

    static int streamSynchronize(MemorySegment stream) {
        try {
            return (int) H.STREAM_SYNCHRONIZE.invokeExact(stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_stream_synchronize", t);
        }
    }

    static int streamCheck(MemorySegment stream) {
        try {
            return (int) H.STREAM_CHECK.invokeExact(stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_stream_check", t);
        }
    }

    static int eventCreate(MemorySegment event) {
        try {
            return (int) H.EVENT_CREATE.invokeExact(event);
        } catch (Throwable t) {
            throw downcallFailed("genten_event_create", t);
        }
    }

    static int eventDestroy(MemorySegment event) {
        try {
            return (int) H.EVENT_DESTROY.invokeExact(event);
        } catch (Throwable t) {
            throw downcallFailed("genten_event_destroy", t);
        }
    }

    static int eventRecord(MemorySegment event, MemorySegment stream) {
        try {
            return (int) H.EVENT_RECORD.invokeExact(event, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_event_record", t);
        }
    }

    static int eventElapsedMs(MemorySegment start, MemorySegment end, MemorySegment ms) {
        try {
            return (int) H.EVENT_ELAPSED_MS.invokeExact(start, end, ms);
        } catch (Throwable t) {
            throw downcallFailed("genten_event_elapsed_ms", t);
        }
    }

    static int graphBeginCapture(MemorySegment stream) {
        try {
            return (int) H.GRAPH_BEGIN_CAPTURE.invokeExact(stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_graph_begin_capture", t);
        }
    }

    static int graphEndCapture(MemorySegment stream, MemorySegment graph_exec) {
        try {
            return (int) H.GRAPH_END_CAPTURE.invokeExact(stream, graph_exec);
        } catch (Throwable t) {
            throw downcallFailed("genten_graph_end_capture", t);
        }
    }

    static int graphLaunch(MemorySegment graph_exec, MemorySegment stream) {
        try {
            return (int) H.GRAPH_LAUNCH.invokeExact(graph_exec, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_graph_launch", t);
        }
    }

    static int graphDestroy(MemorySegment graph_exec) {
        try {
            return (int) H.GRAPH_DESTROY.invokeExact(graph_exec);
        } catch (Throwable t) {
            throw downcallFailed("genten_graph_destroy", t);
        }
    }

    static int noop(MemorySegment stream) {
        try {
            return (int) H.NOOP.invokeExact(stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_noop", t);
        }
    }

    static int nothing() {
        try {
            return (int) H.NOTHING.invokeExact();
        } catch (Throwable t) {
            throw downcallFailed("genten_nothing", t);
        }
    }

    static int fill(MemorySegment x, long n, float value, MemorySegment stream) {
        try {
            return (int) H.FILL.invokeExact(x, n, value, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_fill", t);
        }
    }

    static int philoxUniform(MemorySegment out, long n, long seed, long offset, MemorySegment offset_dev, MemorySegment stream) {
        try {
            return (int) H.PHILOX_UNIFORM.invokeExact(out, n, seed, offset, offset_dev, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_philox_uniform", t);
        }
    }

    static int philoxNormal(MemorySegment out, long n, long seed, long offset, MemorySegment offset_dev, MemorySegment stream) {
        try {
            return (int) H.PHILOX_NORMAL.invokeExact(out, n, seed, offset, offset_dev, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_philox_normal", t);
        }
    }

    static int counterAdd(MemorySegment counter, long by, MemorySegment stream) {
        try {
            return (int) H.COUNTER_ADD.invokeExact(counter, by, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_counter_add", t);
        }
    }

    static int activationForward(int act, float alpha, MemorySegment x, MemorySegment y, long n, MemorySegment stream) {
        try {
            return (int) H.ACTIVATION_FORWARD.invokeExact(act, alpha, x, y, n, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_activation_forward", t);
        }
    }

    static int activationBackward(int act, float alpha, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx, long n, MemorySegment stream) {
        try {
            return (int) H.ACTIVATION_BACKWARD.invokeExact(act, alpha, x, y, dy, dx, n, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_activation_backward", t);
        }
    }

    static int dropout(MemorySegment x, MemorySegment y, long n, float p, long seed, long offset, MemorySegment offset_dev, MemorySegment stream) {
        try {
            return (int) H.DROPOUT.invokeExact(x, y, n, p, seed, offset, offset_dev, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_dropout", t);
        }
    }

    static int add(MemorySegment a, MemorySegment b, MemorySegment out, long n, MemorySegment stream) {
        try {
            return (int) H.ADD.invokeExact(a, b, out, n, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_add", t);
        }
    }

    static int axpy(MemorySegment acc, MemorySegment x, float alpha, long n, MemorySegment stream) {
        try {
            return (int) H.AXPY.invokeExact(acc, x, alpha, n, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_axpy", t);
        }
    }

    static int scale(MemorySegment x, MemorySegment out, float s, long n, MemorySegment stream) {
        try {
            return (int) H.SCALE.invokeExact(x, out, s, n, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_scale", t);
        }
    }

    static int sum(MemorySegment x, MemorySegment out, long n, float scale, MemorySegment stream) {
        try {
            return (int) H.SUM.invokeExact(x, out, n, scale, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_sum", t);
        }
    }

    static int channelSum(MemorySegment x, MemorySegment out, int n, int c, int hw, MemorySegment stream) {
        try {
            return (int) H.CHANNEL_SUM.invokeExact(x, out, n, c, hw, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_channel_sum", t);
        }
    }

    static int biasActivation(MemorySegment y, MemorySegment bias, int n, int c, int hw, int act, float alpha, MemorySegment stream) {
        try {
            return (int) H.BIAS_ACTIVATION.invokeExact(y, bias, n, c, hw, act, alpha, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_bias_activation", t);
        }
    }

    static int emulated(MemorySegment emulated) {
        try {
            return (int) Probe.EMULATED.invokeExact(emulated);
        } catch (Throwable t) {
            throw downcallFailed("genten_emulated", t);
        }
    }

    static int emulatorConfigure(int schedule, long seed) {
        try {
            return (int) H.EMULATOR_CONFIGURE.invokeExact(schedule, seed);
        } catch (Throwable t) {
            throw downcallFailed("genten_emulator_configure", t);
        }
    }

    static int emulatorSetMemoryLimit(long bytes) {
        try {
            return (int) H.EMULATOR_SET_MEMORY_LIMIT.invokeExact(bytes);
        } catch (Throwable t) {
            throw downcallFailed("genten_emulator_set_memory_limit", t);
        }
    }

    static int trimScratch() {
        try {
            return (int) H.TRIM_SCRATCH.invokeExact();
        } catch (Throwable t) {
            throw downcallFailed("genten_trim_scratch", t);
        }
    }

    static int gemm(int trans_a, int trans_b, int m, int n, int k, MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment bias, MemorySegment c, int ldc, int math_mode, MemorySegment stream) {
        try {
            return (int) H.GEMM.invokeExact(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, c, ldc, math_mode, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_gemm", t);
        }
    }

    static int conv2dForward(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, int n, int c, int h, int width, int k, int r, int stride, int pad, int oh, int ow, int math_mode, int act, float alpha, MemorySegment stream) {
        try {
            return (int) H.CONV2D_FORWARD.invokeExact(x, w, bias, y, n, c, h, width, k, r, stride, pad, oh, ow, math_mode, act, alpha, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_conv2d_forward", t);
        }
    }

    static int conv2dBackwardData(MemorySegment dy, MemorySegment w, MemorySegment dx, int n, int c, int h, int width, int k, int r, int stride, int pad, int oh, int ow, int math_mode, MemorySegment stream) {
        try {
            return (int) H.CONV2D_BACKWARD_DATA.invokeExact(dy, w, dx, n, c, h, width, k, r, stride, pad, oh, ow, math_mode, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_conv2d_backward_data", t);
        }
    }

    static int conv2dBackwardFilter(MemorySegment dy, MemorySegment x, MemorySegment dw, int n, int c, int h, int width, int k, int r, int stride, int pad, int oh, int ow, int math_mode, MemorySegment stream) {
        try {
            return (int) H.CONV2D_BACKWARD_FILTER.invokeExact(dy, x, dw, n, c, h, width, k, r, stride, pad, oh, ow, math_mode, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_conv2d_backward_filter", t);
        }
    }

    static int batchnormTrainForward(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y, MemorySegment save_mean, MemorySegment save_invstd, MemorySegment running_mean, MemorySegment running_var, int n, int c, int hw, float momentum, float eps, int act, float alpha, MemorySegment stream) {
        try {
            return (int) H.BATCHNORM_TRAIN_FORWARD.invokeExact(x, gamma, beta, y, save_mean, save_invstd, running_mean, running_var, n, c, hw, momentum, eps, act, alpha, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_batchnorm_train_forward", t);
        }
    }

    static int batchnormBackward(MemorySegment dy, MemorySegment x, MemorySegment gamma, MemorySegment save_mean, MemorySegment save_invstd, MemorySegment dx, MemorySegment dgamma, MemorySegment dbeta, int n, int c, int hw, MemorySegment stream) {
        try {
            return (int) H.BATCHNORM_BACKWARD.invokeExact(dy, x, gamma, save_mean, save_invstd, dx, dgamma, dbeta, n, c, hw, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_batchnorm_backward", t);
        }
    }

    static int batchnormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment running_mean, MemorySegment running_var, MemorySegment y, int n, int c, int hw, float eps, int act, float alpha, MemorySegment stream) {
        try {
            return (int) H.BATCHNORM_INFERENCE.invokeExact(x, gamma, beta, running_mean, running_var, y, n, c, hw, eps, act, alpha, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_batchnorm_inference", t);
        }
    }

    static int reparamForward(MemorySegment mu, MemorySegment logvar, MemorySegment z, MemorySegment eps, MemorySegment kl_out, long n, long seed, long offset, MemorySegment offset_dev, MemorySegment stream) {
        try {
            return (int) H.REPARAM_FORWARD.invokeExact(mu, logvar, z, eps, kl_out, n, seed, offset, offset_dev, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_reparam_forward", t);
        }
    }

    static int reparamForwardEps(MemorySegment mu, MemorySegment logvar, MemorySegment eps, MemorySegment z, long n, MemorySegment stream) {
        try {
            return (int) H.REPARAM_FORWARD_EPS.invokeExact(mu, logvar, eps, z, n, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_reparam_forward_eps", t);
        }
    }

    static int reparamBackward(MemorySegment dz, MemorySegment mu, MemorySegment logvar, MemorySegment eps, MemorySegment dmu, MemorySegment dlogvar, long n, float kl_scale, MemorySegment stream) {
        try {
            return (int) H.REPARAM_BACKWARD.invokeExact(dz, mu, logvar, eps, dmu, dlogvar, n, kl_scale, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_reparam_backward", t);
        }
    }

    static int klDivergence(MemorySegment mu, MemorySegment logvar, MemorySegment out, long n, MemorySegment stream) {
        try {
            return (int) H.KL_DIVERGENCE.invokeExact(mu, logvar, out, n, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_kl_divergence", t);
        }
    }

    static int bceWithLogits(MemorySegment logits, MemorySegment targets, MemorySegment out, long n, float scale, MemorySegment stream) {
        try {
            return (int) H.BCE_WITH_LOGITS.invokeExact(logits, targets, out, n, scale, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_bce_with_logits", t);
        }
    }

    static int bceWithLogitsBackward(MemorySegment logits, MemorySegment targets, MemorySegment dx, long n, float scale, MemorySegment stream) {
        try {
            return (int) H.BCE_WITH_LOGITS_BACKWARD.invokeExact(logits, targets, dx, n, scale, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_bce_with_logits_backward", t);
        }
    }

    static int mse(MemorySegment pred, MemorySegment target, MemorySegment out, long n, float scale, MemorySegment stream) {
        try {
            return (int) H.MSE.invokeExact(pred, target, out, n, scale, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_mse", t);
        }
    }

    static int mseBackward(MemorySegment pred, MemorySegment target, MemorySegment dx, long n, float scale, MemorySegment stream) {
        try {
            return (int) H.MSE_BACKWARD.invokeExact(pred, target, dx, n, scale, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_mse_backward", t);
        }
    }

    static int adamStep(MemorySegment slots_dev, int count, long max_n, float lr, float beta1, float beta2, float eps, float weight_decay, int decoupled, MemorySegment step_dev, MemorySegment stream) {
        try {
            return (int) H.ADAM_STEP.invokeExact(slots_dev, count, max_n, lr, beta1, beta2, eps, weight_decay, decoupled, step_dev, stream);
        } catch (Throwable t) {
            throw downcallFailed("genten_adam_step", t);
        }
    }
}
