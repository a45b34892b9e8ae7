package io.genten.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The few entry points of libgenten_cuda.so (native/include/genten.h) that the overhead
 * benchmarks call directly, bound here through FFM so that they measure the raw downcall and
 * launch costs without any backend logic in between. Found where the CUDA backend's loader finds
 * it (-Dgenten.cuda.library, the copy in the jar), else on java.library.path (the device pack's
 * env.sh sets it).
 */
final class NativeLib implements AutoCloseable {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout ADDR = ValueLayout.ADDRESS;

    final Arena arena = Arena.ofShared();
    final MethodHandle nothing;
    final MethodHandle nothingCritical;
    final MethodHandle noop;
    final MethodHandle noopCritical;
    final MethodHandle deviceCount;
    final MethodHandle streamCreate;
    final MethodHandle streamDestroy;
    final MethodHandle streamSynchronize;
    final MethodHandle graphBeginCapture;
    final MethodHandle graphEndCapture;
    final MethodHandle graphLaunch;
    final MethodHandle graphDestroy;

    private NativeLib(Path library) {
        var lookup = SymbolLookup.libraryLookup(library, arena);
        var linker = Linker.nativeLinker();
        var critical = Linker.Option.critical(false);
        nothing = linker.downcallHandle(find(lookup, "genten_nothing"), FunctionDescriptor.of(INT));
        nothingCritical = linker.downcallHandle(find(lookup, "genten_nothing"), FunctionDescriptor.of(INT), critical);
        noop = linker.downcallHandle(find(lookup, "genten_noop"), FunctionDescriptor.of(INT, ADDR));
        noopCritical = linker.downcallHandle(find(lookup, "genten_noop"), FunctionDescriptor.of(INT, ADDR), critical);
        deviceCount = linker.downcallHandle(find(lookup, "genten_device_count"), FunctionDescriptor.of(INT, ADDR));
        streamCreate = linker.downcallHandle(find(lookup, "genten_stream_create"), FunctionDescriptor.of(INT, ADDR));
        streamDestroy = linker.downcallHandle(find(lookup, "genten_stream_destroy"), FunctionDescriptor.of(INT, ADDR));
        streamSynchronize = linker.downcallHandle(find(lookup, "genten_stream_synchronize"), FunctionDescriptor.of(INT, ADDR));
        graphBeginCapture = linker.downcallHandle(find(lookup, "genten_graph_begin_capture"), FunctionDescriptor.of(INT, ADDR));
        graphEndCapture = linker.downcallHandle(find(lookup, "genten_graph_end_capture"), FunctionDescriptor.of(INT, ADDR, ADDR));
        graphLaunch = linker.downcallHandle(find(lookup, "genten_graph_launch"), FunctionDescriptor.of(INT, ADDR, ADDR));
        graphDestroy = linker.downcallHandle(find(lookup, "genten_graph_destroy"), FunctionDescriptor.of(INT, ADDR));
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> Skip.because("libgenten_cuda.so has no symbol " + name + " (an older build?)"));
    }

    /** Loads the library or throws {@link Skip} saying where it looked. */
    static NativeLib load() {
        var explicit = System.getProperty("genten.cuda.library");
        if (explicit != null) {
            Skip.unless(Files.isRegularFile(Path.of(explicit)), "-Dgenten.cuda.library=" + explicit + " is not a file");
            return new NativeLib(Path.of(explicit));
        }
        // the backend's own loader (it also extracts the copy packed in the jar)
        var status = io.genten.backend.cuda.NativeLibrary.status();
        if (status.loaded() && status.path() != null) return new NativeLib(status.path());
        var path = System.getProperty("java.library.path", "");
        for (var dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            var candidate = Path.of(dir, "libgenten_cuda.so");
            if (Files.isRegularFile(candidate)) return new NativeLib(candidate);
        }
        throw Skip.because("libgenten_cuda.so not found (set -Dgenten.cuda.library=... or put it on java.library.path=" + path + ")");
    }

    /** Throws {@link Skip} unless the library sees at least one GPU. */
    void requireDevice() {
        try {
            var count = arena.allocate(INT);
            int status = (int) deviceCount.invokeExact(count);
            Skip.unless(status == 0 && count.get(INT, 0) > 0, "no CUDA device (genten_device_count status " + status + ")");
        } catch (Skip s) {
            throw s;
        } catch (Throwable t) {
            throw new IllegalStateException("genten_device_count failed", t);
        }
    }

    static void check(String op, int status) {
        if (status != 0) throw new IllegalStateException(op + " failed with status " + status);
    }

    @Override public void close() { arena.close(); }
}
