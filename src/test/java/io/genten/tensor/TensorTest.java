package io.genten.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class TensorTest {
    private final CpuBackend cpu = CpuBackend.get();

    @Test
    void reshapeViewsShareStorage() {
        try (var t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
            var v = t.reshape(3, 2);
            assertTrue(v.isView());
            assertFalse(t.isView());
            assertEquals(Shape.of(3, 2), v.shape());
            v.hostArray()[4] = 50f;
            assertEquals(50f, t.toArray()[4], "a write through the view shows in the root");
            t.copyFrom(new float[] {9, 8, 7, 6, 5, 4});
            assertArrayEquals(new float[] {9, 8, 7, 6, 5, 4}, v.toArray());
            var flat = v.reshape(-1);
            assertEquals(Shape.of(6), flat.shape());
            assertEquals(Shape.of(2, 1, 3), t.reshape(2, -1, 3).shape());
            assertEquals(Shape.of(6, 1), t.reshape(Shape.of(6, 1)).shape());
        }
    }

    @Test
    void badReshapeThrows() {
        try (var t = Tensor.zeros(2, 3)) {
            assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
            assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1));
            assertThrows(IllegalArgumentException.class, () -> t.reshape(4, -1));
            assertThrows(IllegalArgumentException.class, () -> t.reshape(0, -1));
            assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
            assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -3));
        }
    }

    @Test
    void useAfterCloseThrows() {
        var t = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        var view = t.reshape(4);
        var scalar = Tensor.scalar(3f);
        assertEquals(3f, scalar.item());
        t.close();
        scalar.close();
        t.close(); // idempotent
        assertTrue(t.isClosed());
        assertTrue(view.isClosed(), "a view dies with its root");
        assertThrows(IllegalStateException.class, t::toArray);
        assertThrows(IllegalStateException.class, scalar::item);
        assertThrows(IllegalStateException.class, () -> t.reshape(4));
        assertThrows(IllegalStateException.class, view::toArray);
        assertThrows(IllegalStateException.class, view::hostArray);
        assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[4]));
        var ex = assertThrows(IllegalStateException.class, () -> cpu.activationForward(Activation.RELU, t));
        assertTrue(ex.getMessage().contains("activationForward"), ex.getMessage());
        assertThrows(IllegalStateException.class, () -> cpu.add(view, view));
        assertThrows(IllegalStateException.class, () -> cpu.mean(view));
        view.close(); // closing a view does nothing
    }

    @Test
    void closingAViewDoesNotFreeTheRoot() {
        try (var t = Tensor.full(2f, 3, 3)) {
            t.reshape(9).close();
            assertFalse(t.isClosed());
            assertEquals(18f, cpu.sum(t).item());
        }
    }

    @Test
    void scopeClosesWhatItCreatedAndKeepSurvives() {
        long live = Tensor.liveCount();
        Tensor kept;
        Tensor temp;
        try (var scope = TensorScope.open()) {
            temp = cpu.randn(Shape.of(3, 4), 1, 0);
            var y = cpu.activationForward(Activation.TANH, temp);
            kept = scope.keep(cpu.scale(y, 2f));
            assertEquals(2, scope.size());
        }
        assertTrue(temp.isClosed());
        assertFalse(kept.isClosed());
        assertEquals(live + 1, Tensor.liveCount());
        kept.close();
        assertEquals(live, Tensor.liveCount());
    }

    @Test
    void nestedScopes() {
        long live = Tensor.liveCount();
        try (var outer = TensorScope.open()) {
            var a = Tensor.zeros(2);
            Tensor b;
            Tensor promoted;
            try (var inner = TensorScope.open()) {
                b = Tensor.zeros(3);
                promoted = inner.keep(Tensor.zeros(4));
                assertEquals(1, inner.size(), "kept leaves the inner scope");
            }
            assertTrue(b.isClosed(), "the inner scope closes its own");
            assertFalse(a.isClosed(), "but not the outer scope's");
            assertFalse(promoted.isClosed(), "kept moves to the enclosing scope");
            assertEquals(2, outer.size());
            var c = Tensor.zeros(5);
            assertEquals(3, outer.size());
            outer.close();
            assertTrue(a.isClosed() && promoted.isClosed() && c.isClosed());
        }
        assertEquals(live, Tensor.liveCount());
    }

    @Test
    void keepingAViewKeepsItsOwner() {
        long live = Tensor.liveCount();
        try (var outer = TensorScope.open()) {
            Tensor view;
            try (var inner = TensorScope.open()) {
                var owner = Tensor.randn(3, 0, 2, 6);
                view = inner.keep(owner.reshape(Shape.of(3, 4)));
                assertEquals(0, inner.size(), "the owner leaves the inner scope with its view");
            }
            assertFalse(view.isClosed(), "a kept view outlives the inner scope");
            assertEquals(view.toArray().length, 12);
            assertEquals(1, outer.size());
        }
        assertEquals(live, Tensor.liveCount());
    }

    @Test
    void liveCountStaysFlatOverManySteps() {
        long live = Tensor.liveCount();
        var w = Tensor.randn(1, 0, 16, 8);
        for (int step = 0; step < 200; step++) {
            try (var scope = TensorScope.open()) {
                var x = cpu.randn(Shape.of(16, 8), 2, step);
                var y = cpu.activationForward(Activation.leakyRelu(0.2f), cpu.add(x, w));
                var loss = cpu.mse(y, x, io.genten.backend.Reduction.MEAN);
                var g = cpu.mseBackward(y, x, io.genten.backend.Reduction.MEAN, 1f);
                cpu.addInPlace(w, cpu.scale(g, -0.01f));
                assertTrue(Float.isFinite(loss.item()));
                var view = y.reshape(-1);
                assertEquals(128, view.numel());
            }
            assertEquals(live + 1, Tensor.liveCount(), "step " + step);
        }
        w.close();
        assertEquals(live, Tensor.liveCount());
    }
}
