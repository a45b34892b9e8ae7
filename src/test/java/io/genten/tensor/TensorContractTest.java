package io.genten.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Shape, Device and Tensor's own contract: sizes, indexing, views, use after close, freeing. */
class TensorContractTest {
    @Test void shapeSizesAndIndexing() {
        var s = Shape.of(2, 3, 5);
        assertEquals(3, s.rank());
        assertEquals(30, s.numel());
        assertEquals(30, s.size());
        assertEquals(15, s.sampleSize());
        assertEquals(2, s.dim(0));
        assertEquals(5, s.dim(2));
        assertEquals(5, s.dim(-1));
        assertEquals(2, s.dim(-3));
        assertThrows(IndexOutOfBoundsException.class, () -> s.dim(3));
        assertThrows(IndexOutOfBoundsException.class, () -> s.dim(-4));
        assertEquals(Shape.of(7, 3, 5), s.withBatch(7));
        assertEquals(Shape.of(2, 3, 5), s, "withBatch leaves the original");
        assertEquals("[2, 3, 5]", s.toString());
        assertEquals(1, Shape.of(4).sampleSize());
        assertEquals(0, Shape.scalar().rank());
        assertEquals(1, Shape.scalar().numel());
        // zero is a valid dimension, negative is not; the size limit is inclusive
        assertEquals(0, Shape.of(0, 3).numel());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        assertEquals(Integer.MAX_VALUE, Shape.of(Integer.MAX_VALUE).size());
        assertThrows(IllegalStateException.class, () -> Shape.of(Integer.MAX_VALUE, 2).size());
        assertThrows(ArithmeticException.class, () -> Shape.of(1 << 30, 1 << 30, 1 << 30));
        int[] dims = {4, 5};
        var t = Shape.of(dims);
        dims[0] = 9;
        assertEquals(4, t.dim(0), "Shape.of copies its argument");
        t.dims()[1] = 9;
        assertEquals(5, t.dim(1), "dims() returns a copy");
    }

    @Test void shapeEquality() {
        assertEquals(Shape.of(2, 3), Shape.of(2, 3));
        assertEquals(Shape.of(2, 3).hashCode(), Shape.of(2, 3).hashCode());
        assertNotEquals(Shape.of(2, 3), Shape.of(3, 2));
        assertNotEquals(Shape.of(2, 3), Shape.of(2, 3, 1));
        assertNotEquals(Shape.of(6), (Object) "[6]");
        assertNotEquals(Shape.of(2, 3).hashCode(), Shape.of(3, 2).hashCode());
    }

    @Test void devices() {
        assertEquals("cpu", Device.CPU.toString());
        assertEquals("cuda:1", Device.cuda(1).toString());
        assertTrue(Device.cuda(0).isCuda());
        assertFalse(Device.CPU.isCuda());
        assertEquals(new Device(Device.Kind.CUDA, 2), Device.cuda(2));
    }

    @Test void constructorsCheckTheirSizes() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(new float[7], Shape.of(2, 3)));
        assertThrows(IllegalArgumentException.class, () -> new Tensor(Shape.of(2, 3), new HostStorage(new float[5])));
        try (var t = new Tensor(Shape.of(2, 3), new HostStorage(new float[6]))) {
            assertEquals(Shape.of(2, 3), t.shape());
            assertEquals(2, t.rank());
            assertEquals(3, t.dim(1));
            assertEquals(6, t.numel());
            assertEquals(Device.CPU, t.device());
        }
        float[] data = {1, 2, 3};
        try (var wrapped = Tensor.wrap(data, Shape.of(3)); var copied = Tensor.of(data, 3)) {
            data[0] = 9;
            assertEquals(9, wrapped.toArray()[0], "wrap takes the array");
            assertEquals(1, copied.toArray()[0], "of copies it");
        }
        try (var u = Tensor.rand(5, 2, 3, 7)) {
            var want = new float[21];
            Philox.fillUniform(5, 2, want);
            assertArrayEquals(want, u.toArray());
        }
        try (var f = Tensor.full(2.5f, 2, 2); var z = Tensor.zeros(3); var s = Tensor.scalar(-4f)) {
            assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f}, f.toArray());
            assertArrayEquals(new float[3], z.toArray());
            assertEquals(-4f, s.item());
        }
    }

    @Test void reshapeInfersOneDimensionAndSharesStorage() {
        try (var t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
            var v = t.reshape(3, -1);
            assertEquals(Shape.of(3, 2), v.shape());
            assertTrue(v.isView());
            assertFalse(t.isView());
            v.copyFrom(new float[] {6, 5, 4, 3, 2, 1});
            assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, t.toArray());
            assertEquals(Shape.of(6), t.reshape(-1).shape());
            assertEquals(Shape.of(1, 6), t.reshape(Shape.of(1, 6)).shape());
            var e = assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1));
            assertTrue(e.getMessage().contains("more than one -1"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.reshape(4, -1));
            assertTrue(e.getMessage().contains("cannot infer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.reshape(0, -1));
            assertTrue(e.getMessage().contains("cannot infer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
            assertTrue(e.getMessage().contains("element counts differ"), e.getMessage());
            v.close(); // a view's close does nothing
            assertFalse(t.isClosed());
            assertEquals(6f, t.toArray()[0]);
            t.close();
            assertTrue(v.isClosed(), "a view dies with its owner");
        }
    }

    @Test void everyAccessAfterCloseThrowsAndTheMemoryIsFreed() {
        long live = Tensor.liveCount();
        var t = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertEquals(live + 1, Tensor.liveCount());
        var storage = t.storage();
        t.close();
        assertEquals(live, Tensor.liveCount());
        t.close(); // idempotent
        assertEquals(live, Tensor.liveCount());
        assertTrue(t.isClosed());
        assertTrue(t.toString().contains("(closed)"), t.toString());
        assertThrows(IllegalStateException.class, () -> storage.read(0, new float[1], 0, 1), "the storage was freed");
        Executable[] uses = {t::toArray, t::hostArray, t::storage, t::checkOpen, () -> t.copyFrom(new float[4]),
            () -> t.reshape(4)};
        for (int i = 0; i < uses.length; i++) {
            var e = assertThrows(IllegalStateException.class, uses[i], "use " + i + " after close");
            assertTrue(e.getMessage().contains("after close"), e.getMessage());
        }
        var one = Tensor.scalar(3f);
        one.close();
        assertThrows(IllegalStateException.class, one::item);
        try (var open = Tensor.zeros(2)) {
            assertFalse(open.toString().contains("closed"), open.toString());
            assertTrue(open.toString().contains("[2]") && open.toString().contains("cpu"), open.toString());
            assertThrows(IllegalArgumentException.class, open::item);
            assertThrows(IllegalArgumentException.class, () -> open.copyFrom(new float[3]));
        }
    }

    @Test void allocationSitesAreRecordedOnlyWhenAsked() {
        // the suite runs without -Dgenten.debug.alloc: nothing may be recorded (it would keep every tensor alive)
        if (Boolean.getBoolean("genten.debug.alloc")) return;
        try (var t = Tensor.zeros(3)) {
            assertTrue(Tensor.liveAllocationSites().isEmpty());
        }
    }

    @Test void scopesCloseWhatTheyOwnAndForgetIt() {
        Tensor a, b;
        var scope = TensorScope.open();
        a = Tensor.zeros(2);
        b = Tensor.zeros(3);
        assertEquals(2, scope.size());
        scope.close();
        assertTrue(a.isClosed() && b.isClosed());
        assertEquals(0, scope.size(), "a closed scope holds nothing");
        scope.close(); // idempotent
    }
}
