package io.genten.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.ArrayList;

/**
 * Finds and loads {@code libgenten_cuda.so}, or with {@code -Dgenten.cuda.emulator=true} its SIMT
 * emulator build {@code libgenten_cuda_emu.so} (the same kernels and C ABI, run on the CPU). Search
 * order: the system property {@code genten.cuda.library} (either build: the library itself says
 * whether it is emulated); the copy packed into the jar under {@value #RESOURCE_DIR} (extracted once
 * into a cache directory shared by later JVMs, see {@link NativeCache}); the library's file name in each {@code java.library.path} directory. Nothing
 * here throws at class initialization: the outcome is a {@link Status} value.
 */
public final class NativeLibrary {
    static final String RESOURCE_DIR = "/native/linux-x86_64/";
    static final String PROPERTY = "genten.cuda.library";
    /** Selects the emulator build of the library (when {@value #PROPERTY} names no file). */
    public static final String EMULATOR_PROPERTY = "genten.cuda.emulator";

    private NativeLibrary() {}

    /**
     * Where the library was found (path non-null) or why not (reason non-null); lookup is set when it loaded.
     *
     * @param path   the library's path, or null
     * @param lookup its symbols, or null when it did not load
     * @param reason why it did not load, or null
     */
    public record Status(Path path, SymbolLookup lookup, String reason) {
        /**
         * Whether the library loaded.
         *
         * @return true when the symbols can be looked up
         */
        public boolean loaded() { return lookup != null; }
    }

    private static final class Holder {
        static final Status STATUS = load(locate(System.getProperty(PROPERTY), emulatorRequested(),
                NativeLibrary.class::getResource, System.getProperty("java.library.path", ""), NativeCache.defaultDirectory()));
    }

    /**
     * Whether {@code -Dgenten.cuda.emulator=true} asks for the emulator build.
     *
     * @return true when the property is set
     */
    public static boolean emulatorRequested() { return Boolean.getBoolean(EMULATOR_PROPERTY); }

    /** {@code -Dgenten.cuda.library}, or null when it is unset or blank. */
    static String explicitPath() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? null : p;
    }

    /**
     * The process-wide outcome, computed on first use.
     *
     * @return the status
     */
    public static Status status() { return Holder.STATUS; }

    /** The symbols of the loaded library, or a {@link CudaUnavailableException} saying why there are none. */
    static SymbolLookup require() {
        var s = status();
        if (!s.loaded()) throw new CudaUnavailableException(s.reason());
        return s.lookup();
    }

    /**
     * Finds the library file without loading it: a Status with a path, or with the reason it is
     * missing. Pure apart from extracting the jar's copy; tests call it with their own arguments.
     */
    static Status locate(String explicitPath, boolean emulator, Function<String, URL> resources, String libraryPath, Path cache) {
        if (explicitPath != null && !explicitPath.isBlank()) {
            var p = Path.of(explicitPath);
            if (!Files.isRegularFile(p)) {
                return new Status(null, null, "-D" + PROPERTY + "=" + explicitPath + " does not name a file");
            }
            return new Status(p.toAbsolutePath(), null, null);
        }
        String name = emulator ? "genten_cuda_emu" : "genten_cuda";
        String resource = RESOURCE_DIR + System.mapLibraryName(name);
        var searched = new ArrayList<String>();
        searched.add("classpath:" + resource);
        URL packed = resources.apply(resource);
        if (packed != null) {
            try {
                return new Status(NativeCache.extract(packed, System.mapLibraryName(name), cache), null, null);
            } catch (IOException e) {
                return new Status(null, null, "cannot extract " + resource + " from the jar into " + cache + ": " + e
                        + " (set -D" + NativeCache.PROPERTY + " to a writable directory)");
            }
        }
        String file = System.mapLibraryName(name);
        for (String dir : libraryPath.split(File.pathSeparator)) {
            if (dir.isBlank()) continue;
            var p = Path.of(dir, file);
            searched.add(p.toString());
            if (Files.isRegularFile(p)) return new Status(p.toAbsolutePath(), null, null);
        }
        if (emulator) {
            return new Status(null, null, "libgenten_cuda_emu.so (the CUDA kernels on the CPU emulator) not built (cmake or a"
                    + " C++17 compiler absent at build time) / not found at " + String.join(", ", searched)
                    + "; build it with ./mvnw package on a machine with cmake and g++");
        }
        return new Status(null, null, "libgenten_cuda.so not built (nvcc absent at build time) / not found at "
                + String.join(", ", searched) + "; build it on a machine with nvcc (./mvnw package), point -D"
                + PROPERTY + "=/path/libgenten_cuda.so at your own build, or run the kernels on the CPU emulator with -D"
                + EMULATOR_PROPERTY + "=true");
    }

    /** dlopens a located library into the global arena (it stays loaded for the life of the JVM). */
    static Status load(Status located) {
        if (located.path() == null) return located;
        try {
            var lookup = SymbolLookup.libraryLookup(located.path(), Arena.global());
            return new Status(located.path(), lookup, null);
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return new Status(located.path(), null, "cannot load " + located.path() + ": " + e.getMessage()
                    + (e instanceof IllegalCallerException ? " (run with --enable-native-access=ALL-UNNAMED)" : ""));
        }
    }

}
