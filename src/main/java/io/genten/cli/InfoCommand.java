package io.genten.cli;

import io.genten.backend.cpu.CpuBackend;
import io.genten.models.Checkpoint;
import picocli.CommandLine.Command;

/** {@code genten info}: which backends can run here, on what, and why one cannot. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the available backends and devices, or why one is unavailable.")
final class InfoCommand implements Runnable {
    @Override public void run() {
        System.out.println("genten " + Checkpoint.version());
        System.out.println("java   " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("cpu    available: " + CpuBackend.get().describe());
        System.out.println("cuda   " + Backends.cudaReport());
    }
}
