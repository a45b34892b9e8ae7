package io.genten;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.genten.backend.cpu.CpuBackend;
import io.genten.backend.cuda.CudaAvailability;
import io.genten.backend.cuda.CudaOptions;
import org.junit.jupiter.api.Test;

/** Public device selection: the CPU when asked, AUTO with the reason, CUDA loudly or not at all. */
class DeviceSelectionTest {
    @Test void cpuWhenAsked() {
        try (var cpu = CpuBackend.withThreads(1)) {
            var s = DeviceSelection.open(DeviceSelection.Preference.CPU, CudaOptions.defaults(), cpu);
            assertSame(cpu, s.backend());
            assertTrue(s.reason().startsWith("cpu"), s.reason());
        }
    }

    @Test void autoWithoutAGpuSaysWhy() {
        var cuda = CudaAvailability.get();
        assumeFalse(cuda.available(), "a usable GPU here: AUTO takes it");
        var s = DeviceSelection.open(DeviceSelection.Preference.AUTO);
        assertSame(CpuBackend.get(), s.backend());
        assertTrue(s.reason().contains("GPU not used") && s.reason().contains(cuda.reason()), s.reason());
    }

    @Test void cudaWithoutAGpuFailsWithTheReason() {
        var cuda = CudaAvailability.get();
        assumeFalse(cuda.available(), "a usable GPU here");
        var e = assertThrows(IllegalStateException.class, () -> DeviceSelection.open(DeviceSelection.Preference.CUDA));
        assertTrue(e.getMessage().contains(cuda.reason()), e.getMessage());
    }
}
