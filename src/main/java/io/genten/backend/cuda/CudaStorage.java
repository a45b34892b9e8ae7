package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.genten.tensor.Device;
import io.genten.tensor.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A block of device memory from the backend's caching allocator. Host reads and writes go through a
 * confined native buffer and synchronize the backend's stream; {@link #free} returns the block to the
 * allocator (reuse is ordered by the single stream, so no event is needed).
 */
final class CudaStorage implements Storage {
    private final CudaBackend backend;
    private final CachingAllocator.Block block;
    private final long length;
    private final MemorySegment segment;
    private volatile boolean freed;

    CudaStorage(CudaBackend backend, CachingAllocator.Block block, long length) {
        this.backend = backend;
        this.block = block;
        this.length = length;
        this.segment = MemorySegment.ofAddress(block.address());
    }

    /** The device pointer (a zero-length segment). */
    MemorySegment segment() {
        if (freed) throw new IllegalStateException("CUDA storage used after free");
        backend.requireOpen(); // its stream is destroyed: a copy or kernel on it would crash the JVM
        // a captured graph reads or writes this block on every replay: it must not be reused while the graph lives
        backend.allocator().touch(block);
        return segment;
    }

    long address() { return segment().address(); }

    @Override public Device device() { return backend.device(); }

    @Override public long length() { return length; }

    private void checkRange(String op, long from, int count) {
        if (from < 0 || count < 0 || from + count > length) {
            throw new IndexOutOfBoundsException(op + ": elements [" + from + ", " + (from + count) + ") of a CUDA storage of " + length);
        }
    }

    @Override public void read(long from, float[] dst, int dstOffset, int count) {
        checkRange("read", from, count);
        if (count == 0) return;
        backend.requireNotCapturing("copy of " + count + " floats to the host");
        long bytes = 4L * count;
        try (var arena = Arena.ofConfined()) {
            var host = arena.allocate(bytes, 4);
            CudaStatus.check(Native.memcpyD2h(host, MemorySegment.ofAddress(address() + 4L * from), bytes, backend.stream()),
                    "copy to host", "of " + count + " floats");
            backend.synchronize();
            MemorySegment.copy(host, JAVA_FLOAT, 0, dst, dstOffset, count);
        }
    }

    @Override public void write(long to, float[] src, int srcOffset, int count) {
        checkRange("write", to, count);
        if (count == 0) return;
        backend.requireNotCapturing("copy of " + count + " floats from the host");
        long bytes = 4L * count;
        try (var arena = Arena.ofConfined()) {
            var host = arena.allocate(bytes, 4);
            MemorySegment.copy(src, srcOffset, host, JAVA_FLOAT, 0, count);
            CudaStatus.check(Native.memcpyH2d(MemorySegment.ofAddress(address() + 4L * to), host, bytes, backend.stream()),
                    "copy to device", "of " + count + " floats");
            // the host buffer dies with the arena: wait until the copy has read it
            backend.synchronize();
        }
    }

    @Override public void free() {
        if (freed) return;
        freed = true;
        backend.allocator().release(block);
    }
}
