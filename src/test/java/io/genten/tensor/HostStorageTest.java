package io.genten.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/** Host storage hands its array to its free hook once, and refuses use after free. */
class HostStorageTest {
    @Test void freeHandsTheArrayToItsHookOnce() {
        var handed = new ArrayList<float[]>();
        float[] data = {1f, 2f, 3f};
        var s = new HostStorage(data, handed::add);
        assertSame(data, s.array());
        assertEquals(3, s.length());
        s.free();
        s.free();
        assertEquals(1, handed.size(), "a second free must not hand the array out again");
        assertSame(data, handed.get(0));
        assertEquals(0, s.length());
        assertThrows(IllegalStateException.class, s::array);
    }

    @Test void withoutAHookFreeOnlyForgetsTheArray() {
        var s = new HostStorage(new float[] {4f});
        s.free();
        assertThrows(IllegalStateException.class, s::array);
    }

    @Test void aTensorsCloseFreesItsStorageOnce() {
        var handed = new ArrayList<float[]>();
        var t = new Tensor(Shape.of(2), new HostStorage(new float[] {5f, 6f}, handed::add));
        t.close();
        t.close();
        assertEquals(1, handed.size());
    }
}
