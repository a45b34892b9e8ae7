package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.genten.backend.Activation;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/** The CPU backend's recycling of closed tensors' arrays. */
class HostPoolTest {
    private static final Shape BIG = Shape.of(4, 1000);

    @Test void aClosedTensorsArrayComesBackZeroedForTheSameLength() {
        var pool = new HostPool(1 << 20);
        var t = pool.tensor(BIG);
        float[] a = t.hostArray();
        Arrays.fill(a, 3.5f);
        t.close();
        assertEquals(4000L * Float.BYTES, pool.pooledBytes());
        try (var u = pool.tensor(Shape.of(2, 2000))) {
            assertSame(a, u.hostArray(), "same length: the array is reused");
            assertArrayEquals(new float[4000], u.hostArray(), "and zeroed, as a new one");
            assertEquals(0, pool.pooledBytes());
        }
        try (var v = pool.tensor(Shape.of(4001))) {
            assertNotSame(a, v.hostArray(), "another length: a new array");
        }
    }

    @Test void shortArraysAreNotPooled() {
        var pool = new HostPool(1 << 20);
        var t = pool.tensor(Shape.of(HostPool.MIN_LENGTH - 1));
        float[] a = t.hostArray();
        t.close();
        assertEquals(0, pool.pooledBytes());
        try (var u = pool.tensor(Shape.of(HostPool.MIN_LENGTH - 1))) {
            assertNotSame(a, u.hostArray());
        }
    }

    @Test void thePoolKeepsNoMoreThanItsCapacity() {
        var pool = new HostPool(6000L * Float.BYTES);
        var a = pool.tensor(BIG);
        var b = pool.tensor(BIG);
        a.close();
        b.close(); // would make 8000 floats: dropped
        assertEquals(4000L * Float.BYTES, pool.pooledBytes());
    }

    @Test void closingATensorTwiceHandsItsArrayBackOnce() {
        var pool = new HostPool(1 << 20);
        var t = pool.tensor(BIG);
        t.close();
        t.close();
        try (var u = pool.tensor(BIG); var v = pool.tensor(BIG)) {
            assertNotSame(u.hostArray(), v.hostArray(), "two live tensors never share an array");
        }
    }

    @Test void emptyingTheCacheDropsThePooledArraysAndPoolingGoesOn() {
        var backend = CpuBackend.withThreads(1);
        try {
            var a = backend.zeros(BIG);
            var b = backend.zeros(BIG);
            a.close();
            b.close();
            assertEquals(2 * BIG.size() * (long) Float.BYTES, backend.pooledBytes());
            backend.emptyCache();
            assertEquals(0, backend.pooledBytes());
            try (var c = backend.zeros(BIG)) {
                assertEquals(0, backend.pooledBytes(), "nothing pooled to recycle");
                assertEquals(0f, c.hostArray()[0]);
            }
            assertEquals(BIG.size() * (long) Float.BYTES, backend.pooledBytes(), "a tensor closed after it is pooled again");
        } finally {
            backend.close();
        }
    }

    @Test void aClosedPoolKeepsNothing() {
        var pool = new HostPool(1 << 20);
        var t = pool.tensor(BIG);
        pool.close();
        t.close();
        assertEquals(0, pool.pooledBytes());
    }

    /**
     * Threads sharing one backend allocate and close tensors of the same lengths at once: each
     * result must stay its own (a recycled array handed to two live tensors would mix them).
     */
    @Test void concurrentOpsNeverShareARecycledArray() throws Exception {
        var backend = CpuBackend.get();
        int threads = 4, rounds = 150;
        var inputs = new Tensor[threads];
        var expected = new float[threads][];
        for (int t = 0; t < threads; t++) {
            inputs[t] = Tensor.randn(100 + t, 0, 6, 1000);
            try (var y = backend.activationForward(Activation.TANH, inputs[t])) {
                expected[t] = y.toArray();
            }
        }
        var failures = new java.util.concurrent.ConcurrentLinkedQueue<String>();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int me = t;
            workers[t] = Thread.ofPlatform().start(() -> {
                for (int r = 0; r < rounds && failures.isEmpty(); r++) {
                    try (var y = backend.activationForward(Activation.TANH, inputs[me]);
                         var z = backend.activationForward(Activation.TANH, inputs[(me + 1) % threads])) {
                        Thread.yield(); // let the others allocate and close while y and z are live
                        if (!Arrays.equals(y.toArray(), expected[me])) failures.add("thread " + me + " round " + r + ": y changed");
                        if (!Arrays.equals(z.toArray(), expected[(me + 1) % threads])) failures.add("thread " + me + " round " + r + ": z changed");
                    }
                }
            });
        }
        for (var w : workers) w.join();
        for (var x : inputs) x.close();
        assertEquals(java.util.List.of(), java.util.List.copyOf(failures));
    }

    /** Every threading of the backend binds its pool around its ops, and closing it drops the arrays. */
    @Test void opsOfEveryBackendTakeFromItsPool() {
        try (var fj = new ForkJoinPool(2)) {
            for (var backend : new CpuBackend[] {CpuBackend.withThreads(1), CpuBackend.withThreads(2), CpuBackend.withPool(fj)}) {
                try (var x = Tensor.randn(1, 0, 8, 700)) {
                    var y = backend.activationForward(Activation.TANH, x);
                    float[] first = y.hostArray();
                    float[] expected = y.toArray();
                    y.close();
                    assertEquals(5600L * Float.BYTES, backend.pooledBytes(), backend.describe());
                    try (var again = backend.activationForward(Activation.TANH, x)) {
                        assertSame(first, again.hostArray(), backend.describe());
                        assertArrayEquals(expected, again.toArray(), backend.describe());
                    }
                    backend.close();
                    assertEquals(0, backend.pooledBytes(), "closed: " + backend.describe());
                }
            }
        }
    }
}
