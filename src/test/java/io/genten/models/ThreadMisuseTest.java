package io.genten.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Sharing a model's training between threads fails fast with an IllegalStateException that says so, and spoils nothing. */
class ThreadMisuseTest {
    private final CpuBackend cpu = CpuBackend.get();

    @Test void aSecondThreadSteppingWhileTheFirstIsInsideIsRefusedAndChangesNothing() throws Exception {
        var vae = new ConvVae(cpu, 4);
        try (var trainer = new VaeTrainer(vae); var images = Tensor.rand(1, 0, 4, 1, 28, 28)) {
            var before = new LinkedHashMap<String, float[]>();
            vae.stateDict().forEach((k, v) -> before.put(k, v.toArray()));
            var inside = new CountDownLatch(1);
            var release = new CountDownLatch(1);
            var holder = Thread.ofPlatform().name("trainer-thread").start(() -> {
                try (var use = vae.trainingUse.enter()) { // as a step in progress does
                    inside.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            inside.await();
            var e = assertThrows(IllegalStateException.class, () -> trainer.step(images));
            assertTrue(e.getMessage().contains("ConvVae is in use by thread \"trainer-thread\"") && e.getMessage().contains("not thread-safe"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> trainer.stepOnDevice(images));
            try (var other = new VaeTrainer(vae)) {
                assertThrows(IllegalStateException.class, () -> other.step(images), "a second trainer of the same model too");
            }
            vae.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k), v.toArray(), k));
            assertEquals(0, trainer.stepCount());
            release.countDown();
            holder.join();
            assertDoesNotThrow(() -> trainer.step(images), "free once the other thread left");
            assertEquals(1, trainer.stepCount());
        }
    }

    @Test void ganStepsFromTwoThreadsNeverBothRunAtOnce() throws Exception {
        var gan = new Dcgan(cpu, 2);
        try (var trainer = new GanTrainer(gan, 3); var images = Tensor.rand(5, 0, 2, 1, 28, 28)) {
            var refused = new AtomicInteger();
            var unexpected = new AtomicReference<Throwable>();
            var start = new CountDownLatch(1);
            Runnable steps = () -> {
                try {
                    start.await();
                    for (int i = 0; i < 6; i++) {
                        try {
                            trainer.step(images);
                        } catch (IllegalStateException e) {
                            if (!e.getMessage().contains("not thread-safe")) throw e;
                            refused.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    unexpected.set(t);
                }
            };
            var a = Thread.ofPlatform().start(steps);
            var b = Thread.ofPlatform().start(steps);
            start.countDown();
            a.join();
            b.join();
            if (unexpected.get() != null) throw new AssertionError("a misleading failure instead of the guard's", unexpected.get());
            assertEquals(12 - refused.get(), trainer.stepCount(), "every step that ran counted once");
        }
    }

    @Test void theOwningThreadMayReenter() {
        var guard = new InUse("thing");
        try (var outer = guard.enter(); var inner = guard.enter()) {
            assertTrue(outer == inner);
        }
        var other = new AtomicReference<Throwable>();
        var t = Thread.ofPlatform().start(() -> {
            try (var u = guard.enter()) {
                // free after the nested exits
            } catch (Throwable e) {
                other.set(e);
            }
        });
        assertDoesNotThrow(() -> t.join());
        assertEquals(null, other.get());
    }
}
