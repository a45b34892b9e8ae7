package io.genten.cli;

import io.genten.DeviceSelection;
import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.backend.cuda.CudaAvailability;
import io.genten.backend.cuda.CudaOptions;
import java.io.PrintStream;

/** Picks the backend a command runs on: never a silent fallback when the user asked for the GPU. */
final class Backends {
    private Backends() {}

    static String cudaReport() {
        return CudaAvailability.get().describe();
    }

    /** The backend for the options (chosen by the library's {@link DeviceSelection}); logs the choice and why to {@code log}. */
    static Backend open(DeviceOptions options, PrintStream log) {
        var preference = switch (options.device) {
            case AUTO -> DeviceSelection.Preference.AUTO;
            case CPU -> DeviceSelection.Preference.CPU;
            case CUDA -> DeviceSelection.Preference.CUDA;
        };
        DeviceSelection.Selection selected;
        try {
            selected = DeviceSelection.open(preference, new CudaOptions(0, options.math, options.conv, options.batchNorm), CpuBackend.get());
        } catch (IllegalStateException e) {
            throw new IllegalStateException("--device cuda: the CUDA backend is unavailable: " + CudaAvailability.get().reason(), e);
        }
        log.println("device: " + selected.reason());
        log.println("backend: " + selected.backend().describe());
        return selected.backend();
    }
}
