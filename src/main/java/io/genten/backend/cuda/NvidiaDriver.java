package io.genten.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Whether the NVIDIA driver's library can be loaded, asked before loading ours.
 *
 * <p>The CUDA runtime inside libgenten_cuda.so finds the driver by dlopen-ing {@code libcuda.so.1};
 * where that fails no device can be used whatever else is installed. Asking the dynamic linker the
 * same question first costs well under a millisecond, where loading our 6.5 MB library and asking
 * the runtime for devices cost 0.25-0.4 s of every CPU-only JVM's start (the default device
 * selection probes CUDA before the first CPU training step).
 */
final class NvidiaDriver {
    static final String LIBRARY = "libcuda.so.1";

    private NvidiaDriver() {}

    /**
     * Why there is no driver, or null when its library loads.
     *
     * @return the reason, or null
     */
    static String missing() {
        return missing(LIBRARY);
    }

    static String missing(String library) {
        try (var arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(library, arena); // dlopen, then dlclose with the arena: the runtime opens it again itself
            return null;
        } catch (IllegalArgumentException e) {
            return "no NVIDIA driver: the dynamic linker finds no " + library + " (" + e.getMessage() + "); check that an NVIDIA GPU"
                    + " and a driver for CUDA 13 are present (nvidia-smi), or run the kernels on the CPU emulator with -D"
                    + NativeLibrary.EMULATOR_PROPERTY + "=true";
        } catch (IllegalCallerException e) {
            return null; // native access denied: let loading our library report it, with the flag to add
        }
    }
}
