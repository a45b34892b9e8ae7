package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A step captured once on the backend's stream and replayed with one launch.
 *
 * <p>Capture requires a warmed backend: run the step eagerly once first, so that every block it
 * allocates is in the allocator's cache (cudaMalloc cannot be captured), every cuDNN algorithm is
 * chosen and every Adam table built. Inside the step nothing may synchronize with the host (no
 * {@code item()}, {@code toArray()}, host copies). Tensors the step creates keep their device
 * addresses for the life of the graph; each replay rewrites them, so read results after
 * {@link #replay()} from tensors the step left open. The memory a graph touched is reserved for
 * it until {@link #close()}.
 *
 * <p>Philox offsets and Adam steps live on the device: call
 * {@link CudaBackend#advanceRandomOffset} inside the step to draw fresh noise on each replay; Adam's
 * step counter advances by itself.
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaBackend backend;
    private final CachingAllocator.GraphPool pool;
    private MemorySegment exec;

    private CudaGraph(CudaBackend backend, MemorySegment exec, CachingAllocator.GraphPool pool) {
        this.backend = backend;
        this.exec = exec;
        this.pool = pool;
        backend.register(this);
    }

    /**
     * Captures {@code step} (which only queues work: nothing runs) and instantiates the graph.
     *
     * @param backend the backend whose stream is captured
     * @param step    the work to capture
     * @return the graph, ready to replay
     */
    public static CudaGraph capture(CudaBackend backend, Runnable step) {
        var stream = backend.stream(); // refuses a closed backend
        var allocator = backend.allocator();
        allocator.beginCapture();
        int begin = Native.graphBeginCapture(stream);
        if (begin != 0) {
            allocator.releaseGraph(allocator.endCapture());
            CudaStatus.check(begin, "CUDA graph capture", "(begin)");
        }
        Throwable failure = null;
        try {
            step.run();
        } catch (Throwable t) {
            failure = t;
        }
        int end;
        MemorySegment exec;
        try (var arena = Arena.ofConfined()) {
            var out = arena.allocate(ADDRESS);
            end = Native.graphEndCapture(stream, out);
            exec = out.get(ADDRESS, 0);
        }
        var pool = allocator.endCapture();
        backend.afterCapture();
        if (failure != null || end != 0) {
            if (end == 0 && exec.address() != 0) Native.graphDestroy(exec);
            allocator.releaseGraph(pool);
            if (failure instanceof RuntimeException r) throw r;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new CudaException("CUDA graph capture: the step failed: " + failure, -1);
            CudaStatus.check(end, "CUDA graph capture", "(end: did the step synchronize with the host or use another stream?)");
        }
        return new CudaGraph(backend, exec, pool);
    }

    /** Queues one replay of the captured step on the backend's stream. */
    public void replay() {
        if (exec == null) {
            throw new IllegalStateException("CUDA graph used after close" + (backend.isClosed() ? " (its backend was closed)" : ""));
        }
        CudaStatus.check(Native.graphLaunch(exec, backend.stream()), "CUDA graph replay");
    }

    /** Waits for the replays, destroys the graph and gives its memory back; a no-op once closed (also by the backend's close). */
    @Override public void close() {
        if (exec == null) return;
        try {
            backend.synchronize();
        } finally {
            destroy();
        }
    }

    /** Destroys the graph without waiting (the caller knows the stream is idle) and gives its memory back. */
    void destroy() {
        if (exec == null) return;
        var e = exec;
        exec = null;
        try {
            CudaStatus.check(Native.graphDestroy(e), "CUDA graph destroy");
        } finally {
            backend.unregister(this);
            backend.allocator().releaseGraph(pool);
        }
    }
}
