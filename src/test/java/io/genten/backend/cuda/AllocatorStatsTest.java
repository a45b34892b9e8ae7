package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cuda.CachingAllocatorTest.FakeMemory;
import org.junit.jupiter.api.Test;

/**
 * The allocator's statistics, counted exactly through a scripted life: misses and hits, a
 * long-lived block, releases, emptying the cache, an out-of-memory retry that succeeds and one that
 * does not, a graph capture that parks its blocks and gives them back, and frees after close. These
 * are the numbers an out-of-memory message and the steady-state test read, so each is checked.
 */
class AllocatorStatsTest {
    private static final long KIB = 1024;

    /** allocated, cached, reserved, peak, mallocs, frees, hits, OOM retries, allocations, blocks in use. */
    private static void expect(CachingAllocator a, String when, long... v) {
        var s = a.stats();
        long[] got = {s.allocatedBytes(), s.cachedBytes(), s.reservedBytes(), s.peakAllocatedBytes(), s.mallocCalls(), s.freeCalls(),
            s.cacheHits(), s.oomRetries(), s.allocations(), s.blocksInUse()};
        assertEquals(java.util.Arrays.toString(v), java.util.Arrays.toString(got), when + " (allocated, cached, reserved, peak, mallocs, frees, hits, OOM retries, allocations, in use)");
    }

    @Test void everyEventIsCounted() {
        var memory = new FakeMemory(64 * KIB);
        var a = new CachingAllocator(memory);
        var b1 = a.allocate(1000); // class 1 KiB, a miss
        expect(a, "first miss", KIB, 0, KIB, KIB, 1, 0, 0, 0, 1, 1);
        var b2 = a.allocate(3000); // class 3 KiB
        expect(a, "second miss", 4 * KIB, 0, 4 * KIB, 4 * KIB, 2, 0, 0, 0, 2, 2);
        a.release(b1);
        expect(a, "one released to the cache", 3 * KIB, KIB, 4 * KIB, 4 * KIB, 2, 0, 0, 0, 2, 1);
        var b3 = a.allocate(600); // class 1 KiB again: a hit
        expect(a, "a hit", 4 * KIB, 0, 4 * KIB, 4 * KIB, 2, 0, 1, 0, 3, 2);
        var longLived = a.allocateLongLived(5000); // class 5 KiB, never from the cache
        expect(a, "long-lived", 9 * KIB, 0, 9 * KIB, 9 * KIB, 3, 0, 1, 0, 4, 3);
        a.release(b2);
        a.release(b3);
        expect(a, "two released", 5 * KIB, 4 * KIB, 9 * KIB, 9 * KIB, 3, 0, 1, 0, 4, 1);
        a.emptyCache();
        expect(a, "cache emptied", 5 * KIB, 0, 5 * KIB, 9 * KIB, 3, 2, 1, 0, 4, 1);
        assertEquals(5 * KIB, memory.used, "the device holds only the long-lived block");

        // 40 KiB cached, 5 KiB long-lived: 24 KiB more does not fit until the cache is emptied
        var big = a.allocate(40 * KIB);
        a.release(big);
        expect(a, "40 KiB cached", 5 * KIB, 40 * KIB, 45 * KIB, 45 * KIB, 4, 2, 1, 0, 5, 1);
        var retried = a.allocate(24 * KIB);
        expect(a, "an OOM retried after emptying the cache", 29 * KIB, 0, 29 * KIB, 45 * KIB, 6, 3, 1, 1, 6, 2);
        var e = assertThrows(CudaOutOfMemoryException.class, () -> a.allocate(48 * KIB));
        assertTrue(e.getMessage().contains("after emptying the cache"), e.getMessage());
        expect(a, "an OOM that stays one", 29 * KIB, 0, 29 * KIB, 45 * KIB, 8, 3, 1, 2, 6, 2);

        a.release(retried);
        a.release(longLived);
        a.close();
        expect(a, "closed", 0, 0, 0, 45 * KIB, 8, 5, 1, 2, 6, 0);
        assertEquals(0, memory.used);
    }

    @Test void aCaptureParksItsBlocksUntilTheGraphIsReleased() {
        var memory = new FakeMemory(64 * KIB);
        var a = new CachingAllocator(memory);
        a.release(a.allocate(2 * KIB)); // warm: one 2 KiB block cached
        expect(a, "warmed", 0, 2 * KIB, 2 * KIB, 2 * KIB, 1, 0, 0, 0, 1, 0);
        assertFalse(a.isCapturing());
        a.beginCapture();
        assertTrue(a.isCapturing());
        var inGraph = a.allocate(2 * KIB); // a hit, touched by the capture
        a.release(inGraph); // back to the free list while capturing
        expect(a, "during capture", 0, 2 * KIB, 2 * KIB, 2 * KIB, 1, 0, 1, 0, 2, 0);
        var pool = a.endCapture();
        assertFalse(a.isCapturing());
        // the graph owns the block: parked, not cached, not reusable by others
        expect(a, "after capture", 0, 0, 2 * KIB, 2 * KIB, 1, 0, 1, 0, 2, 0);
        var other = a.allocate(2 * KIB); // must not get the graph's block: a new malloc
        expect(a, "another block", 2 * KIB, 0, 4 * KIB, 2 * KIB, 2, 0, 1, 0, 3, 1);
        a.release(other);
        a.releaseGraph(pool);
        expect(a, "graph released: its block cached again", 0, 4 * KIB, 4 * KIB, 2 * KIB, 2, 0, 1, 0, 3, 0);
        a.releaseGraph(pool); // idempotent
        expect(a, "released twice", 0, 4 * KIB, 4 * KIB, 2 * KIB, 2, 0, 1, 0, 3, 0);
        a.close();
        assertEquals(0, memory.used);
    }

    /** Tensors and graphs may outlive the backend: their blocks go straight back to the device, counted. */
    @Test void blocksReleasedAfterCloseAreFreedAndCounted() {
        var memory = new FakeMemory(64 * KIB);
        var a = new CachingAllocator(memory);
        a.release(a.allocate(KIB));
        a.beginCapture();
        var inGraph = a.allocate(KIB);
        var pool = a.endCapture();
        var live = a.allocate(3 * KIB);
        a.release(inGraph); // owned by the graph: parked
        a.close();
        expect(a, "closed with a live block and a parked one", 3 * KIB, 0, 4 * KIB, 4 * KIB, 2, 0, 1, 0, 3, 1);
        a.release(live);
        expect(a, "the live block freed", 0, 0, KIB, 4 * KIB, 2, 1, 1, 0, 3, 0);
        a.releaseGraph(pool);
        expect(a, "the graph's block freed", 0, 0, 0, 4 * KIB, 2, 2, 1, 0, 3, 0);
        assertEquals(0, memory.used);
        assertEquals(2, memory.frees);
    }

    @Test void theSummaryNamesEveryCounter() {
        var a = new CachingAllocator(new FakeMemory(4L << 20));
        var b = a.allocate(1L << 20); // exactly 1 MiB
        String s = a.stats().toString();
        assertTrue(s.startsWith("allocated 1.0 MiB in 1 blocks, cached 0.0 MiB, reserved 1.0 MiB, peak 1.0 MiB, 1 allocations, 1 mallocs, 0 frees, 0 cache hits, 0 OOM retries")
                || s.startsWith("allocated 1,0 MiB"), s);
        a.release(b);
        a.close();
    }
}
