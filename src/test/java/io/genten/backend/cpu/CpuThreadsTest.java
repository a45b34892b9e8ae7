package io.genten.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The CPU backend's thread setting: the ops run where asked, with the same bits. */
class CpuThreadsTest {
    private static float[] convAndLinear(CpuBackend b) {
        try (var scope = TensorScope.open()) {
            var x = b.randn(Shape.of(16, 8, 14, 14), 1, 0);
            var w = b.randn(Shape.of(16, 8, 5, 5), 2, 0);
            var y = b.conv2dForward(x, w, null, new Conv2dSpec(2, 2));
            var flat = y.reshape(16, -1);
            var fc = b.randn(Shape.of(300, flat.dim(1)), 3, 0);
            var linear = b.linearForward(flat, fc, null).toArray();
            var up = b.conv2dBackwardData(y, w, Shape.of(16, 8, 14, 14), new Conv2dSpec(2, 2)).toArray(); // a transposed conv
            var out = java.util.Arrays.copyOf(linear, linear.length + up.length);
            System.arraycopy(up, 0, out, linear.length, up.length);
            return out;
        }
    }

    @Test void everySettingGivesTheSameBits() {
        var expected = convAndLinear(CpuBackend.get());
        try (var one = CpuBackend.withThreads(1); var three = CpuBackend.withThreads(3)) {
            assertEquals(1, one.threads());
            assertEquals(3, three.threads());
            assertArrayEquals(expected, convAndLinear(one));
            assertArrayEquals(expected, convAndLinear(three));
        }
    }

    /** withThreads: the calling thread takes items itself, helpers take the rest, every item once; a helper's exception reaches the caller. */
    @Test void theCallerWorksBesideItsHelpers() {
        var helpers = new ForkJoinPool(2);
        try {
            int n = 64;
            var ran = new java.util.concurrent.atomic.AtomicIntegerArray(n);
            var threads = java.util.concurrent.ConcurrentHashMap.<Thread>newKeySet();
            var caller = Thread.currentThread();
            var helperStarted = new java.util.concurrent.CountDownLatch(1);
            // the caller waits (up to 10 s) for a helper to take an item, so that both surely work
            java.util.function.IntConsumer meet = i -> {
                if (Thread.currentThread() != caller) {
                    helperStarted.countDown();
                    long t = System.nanoTime();
                    while (System.nanoTime() - t < 1_000_000) Thread.onSpinWait(); // leave items to the caller
                    return;
                }
                try {
                    helperStarted.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    throw new IllegalStateException(ex);
                }
            };
            ScopedValue.where(Parallel.HELPERS, helpers).run(() -> {
                assertEquals(3, Parallel.threads());
                Parallel.forEach(n, 1_000_000, i -> {
                    ran.incrementAndGet(i);
                    threads.add(Thread.currentThread());
                    meet.accept(i);
                });
            });
            for (int i = 0; i < n; i++) assertEquals(1, ran.get(i), "item " + i);
            assertTrue(threads.contains(caller), "the caller ran items itself");
            assertTrue(threads.size() >= 2, "helpers ran items too: " + threads);
            // a fresh meeting: the caller's items wait (up to 10 s) until a helper has taken one and failed
            var helperFailed = new java.util.concurrent.CountDownLatch(1);
            var e = assertThrows(IllegalStateException.class, () -> ScopedValue.where(Parallel.HELPERS, helpers).run(() ->
                    Parallel.forEach(n, 1_000_000, i -> {
                        if (Thread.currentThread() != caller) {
                            helperFailed.countDown();
                            throw new IllegalStateException("item " + i + " failed on a helper");
                        }
                        try {
                            helperFailed.await(10, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (InterruptedException ex) {
                            throw new IllegalStateException(ex);
                        }
                    })));
            assertTrue(e.getMessage().contains("on a helper"), e.getMessage());
        } finally {
            helpers.shutdown();
        }
        try (var two = CpuBackend.withThreads(2)) {
            assertEquals(2, two.threads());
            assertTrue(two.describe().contains("the calling thread and 1 helper thread"), two.describe());
            assertArrayEquals(convAndLinear(CpuBackend.get()), convAndLinear(two));
        }
    }

    @Test void aGivenPoolRunsTheOps() {
        var made = new AtomicInteger();
        var pool = new ForkJoinPool(2, p -> {
            made.incrementAndGet();
            return ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
        }, null, false);
        try (var backend = CpuBackend.withPool(pool)) {
            assertArrayEquals(convAndLinear(CpuBackend.get()), convAndLinear(backend));
            assertTrue(made.get() >= 1, "the pool's threads ran the ops");
            assertTrue(backend.describe().contains("2 threads"), backend.describe());
            // errors come back as the op threw them
            var e = assertThrows(IllegalArgumentException.class, () -> backend.linearForward(Tensor.zeros(2, 3), Tensor.zeros(4, 5), null));
            assertTrue(e.getMessage().contains("linear"), e.getMessage());
        } finally {
            assertTrue(!pool.isShutdown(), "closing the backend leaves the caller's pool alone");
            pool.shutdown();
        }
    }

    @Test void singleThreadedMeansOneThread() {
        try (var one = CpuBackend.withThreads(1)) {
            assertTrue(one.describe().startsWith("cpu: 1 threads"), one.describe());
        }
        assertThrows(IllegalArgumentException.class, () -> CpuBackend.withThreads(0));
    }

    @Test void theBlasFallbackNamesTheRealCause() {
        var wrapped = new ExceptionInInitializerError(new IllegalCallerException("Illegal native access from an unnamed module"));
        var why = BlasFallback.explain(wrapped, "oneDNN");
        assertTrue(why.startsWith("IllegalCallerException: Illegal native access"), why);
        assertTrue(why.contains("--enable-native-access=ALL-UNNAMED"), why);
        var missing = BlasFallback.explain(new UnsatisfiedLinkError("no jniopenblas_nolapack in java.library.path"), "OpenBLAS");
        assertTrue(missing.contains("no jniopenblas_nolapack") && missing.contains("fix:") && missing.contains("org.bytedeco:openblas"), missing);
        var noDnnl = BlasFallback.explain(new UnsatisfiedLinkError("no libdnnl.so.3"), "oneDNN");
        assertTrue(noDnnl.contains("org.bytedeco:dnnl") && !noDnnl.contains("openblas"), noDnnl);
        var wrong = BlasFallback.explain(new Gemm.WrongResult("oneDNN computed a 3x4 by 4x5 product wrongly"), "oneDNN");
        assertTrue(wrong.contains("computed a 3x4 by 4x5 product wrongly") && wrong.contains("report the CPU")
                && !wrong.contains("class path"), wrong);
    }
}
