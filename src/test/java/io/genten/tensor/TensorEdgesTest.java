package io.genten.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A closed tensor's scalar read and a shape's axis bounds refuse with our messages, not the JVM's. */
class TensorEdgesTest {
    @Test void itemOfAClosedTensorSaysSo() {
        var t = Tensor.scalar(2.5f);
        assertEquals(2.5f, t.item());
        t.close();
        var e = assertThrows(IllegalStateException.class, t::item);
        assertTrue(e.getMessage().contains("used after close"), e.getMessage());
    }

    @Test void axesOutsideTheRankNameTheShape() {
        var s = Shape.of(2, 3);
        assertEquals(2, s.dim(0));
        assertEquals(3, s.dim(1));
        assertEquals(3, s.dim(-1));
        assertEquals(2, s.dim(-2));
        var e = assertThrows(IndexOutOfBoundsException.class, () -> s.dim(2));
        assertEquals("dim 2 of shape [2, 3]", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> s.dim(-3));
        assertEquals("dim -3 of shape [2, 3]", e.getMessage());
    }
}
