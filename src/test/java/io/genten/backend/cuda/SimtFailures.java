package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes a CUDA runtime call of the emulator fail on purpose: sets {@code GENTEN_SIMT_FAIL}
 * (native/simt/runtime.cpp) in this process through libc's setenv, which the emulator reads at
 * every call it can fail. In this process rather than in a child JVM because the checks of the
 * statuses are what mutation testing removes, in the JVM it mutates. Emulator only: on a GPU the
 * variable means nothing.
 */
final class SimtFailures {
    private SimtFailures() {}

    /** cudaError_t codes the tests name. */
    static final int MEMORY_ALLOCATION = 2, LAUNCH_OUT_OF_RESOURCES = 701, LAUNCH_FAILURE = 719, UNKNOWN = 999;

    private static final AtomicInteger TAGS = new AtomicInteger();
    private static final MethodHandle SETENV, UNSETENV;

    static {
        var linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        SETENV = linker.downcallHandle(libc.find("setenv").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        UNSETENV = linker.downcallHandle(libc.find("unsetenv").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** A failure armed until closed. */
    interface Armed extends AutoCloseable {
        @Override void close();
    }

    /** The {@code nth} call (from now) of {@code function} fails with {@code status}, once. */
    static Armed fail(String function, int nth, int status) { return arm(function + ":" + nth + ":" + status); }

    /** Every call of {@code function} from now on fails with {@code status} until closed. */
    static Armed failEvery(String function, int status) { return arm(function + ":1+:" + status); }

    private static Armed arm(String spec) {
        // a new tag each time: the emulator fires a value once and counts calls from when it first sees it
        set(spec + "#" + TAGS.incrementAndGet());
        return () -> set(null);
    }

    private static void set(String value) {
        try (var arena = Arena.ofConfined()) {
            int rc = value == null ? (int) UNSETENV.invokeExact(arena.allocateFrom("GENTEN_SIMT_FAIL"))
                    : (int) SETENV.invokeExact(arena.allocateFrom("GENTEN_SIMT_FAIL"), arena.allocateFrom(value), 1);
            if (rc != 0) throw new IllegalStateException("setenv GENTEN_SIMT_FAIL=" + value + " failed: " + rc);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
