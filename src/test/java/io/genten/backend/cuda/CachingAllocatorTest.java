package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The allocator against a fake device memory on the host: no GPU needed. */
class CachingAllocatorTest {

    /** Device memory of a fixed capacity; catches double frees and frees of unknown addresses. */
    static final class FakeMemory implements DeviceMemory {
        final long capacity;
        final Map<Long, Long> live = new HashMap<>();
        long used, next = 0x7f0000000000L, mallocs, frees;

        FakeMemory(long capacity) { this.capacity = capacity; }

        @Override public long malloc(long bytes) {
            if (used + bytes > capacity) {
                throw new CudaOutOfMemoryException("fake: out of memory for " + bytes + " bytes (" + used + " used)", 2, bytes);
            }
            long a = next;
            next += (bytes + 255) / 256 * 256 + 256;
            live.put(a, bytes);
            used += bytes;
            mallocs++;
            return a;
        }

        @Override public void free(long address) {
            Long bytes = live.remove(address);
            if (bytes == null) throw new AssertionError("free of unknown or already freed address " + Long.toHexString(address));
            used -= bytes;
            frees++;
        }
    }

    @Test void sizeClassesRoundUpWithBoundedSlack() {
        assertEquals(512, CachingAllocator.sizeClass(0));
        assertEquals(512, CachingAllocator.sizeClass(1));
        assertEquals(512, CachingAllocator.sizeClass(512));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(1L << 20, CachingAllocator.sizeClass(1L << 20));
        assertEquals((1L << 20) + (1L << 18), CachingAllocator.sizeClass((1L << 20) + 1));
        assertEquals(2L << 20, CachingAllocator.sizeClass(2L << 20));
        assertEquals((2L << 20) + (1L << 19), CachingAllocator.sizeClass((2L << 20) + 12345));
        var rnd = new Random(7);
        long previous = 0;
        for (int i = 0; i < 20000; i++) {
            long bytes = i < 10000 ? i * 37L : (long) (Math.exp(rnd.nextDouble() * 40));
            long c = CachingAllocator.sizeClass(bytes);
            assertTrue(c >= bytes, "class " + c + " < request " + bytes);
            assertTrue(c <= Math.max(512, bytes * 1.25 + 512), "class " + c + " too large for " + bytes);
            assertEquals(c, CachingAllocator.sizeClass(c), "a class is its own class: " + c);
            if (i < 10000) {
                assertTrue(c >= previous, "monotone");
                previous = c;
            }
        }
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.sizeClass(-1));
    }

    /** One "training step": the same request sizes every time, freed at the end. */
    private static List<CachingAllocator.Block> step(CachingAllocator a, long[] sizes) {
        var blocks = new ArrayList<CachingAllocator.Block>();
        for (long s : sizes) blocks.add(a.allocate(s));
        return blocks;
    }

    @Test void steadyStateReusesBlocksWithoutMalloc() {
        var mem = new FakeMemory(1L << 34);
        var a = new CachingAllocator(mem);
        long[] sizes = {100, 4 * 64 * 100, 3 * 1024 * 1024 + 5, 4, 4, 7 * 7 * 256 * 64 * 4, 100};
        var first = step(a, sizes);
        var addresses = new HashSet<Long>();
        for (var b : first) assertTrue(addresses.add(b.address()), "live blocks must not share an address");
        long mallocs = a.stats().mallocCalls();
        assertEquals(sizes.length, mallocs);
        long inUse = a.stats().allocatedBytes();
        first.forEach(a::release);
        assertEquals(0, a.stats().allocatedBytes());
        assertEquals(inUse, a.stats().cachedBytes());
        for (int i = 0; i < 10; i++) {
            var blocks = step(a, sizes);
            for (var b : blocks) assertTrue(addresses.contains(b.address()), "a later step reuses the first step's blocks");
            blocks.forEach(a::release);
        }
        var s = a.stats();
        assertEquals(mallocs, s.mallocCalls(), "no malloc in the steady state");
        assertEquals(10L * sizes.length, s.cacheHits());
        assertEquals(inUse, s.peakAllocatedBytes());
        assertEquals(inUse, s.reservedBytes());
        a.close();
        assertEquals(0, mem.used, "close frees the cache");
        assertTrue(mem.live.isEmpty());
    }

    @Test void outOfMemoryEmptiesTheCacheAndRetriesOnce() {
        var mem = new FakeMemory(10L << 20);
        var a = new CachingAllocator(mem);
        var big = a.allocate(6L << 20);
        a.release(big); // cached: 6 MiB held from the device
        var other = a.allocate(5L << 20); // does not fit next to the cached block: the cache is emptied
        assertEquals(1, a.stats().oomRetries());
        assertEquals(0, a.stats().cachedBytes());
        assertEquals(1, mem.frees);
        var e = assertThrows(CudaOutOfMemoryException.class, () -> a.allocate(1L << 40));
        assertTrue(e.getMessage().contains("after emptying the cache"), e.getMessage());
        assertEquals(1L << 40, e.requestedBytes());
        // still usable afterwards
        a.release(other);
        var again = a.allocate(5L << 20);
        assertNotEquals(0, again.address());
        a.release(again);
        a.close();
        assertTrue(mem.live.isEmpty());
    }

    @Test void captureNeedsAWarmCacheAndReservesWhatItTouched() {
        var mem = new FakeMemory(1L << 30);
        var a = new CachingAllocator(mem);
        var warm = a.allocate(4096);
        a.release(warm);
        a.beginCapture();
        assertTrue(a.isCapturing());
        var e = assertThrows(IllegalStateException.class, () -> a.allocate(1L << 20));
        assertTrue(e.getMessage().contains("warmed allocator"), e.getMessage());
        var inGraph = a.allocate(4096);
        assertEquals(warm.address(), inGraph.address(), "capture takes cached blocks");
        var pool = a.endCapture();
        a.release(inGraph); // the graph still writes here on replay: parked, not cached
        var fresh = a.allocate(4096);
        assertNotEquals(inGraph.address(), fresh.address(), "a graph's block must not be handed out while the graph lives");
        a.release(fresh);
        a.releaseGraph(pool);
        var hits = a.stats().cacheHits();
        var reused = a.allocate(4096);
        var reused2 = a.allocate(4096);
        assertEquals(hits + 2, a.stats().cacheHits(), "after the graph closes its block returns to the cache");
        assertTrue(reused.address() == inGraph.address() || reused2.address() == inGraph.address());
        a.release(reused);
        a.release(reused2);
        a.close();
        assertTrue(mem.live.isEmpty());
    }

    @Test void blocksFreedDuringCaptureBelongToTheGraph() {
        var mem = new FakeMemory(1L << 30);
        var a = new CachingAllocator(mem);
        var input = a.allocate(1000); // made before capture, closed inside the step
        a.beginCapture();
        a.release(input);
        var pool = a.endCapture();
        var next = a.allocate(1000);
        assertNotEquals(input.address(), next.address(), "the graph may still read the released input on replay");
        a.release(next);
        a.releaseGraph(pool);
        a.close();
        assertTrue(mem.live.isEmpty());
    }

    /**
     * A warm-up step that builds a long-lived table halfway (as the Adam tables are built in the first
     * step), after some temporaries were freed: a cached block taken for the table leaves the capture
     * of the same step one block short; a fresh long-lived block does not.
     */
    @Test void longLivedBlocksOfTheWarmUpDoNotStarveTheCapture() {
        for (boolean fresh : new boolean[] {false, true}) {
            var mem = new FakeMemory(1L << 30);
            var a = new CachingAllocator(mem);
            var table = new CachingAllocator.Block[1];
            Runnable step = () -> {
                var early = new ArrayList<CachingAllocator.Block>();
                try {
                    for (int i = 0; i < 3; i++) early.add(a.allocate(256));
                } finally {
                    early.forEach(a::release); // freed mid-step (accumulated gradients, a workspace)
                }
                if (table[0] == null) table[0] = fresh ? a.allocateLongLived(8) : a.allocate(8);
                var late = a.allocate(256);
                a.release(late);
            };
            step.run(); // the warm-up
            a.beginCapture();
            if (fresh) {
                step.run();
                a.releaseGraph(a.endCapture());
            } else {
                var e = assertThrows(IllegalStateException.class, step::run, "the table took a block the capture needs");
                assertTrue(e.getMessage().contains("warmed allocator"), e.getMessage());
                a.releaseGraph(a.endCapture());
            }
            a.release(table[0]);
            a.close();
            assertTrue(mem.live.isEmpty());
        }
    }

    @Test void longLivedBlocksAreNotTakenDuringCapture() {
        var a = new CachingAllocator(new FakeMemory(1L << 30));
        var warm = a.allocate(8);
        a.release(warm);
        a.beginCapture();
        var e = assertThrows(IllegalStateException.class, () -> a.allocateLongLived(8));
        assertTrue(e.getMessage().contains("capture"), e.getMessage());
        a.releaseGraph(a.endCapture());
        var b = a.allocateLongLived(8);
        assertNotEquals(warm.address(), b.address(), "a long-lived block never comes from the cache");
        a.release(b);
        a.close();
    }

    /** A tensor made before capture that the step only reads (a parameter, the static input), closed while the graph lives. */
    @Test void blocksUsedDuringCaptureStayReservedUntilTheGraphCloses() {
        var mem = new FakeMemory(1L << 30);
        var a = new CachingAllocator(mem);
        var param = a.allocate(4096);
        var untouched = a.allocate(4096);
        a.beginCapture();
        a.touch(param);
        var pool = a.endCapture();
        a.release(param);
        a.release(untouched);
        var next = a.allocate(4096);
        assertEquals(untouched.address(), next.address(), "a block the graph never used is cached as usual");
        var other = a.allocate(4096);
        assertNotEquals(param.address(), other.address(), "the graph reads this block on every replay");
        a.releaseGraph(pool);
        a.release(next);
        a.release(other);
        var blocks = new ArrayList<Long>();
        for (int i = 0; i < 3; i++) blocks.add(a.allocate(4096).address());
        assertTrue(blocks.contains(param.address()), "cached again once the graph is closed");
        a.close();
    }

    /** Two graphs share a block: it stays reserved until the last of them closes, whichever closes first. */
    @Test void aBlockSharedByTwoGraphsIsReservedUntilBothClose() {
        for (boolean firstClosesFirst : new boolean[] {true, false}) {
            var mem = new FakeMemory(1L << 30);
            var a = new CachingAllocator(mem);
            var shared = a.allocate(1000);
            a.beginCapture();
            a.touch(shared);
            var first = a.endCapture();
            a.beginCapture();
            a.release(shared); // the second step consumes it
            var second = a.endCapture();
            a.releaseGraph(firstClosesFirst ? first : second);
            var probe = a.allocate(1000);
            assertNotEquals(shared.address(), probe.address(), "the other graph still uses the block");
            a.release(probe);
            a.releaseGraph(firstClosesFirst ? second : first);
            var again = new ArrayList<Long>();
            for (int i = 0; i < 2; i++) again.add(a.allocate(1000).address());
            assertTrue(again.contains(shared.address()), "cached once both graphs are closed");
            assertEquals(0, a.stats().cachedBytes());
            a.close();
        }
    }

    @Test void closingAGraphAfterTheAllocatorFreesItsParkedBlocks() {
        var mem = new FakeMemory(1L << 30);
        var a = new CachingAllocator(mem);
        var b = a.allocate(1000);
        a.beginCapture();
        a.release(b);
        var pool = a.endCapture();
        a.close();
        assertEquals(1, mem.live.size(), "parked with the live graph, not freed by close");
        a.releaseGraph(pool);
        assertTrue(mem.live.isEmpty());
        assertEquals(0, a.stats().reservedBytes());
    }

    @Test void releaseAfterCloseFreesDirectly() {
        var mem = new FakeMemory(1L << 30);
        var a = new CachingAllocator(mem);
        var b = a.allocate(123);
        a.close();
        assertThrows(IllegalStateException.class, () -> a.allocate(1));
        a.release(b);
        assertTrue(mem.live.isEmpty());
        assertEquals(0, a.stats().reservedBytes());
    }
}
