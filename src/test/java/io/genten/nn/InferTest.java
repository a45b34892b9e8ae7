package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/** Module.infer: the eval-mode output, bitwise; nothing cached; intermediates freed; close frees the weights. */
class InferTest {
    private final Backend cpu = CpuBackend.get();

    /** A small classifier from our layers, with running statistics moved off their init (never test on zeros). */
    private Sequential classifier(long seed, boolean trailingFlatten) {
        var init = new Init(seed);
        var net = new Sequential(cpu)
                .add("conv", new Conv2d(cpu, 1, 4, 3, 2, 1, true, init))
                .add("bn", new BatchNorm2d(cpu, 4))
                .add("act", new LeakyReLU(cpu, 0.2f))
                .add("drop", new Dropout(cpu, 0.5f, 9))
                .add("up", new ConvTranspose2d(cpu, 4, 2, 3, 2, 1, 1, true, init))
                .add("tanh", new Tanh(cpu))
                .add("flat", new Flatten(cpu));
        if (!trailingFlatten) net.add("fc", new Linear(cpu, 2 * 8 * 8, 3, true, init)).add("bn1", new BatchNorm1d(cpu, 3));
        net.fuseActivations();
        try (var scope = TensorScope.open()) { // two training forwards: running statistics move
            net.forward(Tensor.randn(5, 0, 6, 1, 8, 8));
            net.forward(Tensor.randn(5, 1, 6, 1, 8, 8));
        }
        return net;
    }

    @Test void inferIsTheEvalForwardBitForBit() {
        for (boolean flat : new boolean[] {false, true}) {
            var net = classifier(3, flat);
            try (var scope = TensorScope.open()) {
                var x = Tensor.randn(7, 0, 4, 1, 8, 8);
                var inferred = net.infer(x).toArray(); // in training mode: infer ignores the mode
                assertTrue(net.isTraining());
                var evaluated = net.eval().forward(x).toArray();
                assertArrayEquals(evaluated, inferred);
                assertTrue(java.util.Arrays.stream(box(inferred)).anyMatch(v -> v != 0f));
            }
        }
    }

    @Test void inferCachesNothingAndChangesNoState() {
        var net = classifier(4, false);
        try (var scope = TensorScope.open()) {
            net.forward(Tensor.randn(8, 9, 6, 1, 8, 8));
            var before = snapshot(net);
            net.infer(Tensor.randn(8, 0, 4, 1, 8, 8));
            // backward still refers to the training forward (batch 6), not to the inference (batch 4)
            assertEquals(6, net.backward(Tensor.randn(8, 1, 6, 3)).dim(0));
            var fresh = classifier(4, false);
            var freshNet = new Sequential(cpu).add("fc", new Linear(cpu, 3, 2, true, new Init(1)));
            freshNet.infer(Tensor.randn(8, 2, 4, 3));
            var e = assertThrows(IllegalStateException.class, () -> freshNet.backward(Tensor.randn(8, 1, 4, 2)));
            assertTrue(e.getMessage().contains("without a training-mode forward"), e.getMessage());
            fresh.close();
            var after = snapshot(net);
            before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k)); // running statistics untouched by infer
        }
    }

    @Test void inferLeavesOnlyItsOutput() {
        for (boolean flat : new boolean[] {false, true}) {
            var net = classifier(5, flat);
            try (var x = Tensor.randn(1, 0, 4, 1, 8, 8)) {
                long live = Tensor.liveCount();
                var y = net.infer(x);
                assertEquals(live + 1, Tensor.liveCount(), "intermediates of infer must be freed (flatten=" + flat + ")");
                assertFalse(y.isView(), "a trailing view is returned as a copy that close frees");
                y.close();
                assertEquals(live, Tensor.liveCount());
                assertFalse(x.isClosed());
            }
        }
    }

    @Test void closeFreesEveryParameterAndBuffer() {
        var net = classifier(6, false);
        var state = net.stateDict();
        net.close();
        state.forEach((k, t) -> assertTrue(t.isClosed(), k));
        net.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> net.infer(Tensor.randn(1, 0, 1, 1, 8, 8)));
    }

    @Test void aModuleWithoutInferenceSaysSo() {
        var custom = new Module(cpu) {
            @Override public Tensor forward(Tensor x) { return x; }
            @Override public Tensor backward(Tensor dy) { return dy; }
        };
        var e = assertThrows(UnsupportedOperationException.class, () -> custom.infer(Tensor.scalar(1f)));
        assertTrue(e.getMessage().contains("override Module.infer"), e.getMessage());
    }

    private static java.util.Map<String, float[]> snapshot(Module m) {
        var out = new java.util.HashMap<String, float[]>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toArray()));
        return out;
    }

    private static Float[] box(float[] a) {
        var out = new Float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }
}
