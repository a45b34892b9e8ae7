package io.genten;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.backend.cuda.CudaAvailability;
import io.genten.backend.cuda.CudaBackend;
import io.genten.backend.cuda.CudaOptions;

/**
 * Picks the backend to run on, and says why: {@code AUTO} takes the GPU when the CUDA backend is
 * usable and otherwise the CPU, naming what made the GPU unusable; {@code CUDA} fails loudly
 * instead of falling back. The choice is logged on the {@code io.genten} logger ({@link System.Logger}):
 * at INFO, or at WARNING when AUTO falls back although a CUDA library is present (a driver, device
 * or cuBLAS problem: a silent slowdown otherwise). The command line's {@code --device} uses this class.
 *
 * <pre>{@code
 * var selected = DeviceSelection.open(DeviceSelection.Preference.AUTO);
 * System.out.println(selected.reason());   // "cpu (GPU not used: no libgenten_cuda.so ...)"
 * try (var backend = selected.backend()) { ... }
 * }</pre>
 */
public final class DeviceSelection {
    private static final System.Logger LOG = System.getLogger("io.genten");

    private DeviceSelection() {}

    /** What the caller asks for. */
    public enum Preference {
        /** The GPU when usable, else the CPU (with the reason). */
        AUTO,
        /** The CPU backend, even where a GPU is usable. */
        CPU,
        /** The GPU, or an {@link IllegalStateException} saying why it is unusable. */
        CUDA
    }

    /**
     * The chosen backend and why.
     *
     * @param backend the backend to run on; close it when done (closing the shared CPU backend does nothing)
     * @param reason  one line: the device and, for AUTO on the CPU, why the GPU was not used
     */
    public record Selection(Backend backend, String reason) {}

    /**
     * {@link #open(Preference, CudaOptions, CpuBackend)} with default CUDA options (device 0,
     * strict FP32, our kernels) and the shared CPU backend.
     *
     * @param preference AUTO, CPU or CUDA
     * @return the backend and the reason for the choice
     * @throws IllegalStateException for {@code CUDA} when the CUDA backend is unusable here
     */
    public static Selection open(Preference preference) {
        return open(preference, CudaOptions.defaults(), CpuBackend.get());
    }

    /**
     * Opens the backend for {@code preference}.
     *
     * @param preference AUTO, CPU or CUDA
     * @param cuda       the CUDA backend's options, used when the GPU is chosen
     * @param cpu        the CPU backend to use when the CPU is chosen (e.g. one with its own thread pool)
     * @return the backend and the reason for the choice
     * @throws IllegalStateException for {@code CUDA} when the CUDA backend is unusable here
     */
    public static Selection open(Preference preference, CudaOptions cuda, CpuBackend cpu) {
        if (preference == null || cuda == null || cpu == null) throw new IllegalArgumentException("DeviceSelection.open: null argument");
        var availability = CudaAvailability.get();
        if (preference == Preference.CUDA && !availability.available()) {
            throw new IllegalStateException("device cuda requested but the CUDA backend is unavailable: " + availability.reason());
        }
        Selection selection;
        if (preference == Preference.CPU) {
            selection = new Selection(cpu, "cpu (requested)");
        } else if (!availability.available()) {
            selection = new Selection(cpu, "cpu (GPU not used: " + availability.reason() + ")");
        } else {
            var backend = new CudaBackend(cuda);
            selection = new Selection(backend, backend.device() + " (" + (preference == Preference.AUTO ? "usable GPU found; " : "requested; ")
                    + (availability.emulated() ? "EMULATED on the CPU (-Dgenten.cuda.emulator); " : "")
                    + "math " + cuda.math() + ", conv " + cuda.conv() + ", batchnorm " + cuda.batchNorm() + ", linear " + cuda.linear() + ")");
        }
        // a CUDA library that is there but cannot run (driver, device, cuBLAS) is a silent slowdown: warn;
        // a build without one (no nvcc) is the ordinary CPU-only case: inform
        var level = preference == Preference.AUTO && !availability.available() && availability.libraryPath() != null
                ? System.Logger.Level.WARNING : System.Logger.Level.INFO;
        LOG.log(level, () -> "device " + selection.reason() + "; backend " + selection.backend().describe());
        return selection;
    }
}
