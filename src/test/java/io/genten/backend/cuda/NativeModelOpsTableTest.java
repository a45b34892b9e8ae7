package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The extra models' binding table ({@link NativeModelOps}) against its block of genten.h; no GPU needed. */
class NativeModelOpsTableTest {
    @Test void descriptorsMatchTheHeaderAndAreInTheSymbolList() throws IOException {
        var header = NativeSymbolsTest.header();
        for (var f : NativeModelOps.FUNCTIONS) {
            var sig = header.get(f.name());
            assertNotNull(sig, f.name() + " not declared in genten.h");
            assertEquals(sig.size(), 1 + f.descriptor().argumentLayouts().size(), f.name() + ": parameter count");
            assertTrue(Native.SYMBOLS.contains(f.name()), f.name() + " missing from Native.SYMBOLS");
        }
    }
}
