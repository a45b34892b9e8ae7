package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.LinearImpl;
import io.genten.backend.MathMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs everywhere: without library or GPU the backend must say why, never crash. */
class CudaAvailabilityTest {

    @Test void unavailableBackendExplainsItselfAndRefusesToStart() {
        var a = CudaAvailability.get();
        Assumptions.assumeFalse(a.available(), "CUDA is available here (" + a.describe() + "); the GPU tests cover it");
        assertNotNull(a.reason());
        assertFalse(a.reason().isBlank());
        assertTrue(a.describe().startsWith("cuda: unavailable: "), a.describe());
        var e = assertThrows(CudaUnavailableException.class, () -> new CudaBackend(CudaOptions.defaults()));
        assertTrue(e.getMessage().contains(a.reason()), e.getMessage());
        assertThrows(CudaUnavailableException.class, CudaBackend::create);
        assertEquals(a, CudaAvailability.get(), "computed once");
    }

    @Test void reasonNamesTheLibraryWhenItWasNotBuilt() {
        var s = NativeLibrary.locate(null, false, name -> null, "");
        assertNull(s.path());
        assertFalse(s.loaded());
        assertTrue(s.reason().contains("libgenten_cuda.so not built"), s.reason());
        assertTrue(s.reason().contains("genten.cuda.library"), s.reason());
        assertEquals(s, NativeLibrary.load(s));
    }

    @Test void theEmulatorIsLookedUpByItsOwnNameAndSaysHowToBuildIt() {
        var asked = new java.util.ArrayList<String>();
        var s = NativeLibrary.locate(null, true, name -> {
            asked.add(name);
            return null;
        }, "");
        assertEquals(java.util.List.of("/native/linux-x86_64/libgenten_cuda_emu.so"), asked);
        assertFalse(s.loaded());
        assertTrue(s.reason().contains("libgenten_cuda_emu.so") && s.reason().contains("emulator"), s.reason());
        var gpu = NativeLibrary.locate(null, false, name -> null, "");
        assertTrue(gpu.reason().contains("-D" + NativeLibrary.EMULATOR_PROPERTY + "=true"), "the GPU reason points at the emulator: " + gpu.reason());
    }

    @Test void explicitPathMustExist(@TempDir Path dir) {
        var missing = dir.resolve("nope.so").toString();
        var s = NativeLibrary.locate(missing, false, name -> null, "");
        assertFalse(s.loaded());
        assertTrue(s.reason().contains(missing), s.reason());
    }

    @Test void aBrokenLibraryIsReportedNotThrown(@TempDir Path dir) throws IOException {
        var fake = dir.resolve(System.mapLibraryName("genten_cuda"));
        Files.writeString(fake, "not an ELF file");
        var located = NativeLibrary.locate(null, false, name -> null, "/nonexistent" + java.io.File.pathSeparator + dir);
        assertEquals(fake.toAbsolutePath(), located.path());
        var loaded = NativeLibrary.load(located);
        assertFalse(loaded.loaded());
        assertTrue(loaded.reason().contains("cannot load " + fake.toAbsolutePath()), loaded.reason());
        var explicit = NativeLibrary.load(NativeLibrary.locate(fake.toString(), false, name -> null, ""));
        assertFalse(explicit.loaded());
    }

    @Test void packedLibraryIsExtractedToATemporaryFile() {
        var s = NativeLibrary.locate(null, false, name -> new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}), "");
        assertNotNull(s.path());
        assertTrue(Files.isRegularFile(s.path()));
        assertFalse(NativeLibrary.load(s).loaded(), "three bytes are no library");
    }

    @Test void optionsValidate() {
        assertThrows(IllegalArgumentException.class, () -> new CudaOptions(-1, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE));
        assertThrows(NullPointerException.class, () -> new CudaOptions(0, null, ConvImpl.NATIVE, BatchNormImpl.NATIVE));
        var o = CudaOptions.defaults().withMath(MathMode.TF32).withConv(ConvImpl.CUDNN).withBatchNorm(BatchNormImpl.CUDNN).withPoison(true);
        assertEquals(new CudaOptions(0, MathMode.TF32, ConvImpl.CUDNN, BatchNormImpl.CUDNN, true), o);
        assertTrue(o.usesNvidiaLibraries());
        assertFalse(CudaOptions.defaults().usesNvidiaLibraries(), "the defaults run our kernels only");
        assertEquals(LinearImpl.CUBLAS, CudaOptions.defaults().withLinear(LinearImpl.CUBLAS).linear());
    }

    @Test void versionsPrintAsCudaDoes() {
        assertEquals("13.0", CudaAvailability.version(13000));
        assertEquals("12.8", CudaAvailability.version(12080));
    }
}
