package io.genten.backend.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Device memory with a cache, so that a training loop stops calling cudaMalloc after its first step.
 *
 * <p>Requests are rounded up to a size class: multiples of 512 B up to 1 MiB, above that multiples of
 * a quarter of the next lower power of two (at most 25% slack). A released block goes onto the free
 * list of its class and is handed out again for the next request of that class; blocks are never
 * split. There is one stream per backend, so reuse is stream-ordered and needs no events.
 *
 * <p>When the device is full the cache is emptied (every cached block freed) and the request tried
 * once more; a second failure is a {@link CudaOutOfMemoryException} and leaves the allocator usable.
 *
 * <p>CUDA graphs: between {@link #beginCapture} and {@link #endCapture} a cache miss is an error
 * (cudaMalloc cannot be captured; run the step eagerly once first, which warms the cache: the
 * capture asks for the same sizes in the same order, so per size class it never needs more blocks
 * than the warm-up held at once, provided the warm-up's long-lived blocks came from
 * {@link #allocateLongLived}). Every block allocated, released or {@linkplain #touch used} during
 * capture is then owned by the graph: the graph's kernels reference those addresses on every
 * replay, so when such a block is released it is parked instead of cached, and only
 * {@link #releaseGraph} of the last graph that references it returns it to the cache. Within one
 * capture a released block may be handed out again: a graph captured from one stream is a chain,
 * so its replay keeps the eager order of uses.
 */
public final class CachingAllocator implements AutoCloseable {
    /** The smallest block handed out, in bytes (requests round up to a size class). */
    public static final long MIN_BLOCK = 512;
    private static final long SMALL_LIMIT = 1L << 20;

    /**
     * A device block: its address and its size-class capacity in bytes.
     *
     * @param address the device address
     * @param size    the capacity in bytes
     */
    public record Block(long address, long size) {}

    /**
     * Allocator statistics. allocated: bytes handed out; cached: bytes on free lists; reserved: bytes held from the device.
     *
     * @param allocatedBytes     bytes handed out now
     * @param cachedBytes        bytes on the free lists
     * @param reservedBytes      bytes held from the device (allocated plus cached)
     * @param peakAllocatedBytes the most bytes handed out at once
     * @param mallocCalls        device allocations made
     * @param freeCalls          device frees made
     * @param cacheHits          requests served from the cache
     * @param oomRetries         allocations retried after emptying the cache
     * @param allocations        blocks handed out in all (from the cache or the device)
     * @param blocksInUse        blocks handed out and not yet released
     */
    public record Stats(long allocatedBytes, long cachedBytes, long reservedBytes, long peakAllocatedBytes,
                        long mallocCalls, long freeCalls, long cacheHits, long oomRetries, long allocations, long blocksInUse)
            implements java.io.Serializable {
        @Override public String toString() {
            return "allocated " + mib(allocatedBytes) + " in " + blocksInUse + " blocks, cached " + mib(cachedBytes) + ", reserved "
                    + mib(reservedBytes) + ", peak " + mib(peakAllocatedBytes) + ", " + allocations + " allocations, " + mallocCalls
                    + " mallocs, " + freeCalls + " frees, " + cacheHits + " cache hits, " + oomRetries + " OOM retries";
        }

        private static String mib(long b) { return String.format("%.1f MiB", b / 1048576.0); }
    }

    /** The blocks a captured graph owns: every block its capture allocated, released or read. */
    public static final class GraphPool {
        private final Map<Long, Block> touched = new HashMap<>();
        private boolean released;

        private GraphPool() {}
    }

    private final DeviceMemory memory;
    private final Map<Long, ArrayDeque<Block>> free = new HashMap<>();
    /** By address: the live graphs that reference a block (several graphs may share parameters). */
    private final Map<Long, List<GraphPool>> graphOwned = new HashMap<>();
    /** Released blocks that a live graph still references: back to the cache when the last such graph closes. */
    private final Map<Long, Block> parked = new HashMap<>();
    private GraphPool capturing;
    private long allocated, cached, reserved, peak, mallocs, frees, hits, oomRetries, requests, live;
    private boolean closed;

    /**
     * An allocator over {@code memory}.
     *
     * @param memory the raw device memory (or a host fake in tests)
     */
    public CachingAllocator(DeviceMemory memory) { this.memory = memory; }

    /**
     * The size class of a request of {@code bytes}.
     *
     * @param bytes the request
     * @return the capacity of the block that serves it
     */
    public static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("allocation of " + bytes + " bytes");
        if (bytes <= SMALL_LIMIT) return Math.max(MIN_BLOCK, roundUp(bytes, MIN_BLOCK));
        long step = Long.highestOneBit(bytes - 1) / 4;
        return roundUp(bytes, step);
    }

    private static long roundUp(long x, long m) { return Math.addExact(x, m - 1) / m * m; }

    /**
     * A block of at least {@code bytes}, from the cache when one of its size class is free.
     *
     * @param bytes the request
     * @return the block
     * @throws CudaOutOfMemoryException when the device is full even after the cache was emptied
     */
    public synchronized Block allocate(long bytes) {
        if (closed) throw new IllegalStateException("CUDA allocator used after the backend was closed");
        long size = sizeClass(bytes);
        var list = free.get(size);
        Block b = list == null ? null : list.pollLast();
        if (b != null) {
            hits++;
            cached -= size;
        } else {
            if (capturing != null) {
                throw new IllegalStateException("CUDA graph capture needs a warmed allocator: a block of " + size
                        + " bytes is not cached and cudaMalloc cannot be captured; run the step eagerly once before capture");
            }
            b = new Block(mallocWithRetry(size, bytes), size);
            reserved += size;
        }
        allocated += size;
        requests++;
        live++;
        peak = Math.max(peak, allocated);
        if (capturing != null) capturing.touched.put(b.address(), b);
        return b;
    }

    /**
     * A block that lives across steps (parameters, optimizer state), outside any graph's pool.
     *
     * @param bytes the request
     * @return the block
     */
    public synchronized Block allocateLongLived(long bytes) {
        if (closed) throw new IllegalStateException("CUDA allocator used after the backend was closed");
        long size = sizeClass(bytes);
        if (capturing != null) {
            throw new IllegalStateException("a long-lived block of " + size + " bytes cannot be allocated during CUDA graph capture"
                    + " (cudaMalloc cannot be captured); run the step eagerly once before capture");
        }
        var b = new Block(mallocWithRetry(size, bytes), size);
        reserved += size;
        allocated += size;
        requests++;
        live++;
        peak = Math.max(peak, allocated);
        return b;
    }

    /** Records that the step being captured uses {@code b} (reads or writes it): the graph owns it until it closes. */
    synchronized void touch(Block b) {
        if (capturing != null) capturing.touched.put(b.address(), b);
    }

    private long mallocWithRetry(long size, long requested) {
        try {
            mallocs++;
            return memory.malloc(size);
        } catch (CudaOutOfMemoryException first) {
            oomRetries++;
            emptyCache();
            try {
                mallocs++;
                return memory.malloc(size);
            } catch (CudaOutOfMemoryException second) {
                throw new CudaOutOfMemoryException("CUDA out of memory allocating " + requested + " bytes (class " + size
                        + ") after emptying the cache; allocator: " + stats() + "; cause: " + second.getMessage(),
                        second.status(), requested, stats());
            }
        }
    }

    /**
     * Returns a block: to its graph if a captured graph references it, else to the cache.
     *
     * @param b a block this allocator handed out
     */
    public synchronized void release(Block b) {
        allocated -= b.size();
        live--;
        if (closed) {
            reserved -= b.size();
            frees++;
            memory.free(b.address());
            return;
        }
        if (capturing != null) capturing.touched.put(b.address(), b);
        if (graphOwned.containsKey(b.address())) {
            parked.put(b.address(), b);
            return;
        }
        free.computeIfAbsent(b.size(), k -> new ArrayDeque<>()).addLast(b);
        cached += b.size();
    }

    /** Frees every cached block back to the device. */
    public synchronized void emptyCache() {
        for (var list : free.values()) {
            for (var b : list) {
                memory.free(b.address());
                frees++;
                reserved -= b.size();
                cached -= b.size();
            }
        }
        free.clear();
    }

    /**
     * The current statistics.
     *
     * @return a snapshot
     */
    public synchronized Stats stats() {
        return new Stats(allocated, cached, reserved, peak, mallocs, frees, hits, oomRetries, requests, live);
    }

    /**
     * Whether a CUDA graph capture is in progress.
     *
     * @return true between the capture's begin and end
     */
    public synchronized boolean isCapturing() { return capturing != null; }

    synchronized void beginCapture() {
        if (capturing != null) throw new IllegalStateException("a CUDA graph capture is already in progress");
        capturing = new GraphPool();
    }

    /** Ends capture: the blocks touched during it now belong to the returned pool. */
    synchronized GraphPool endCapture() {
        var pool = capturing;
        capturing = null;
        if (pool == null) throw new IllegalStateException("no CUDA graph capture in progress");
        for (var b : pool.touched.values()) {
            graphOwned.computeIfAbsent(b.address(), k -> new ArrayList<>()).add(pool);
            var list = free.get(b.size());
            if (list != null && list.remove(b)) {
                cached -= b.size();
                parked.put(b.address(), b);
            }
        }
        return pool;
    }

    /** The graph is gone: the blocks it alone still held return to the cache (or the device, after close). */
    synchronized void releaseGraph(GraphPool pool) {
        if (pool.released) return;
        pool.released = true;
        for (long address : pool.touched.keySet()) {
            var owners = graphOwned.get(address);
            if (owners == null) continue;
            owners.remove(pool);
            if (!owners.isEmpty()) continue;
            graphOwned.remove(address);
            var b = parked.remove(address);
            if (b == null) continue; // still held by a tensor: released to the cache later
            if (closed) {
                reserved -= b.size();
                frees++;
                memory.free(b.address());
            } else {
                free.computeIfAbsent(b.size(), k -> new ArrayDeque<>()).addLast(b);
                cached += b.size();
            }
        }
    }

    /** Frees the cache; blocks still held by tensors are freed directly when those tensors close. */
    @Override public synchronized void close() {
        if (closed) return;
        emptyCache();
        closed = true;
    }
}
