package example;

import io.genten.DeviceSelection;
import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.models.Checkpoint;
import io.genten.models.ConvVae;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What an embedding application does: load a VAE trained by {@code genten train vae}, encode and
 * decode the 10,000 embedded digits (reconstruct: decode(mu(x))) from one thread, then from 4
 * threads sharing the one model, and check that
 * <ul>
 *   <li>the 4-thread results are bitwise those of the single thread,</li>
 *   <li>memory stays flat over repeated rounds: no live tensor is left and the heap after a GC
 *       does not grow.</li>
 * </ul>
 * Prints images/s. Exits 1 on any failure.
 *
 * <p>Usage: {@code EmbedderCheck <vae.safetensors> [threads=4] [rounds=5] [batch=100]}
 */
public final class EmbedderCheck {
    private static final int PIXELS = 28 * 28;

    public static void main(String[] args) throws Exception {
        if (args.length < 1) throw new IllegalArgumentException("usage: EmbedderCheck <vae.safetensors> [threads] [rounds] [batch]");
        Path checkpoint = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 100;

        var selected = DeviceSelection.open(DeviceSelection.Preference.AUTO);
        System.out.println("device: " + selected.reason());
        System.out.println("backend: " + selected.backend().describe());
        var loaded = Checkpoint.load(checkpoint, selected.backend());
        System.out.println("checkpoint: " + checkpoint + " " + loaded.metadata());
        float[] digits = Datasets.embedded(Scaling.UNIT).images();
        int n = digits.length / PIXELS;

        boolean ok = true;
        try (var vae = (ConvVae) loaded.model()) {
            long liveBefore = Tensor.liveCount();
            // one thread: the reference
            long t0 = System.nanoTime();
            float[] reference = run(vae, digits, n, batch, 1);
            double single = n / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("1 thread:  %,d digits encoded and decoded, %.0f images/s%n", n, single);

            long[] heapAfterRound = new long[rounds];
            double best = 0;
            for (int r = 0; r < rounds; r++) {
                long t = System.nanoTime();
                float[] shared = run(vae, digits, n, batch, threads);
                double rate = n / ((System.nanoTime() - t) / 1e9);
                best = Math.max(best, rate);
                int differ = countBitDifferences(reference, shared);
                // the CPU backend keeps closed tensors' arrays for reuse (a bounded cache, whose size
                // follows how many batches the threads had in flight at once): a leak is what stays
                // after the cache is emptied
                selected.backend().emptyCache();
                heapAfterRound[r] = usedHeapAfterGc();
                long live = Tensor.liveCount() - liveBefore;
                System.out.printf("%d threads, round %d: %.0f images/s, %d of %,d values differ from 1 thread, live tensors %+d, heap after GC %.1f MB%n",
                        threads, r + 1, rate, differ, reference.length, live, heapAfterRound[r] / 1e6);
                if (differ != 0) ok = fail("results of " + threads + " threads differ from 1 thread in " + differ + " values");
                if (live != 0) ok = fail(live + " tensors left alive after round " + (r + 1));
            }
            long growth = heapAfterRound[rounds - 1] - heapAfterRound[0];
            System.out.printf("heap growth from round 1 to %d: %+.1f MB%n", rounds, growth / 1e6);
            if (growth > 16_000_000) ok = fail("heap grew by " + growth / 1e6 + " MB over " + rounds + " rounds");
            System.out.printf("summary: %,d digits, batch %d: 1 thread %.0f images/s, %d threads sharing one model %.0f images/s (best round), bitwise equal: %s%n",
                    n, batch, single, threads, best, ok);
        }
        selected.backend().close();
        if (!ok) System.exit(1);
        System.out.println("embedder check: OK");
    }

    /** Reconstructs all n digits in batches, the batches taken by {@code threads} threads; returns every output value. */
    private static float[] run(ConvVae vae, float[] digits, int n, int batch, int threads) throws Exception {
        float[] out = new float[n * PIXELS];
        var next = new AtomicInteger();
        Runnable worker = () -> {
            for (int b; (b = next.getAndIncrement()) * batch < n; ) {
                int from = b * batch, count = Math.min(batch, n - from);
                float[] slice = java.util.Arrays.copyOfRange(digits, from * PIXELS, (from + count) * PIXELS);
                try (var x = Tensor.wrap(slice, Shape.of(count, 1, 28, 28));
                     var code = vae.encode(x);
                     var images = vae.decode(code.mu())) {
                    System.arraycopy(images.toArray(), 0, out, from * PIXELS, count * PIXELS);
                }
            }
        };
        if (threads == 1) {
            worker.run();
            return out;
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) futures.add(pool.submit(worker));
            for (var f : futures) f.get();
        }
        return out;
    }

    private static int countBitDifferences(float[] a, float[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) d++;
        return d;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        var rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static boolean fail(String why) {
        System.out.println("FAIL: " + why);
        return false;
    }
}
