package io.genten.cli;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.backend.cuda.CudaAvailability;
import io.genten.backend.cuda.CudaBackend;
import io.genten.backend.cuda.CudaOptions;
import java.io.PrintStream;

/** Picks the backend a command runs on: never a silent fallback when the user asked for the GPU. */
final class Backends {
    private Backends() {}

    static String cudaReport() {
        return CudaAvailability.get().describe();
    }

    /** The backend for the options; logs the choice (and why the GPU was not taken) to {@code log}. */
    static Backend open(DeviceOptions options, PrintStream log) {
        var cuda = CudaAvailability.get();
        var choice = options.device;
        if (choice == DeviceOptions.DeviceChoice.CUDA && !cuda.available()) {
            throw new IllegalStateException("--device cuda: the CUDA backend is unavailable: " + cuda.reason());
        }
        if (choice == DeviceOptions.DeviceChoice.CPU || !cuda.available()) {
            if (choice == DeviceOptions.DeviceChoice.AUTO) log.println("device: cpu (GPU not used: " + cuda.reason() + ")");
            else log.println("device: cpu");
            log.println("backend: " + CpuBackend.get().describe());
            return CpuBackend.get();
        }
        var backend = new CudaBackend(new CudaOptions(0, options.math, options.conv, options.batchNorm));
        log.println("device: " + backend.device() + " (math " + options.math + ", conv " + options.conv + ", batchnorm " + options.batchNorm + ")");
        log.println("backend: " + backend.describe());
        return backend;
    }
}
