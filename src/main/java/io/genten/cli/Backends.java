package io.genten.cli;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import java.io.PrintStream;

/** Picks the backend a command runs on (CPU only until the CUDA backend lands). */
final class Backends {
    private Backends() {}

    static String cudaReport() { return "cuda: unavailable: the CUDA backend is not part of this build yet"; }

    static Backend open(DeviceOptions options, PrintStream log) {
        if (options.device == DeviceOptions.DeviceChoice.CUDA) throw new IllegalStateException("--device cuda: " + cudaReport());
        log.println("device: cpu");
        log.println("backend: " + CpuBackend.get().describe());
        return CpuBackend.get();
    }
}
