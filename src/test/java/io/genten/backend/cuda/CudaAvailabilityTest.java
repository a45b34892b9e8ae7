package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
        var s = NativeLibrary.locate(null, false, name -> null, "", NO_CACHE);
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
        }, "", NO_CACHE);
        assertEquals(java.util.List.of("/native/linux-x86_64/libgenten_cuda_emu.so"), asked);
        assertFalse(s.loaded());
        assertTrue(s.reason().contains("libgenten_cuda_emu.so") && s.reason().contains("emulator"), s.reason());
        var gpu = NativeLibrary.locate(null, false, name -> null, "", NO_CACHE);
        assertTrue(gpu.reason().contains("-D" + NativeLibrary.EMULATOR_PROPERTY + "=true"), "the GPU reason points at the emulator: " + gpu.reason());
    }

    @Test void explicitPathMustExist(@TempDir Path dir) {
        var missing = dir.resolve("nope.so").toString();
        var s = NativeLibrary.locate(missing, false, name -> null, "", NO_CACHE);
        assertFalse(s.loaded());
        assertTrue(s.reason().contains(missing), s.reason());
    }

    @Test void aBrokenLibraryIsReportedNotThrown(@TempDir Path dir) throws IOException {
        var fake = dir.resolve(System.mapLibraryName("genten_cuda"));
        Files.writeString(fake, "not an ELF file");
        var located = NativeLibrary.locate(null, false, name -> null, "/nonexistent" + java.io.File.pathSeparator + dir, NO_CACHE);
        assertEquals(fake.toAbsolutePath(), located.path());
        var loaded = NativeLibrary.load(located);
        assertFalse(loaded.loaded());
        assertTrue(loaded.reason().contains("cannot load " + fake.toAbsolutePath()), loaded.reason());
        var explicit = NativeLibrary.load(NativeLibrary.locate(fake.toString(), false, name -> null, "", NO_CACHE));
        assertFalse(explicit.loaded());
    }

    @Test void packedLibraryIsExtractedOnceIntoTheCacheAndReused(@TempDir Path dir) throws Exception {
        byte[] bytes = {1, 2, 3, 4, 5};
        var cache = dir.resolve("cache");
        var s = NativeLibrary.locate(null, false, name -> jarEntry(dir.resolve("a.jar"), name, bytes), "", cache);
        assertNotNull(s.path(), s.reason());
        assertTrue(s.path().startsWith(cache.resolve("native")), s.path().toString());
        assertEquals(System.mapLibraryName("genten_cuda"), s.path().getFileName().toString());
        assertArrayEquals(bytes, Files.readAllBytes(s.path()));
        assertFalse(NativeLibrary.load(s).loaded(), "five bytes are no library");
        var written = Files.getLastModifiedTime(s.path());
        Files.setLastModifiedTime(s.path(), java.nio.file.attribute.FileTime.fromMillis(written.toMillis() - 60_000));
        var before = Files.getLastModifiedTime(s.path());
        var again = NativeLibrary.locate(null, false, name -> jarEntry(dir.resolve("b.jar"), name, bytes), "", cache);
        assertEquals(s.path(), again.path(), "the same content from another jar: the same file");
        assertEquals(before, Files.getLastModifiedTime(again.path()), "reused, not written again");
        byte[] other = {9, 8, 7, 6, 5};
        var rebuilt = NativeLibrary.locate(null, false, name -> jarEntry(dir.resolve("c.jar"), name, other), "", cache);
        assertNotEquals(s.path(), rebuilt.path(), "another build never overwrites a file a running JVM may have mapped");
        assertArrayEquals(bytes, Files.readAllBytes(s.path()));
        assertArrayEquals(other, Files.readAllBytes(rebuilt.path()));
        try (var files = Files.walk(cache)) {
            assertEquals(0, files.filter(f -> f.toString().endsWith(".part")).count(), "no partial copies left");
        }
    }

    @Test void aTruncatedCopyInTheCacheIsReplaced(@TempDir Path dir) throws Exception {
        byte[] bytes = {1, 2, 3, 4, 5, 6, 7};
        var cache = dir.resolve("cache");
        var first = NativeLibrary.locate(null, false, name -> jarEntry(dir.resolve("a.jar"), name, bytes), "", cache);
        Files.write(first.path(), new byte[] {1, 2}); // a copy cut short by a full disk before this fix, say
        var second = NativeLibrary.locate(null, false, name -> jarEntry(dir.resolve("a.jar"), name, bytes), "", cache);
        assertEquals(first.path(), second.path());
        assertArrayEquals(bytes, Files.readAllBytes(second.path()));
    }

    @Test void aLibraryInAClassDirectoryIsUsedInPlace(@TempDir Path dir) throws Exception {
        var file = dir.resolve("libgenten_cuda.so");
        Files.write(file, new byte[] {1, 2, 3});
        var s = NativeLibrary.locate(null, false, name -> url(file), "", dir.resolve("cache"));
        assertEquals(file, s.path());
        assertFalse(Files.exists(dir.resolve("cache")), "nothing copied");
    }

    @Test void anUnwritableCacheIsReportedWithTheWayOut(@TempDir Path dir) throws Exception {
        var notADirectory = dir.resolve("file");
        Files.writeString(notADirectory, "x");
        var s = NativeLibrary.locate(null, false, name -> jarEntry(dir.resolve("a.jar"), name, new byte[] {1}), "", notADirectory);
        assertFalse(s.loaded());
        assertNull(s.path());
        assertTrue(s.reason().contains("cannot extract") && s.reason().contains("genten.cache.dir"), s.reason());
    }

    private static final Path NO_CACHE = Path.of("/nonexistent-genten-cache");

    /** A jar holding {@code bytes} at resource {@code name}, and the entry's jar: URL. */
    private static java.net.URL jarEntry(Path jar, String name, byte[] bytes) {
        try {
            try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
                out.putNextEntry(new java.util.jar.JarEntry(name.substring(1)));
                out.write(bytes);
                out.closeEntry();
            }
            return java.net.URI.create("jar:" + jar.toUri() + "!" + name).toURL();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static java.net.URL url(Path file) {
        try {
            return file.toUri().toURL();
        } catch (java.net.MalformedURLException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test void aMissingDriverIsNamedBeforeOurLibraryLoads() {
        String reason = NvidiaDriver.missing("libgenten-no-such-driver.so.1");
        assertNotNull(reason);
        assertTrue(reason.contains("libgenten-no-such-driver.so.1") && reason.contains(NativeLibrary.EMULATOR_PROPERTY), reason);
        assertNull(NvidiaDriver.missing("libc.so.6"), "a library the dynamic linker finds is a driver present");
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
