package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.genten.backend.AdamConfig;
import io.genten.backend.Checks;
import io.genten.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Adam over every parameter in one launch ({@code native/adam.cu}). Per parameter list (keyed by the device addresses, so a
 * table is valid exactly as long as its key matches), a device table of genten_adam_slot structs
 * and a device step counter are built once and cached. The kernel reads the step from the device
 * and genten_counter_add advances it after the launch, so a captured CUDA graph replays successive
 * steps. The host tracks the counter's value and rewrites it only when the caller's step differs
 * (which cannot happen during capture: then the step must be the one the counter already holds).
 */
final class CudaAdam implements AutoCloseable {
    /** genten_adam_slot: param, grad, m, v pointers and int64 n. */
    static final StructLayout SLOT = MemoryLayout.structLayout(
            ADDRESS.withName("param"), ADDRESS.withName("grad"), ADDRESS.withName("m"), ADDRESS.withName("v"),
            JAVA_LONG.withName("n"));
    private static final long UNKNOWN = -1;
    private static final int MAX_TABLES = 64;

    private record Key(long[] words) {
        @Override public boolean equals(Object o) { return o instanceof Key k && Arrays.equals(words, k.words); }
        @Override public int hashCode() { return Arrays.hashCode(words); }
    }

    private static final class Table {
        CachingAllocator.Block slots, step;
        int count;
        long maxN;
        long deviceStep = UNKNOWN;
        boolean pinned; // used by a captured graph: never evicted
    }

    private final CudaBackend backend;
    private final LinkedHashMap<Key, Table> tables = new LinkedHashMap<>(16, 0.75f, true);

    CudaAdam(CudaBackend backend) { this.backend = backend; }

    /** Backend.adamStep: the lists' lengths, devices and shapes checked, then one launch. */
    void step(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig c, long step) {
        String op = "adamStep";
        if (grads.size() != params.size() || m.size() != params.size() || v.size() != params.size()) {
            throw new IllegalArgumentException(op + ": " + params.size() + " params but " + grads.size() + " grads, " + m.size()
                    + " first and " + v.size() + " second moments");
        }
        if (step < 1) throw new IllegalArgumentException(op + ": step " + step + " must count from 1");
        for (var list : List.of(params, grads, m, v)) Checks.on(op, backend.device(), list.toArray(Tensor[]::new));
        for (int i = 0; i < params.size(); i++) {
            Checks.sameShape(op, params.get(i), grads.get(i));
            Checks.sameShape(op, params.get(i), m.get(i));
            Checks.sameShape(op, params.get(i), v.get(i));
        }
        if (params.isEmpty()) return;
        int count = params.size();
        var words = new long[count * 5];
        long maxN = 0;
        for (int i = 0; i < count; i++) {
            words[5 * i] = CudaBackend.address(params.get(i));
            words[5 * i + 1] = CudaBackend.address(grads.get(i));
            words[5 * i + 2] = CudaBackend.address(m.get(i));
            words[5 * i + 3] = CudaBackend.address(v.get(i));
            words[5 * i + 4] = params.get(i).numel();
            maxN = Math.max(maxN, params.get(i).numel());
        }
        if (maxN == 0) return; // only empty tensors: nothing to update (genten_adam_step rejects max_n = 0)
        var key = new Key(words);
        boolean capturing = backend.allocator().isCapturing();
        var table = tables.get(key);
        if (table == null) {
            if (capturing) {
                throw new IllegalStateException("adamStep: the parameter table is built on first use, which a CUDA graph "
                        + "capture cannot do; run the step eagerly once before capture");
            }
            table = build(words, count, maxN);
            tables.put(key, table);
            evict();
        }
        if (table.deviceStep != step) {
            if (capturing) {
                throw new IllegalStateException("adamStep: step " + step + " during CUDA graph capture but the device counter holds "
                        + (table.deviceStep == UNKNOWN ? "an unknown step" : table.deviceStep) + "; capture the step that follows the eager warm-up step");
            }
            writeStep(table, step);
        }
        table.pinned |= capturing;
        var stream = backend.stream();
        var stepPtr = MemorySegment.ofAddress(table.step.address());
        backend.check(Native.adamStep(MemorySegment.ofAddress(table.slots.address()), count, maxN, c.lr(), c.beta1(), c.beta2(),
                c.eps(), c.weightDecay(), c.decoupled() ? 1 : 0, stepPtr, stream), "adamStep", count + " parameters, max " + maxN + " values");
        backend.check(Native.counterAdd(stepPtr, 1, stream), "adamStep", "(step counter)");
        table.deviceStep = step + 1;
    }

    /** After a graph capture the replays advance the counters without the host: forget their values. */
    void forgetSteps() {
        for (var t : tables.values()) t.deviceStep = UNKNOWN;
    }

    private Table build(long[] words, int count, long maxN) {
        var t = new Table();
        t.count = count;
        t.maxN = maxN;
        // long-lived, built inside the first (warm-up) step: a cached block taken here would be missing from the capture's cache
        t.slots = backend.allocator().allocateLongLived(Math.max(1, count) * SLOT.byteSize());
        try (var arena = Arena.ofConfined()) {
            t.step = backend.allocator().allocateLongLived(8);
            var host = arena.allocate(SLOT, Math.max(1, count));
            for (int i = 0; i < count; i++) {
                long base = i * SLOT.byteSize();
                for (int j = 0; j < 4; j++) host.set(ADDRESS, base + 8L * j, MemorySegment.ofAddress(words[5 * i + j]));
                host.set(JAVA_LONG, base + 32, words[5 * i + 4]);
            }
            backend.check(Native.memcpyH2d(MemorySegment.ofAddress(t.slots.address()), host, count * SLOT.byteSize(), backend.stream()),
                    "adamStep", "(slot table of " + count + ")");
            backend.synchronize();
        } catch (RuntimeException | Error e) {
            // an out-of-memory or a failed copy must not leak the blocks of a table nobody will hold
            backend.allocator().release(t.slots);
            if (t.step != null) backend.allocator().release(t.step);
            throw e;
        }
        return t;
    }

    private void writeStep(Table t, long step) {
        try (var arena = Arena.ofConfined()) {
            var host = arena.allocate(JAVA_LONG);
            host.set(JAVA_LONG, 0, step);
            backend.check(Native.memcpyH2d(MemorySegment.ofAddress(t.step.address()), host, 8, backend.stream()), "adamStep", "(step)");
            backend.synchronize();
        }
        t.deviceStep = step;
    }

    private void evict() {
        Iterator<Table> it = tables.values().iterator();
        while (tables.size() > MAX_TABLES && it.hasNext()) {
            var t = it.next();
            if (t.pinned) continue;
            it.remove();
            free(t);
        }
    }

    private void free(Table t) {
        backend.allocator().release(t.slots);
        backend.allocator().release(t.step);
    }

    @Override public void close() {
        for (var t : tables.values()) free(t);
        tables.clear();
    }
}
