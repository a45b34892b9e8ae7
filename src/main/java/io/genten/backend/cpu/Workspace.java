package io.genten.backend.cpu;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Per-thread scratch arrays that the convolutions reuse from call to call: the unfolded columns,
 * the gathered output groups and the pixel unfolding's staging planes. Allocating them per call
 * was a fifth of a DCGAN training step's allocations on the CPU (tens of MB per step): fresh memory
 * for the JVM to zero and, early in a run, for the kernel to fault in, where a reused array is
 * already in the cache.
 *
 * <p>An array's old contents are arbitrary: every user writes what it reads (the code had already
 * reused these buffers from one image group to the next). An array stays valid until the same
 * thread asks for the same slot again, so one op body uses each slot once, and nothing outside the
 * body (another thread, a returned tensor) may hold it. Each thread keeps its largest request per
 * slot, a few MB at our model shapes; requests above {@link #MAX_CACHED} floats are allocated
 * fresh and not kept.
 *
 * <p>The arrays hang off the thread itself (a weak map from thread to arrays), not only off a
 * {@code ThreadLocal}: the common fork-join pool's workers, which run the shared backend's
 * chunks, have their thread locals erased each time they go idle, i.e. between ops, so a
 * thread-local workspace was allocated afresh by the worker in every conv op (25 MB per DCGAN-64
 * step, from memory new to the process in the first step).
 */
final class Workspace {
    private Workspace() {}

    /** What a scratch array is for: one array per slot and thread. */
    enum Slot {
        /** The unfolded input (im2col or by pixel) of one image group. */
        COLUMNS,
        /** One group's output or output gradient gathered as (channels, group * pixels). */
        GATHERED,
        /** {@link PixelUnfold}'s padded, phase-split image. */
        STAGE,
        /** {@link PixelUnfold}'s copy for {@link Aligned#add}. */
        ALIGNED,
        /**
         * The weight in {@link PixelUnfold}'s column order, packed by the thread that runs the op
         * and read by every chunk's thread until the op returns.
         */
        PACKED_WEIGHT
    }

    /** 64 MB: above this a request is allocated and dropped, not pinned to a thread. */
    static final int MAX_CACHED = 16 << 20;

    /** The fast path; erased on the common pool's workers between ops, then found again in {@link #BY_THREAD}. */
    private static final ThreadLocal<float[][]> ARRAYS = new ThreadLocal<>();
    /** Every thread's arrays, dropped with the thread. */
    private static final Map<Thread, float[][]> BY_THREAD = Collections.synchronizedMap(new WeakHashMap<>());

    private static float[][] arrays() {
        var arrays = ARRAYS.get();
        if (arrays == null) {
            arrays = BY_THREAD.computeIfAbsent(Thread.currentThread(), t -> new float[Slot.values().length][]);
            ARRAYS.set(arrays);
        }
        return arrays;
    }

    /**
     * At least {@code n} floats of this thread's array for {@code slot}, old contents arbitrary.
     *
     * @param slot what the array is for
     * @param n    the floats needed
     * @return an array of length >= n
     */
    static float[] floats(Slot slot, int n) {
        if (n > MAX_CACHED) return new float[n];
        var arrays = arrays();
        var a = arrays[slot.ordinal()];
        if (a == null || a.length < n) arrays[slot.ordinal()] = a = new float[n];
        return a;
    }

    /** Tests: fills this thread's cached arrays with NaN, so that any read of old contents shows. */
    static void poisonForTest() {
        for (var a : arrays()) if (a != null) java.util.Arrays.fill(a, Float.NaN);
    }
}
