package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA Adam's argument checks (found missing by mutation testing on the emulator: with any of
 * them removed, every GPU test still passed) and its cache of launch tables: each moment list of the
 * wrong shape or device is refused by name, and alternating between parameter lists (more lists
 * than the cache holds) keeps every update equal to the CPU's.
 */
@Tag("gpu")
class CudaAdamChecksTest {
    private static CudaBackend gpu;
    private static final CpuBackend CPU = CpuBackend.get();

    @BeforeAll static void open() {
        GpuTestSupport.requireGpu();
        gpu = GpuTestSupport.backend(GpuTestSupport.CONFIGS.getFirst());
    }

    @AfterAll static void close() { GpuTestSupport.closeAll(); }

    @Test void wrongShapesAndDevicesAreRefusedByName() {
        try (var scope = TensorScope.open()) {
            var p = gpu.randn(Shape.of(3, 2), 1, 0);
            var right = gpu.randn(Shape.of(3, 2), 2, 0);
            var wrong = gpu.randn(Shape.of(2, 3), 3, 0);
            var config = AdamConfig.of(1e-3f, 0.9f, 0.999f);
            for (int which = 0; which < 3; which++) {
                var g = which == 0 ? wrong : right;
                var m = which == 1 ? wrong : right;
                var v = which == 2 ? wrong : right;
                var e = assertThrows(IllegalArgumentException.class, () -> gpu.adamStep(List.of(p), List.of(g), List.of(m), List.of(v), config, 1));
                assertTrue(e.getMessage().contains("adamStep") && e.getMessage().contains("[2, 3]"), e.getMessage());
            }
            var host = CPU.randn(Shape.of(3, 2), 4, 0);
            var e = assertThrows(IllegalArgumentException.class, () -> gpu.adamStep(List.of(p), List.of(host), List.of(right), List.of(right), config, 1));
            assertTrue(e.getMessage().contains("adamStep"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> gpu.adamStep(List.of(p), List.of(right), List.of(right), List.of(right), config, 0));
        }
    }

    /** Many parameter lists in turn: the launch-table cache evicts and rebuilds, and every step still matches the CPU. */
    @Test void alternatingParameterListsMatchTheCpu() {
        var config = AdamConfig.of(1e-2f, 0.9f, 0.99f);
        int lists = 70; // more than the 64 launch tables the cache keeps
        try (var scope = TensorScope.open()) {
            var cpuP = new Tensor[lists];
            var gpuP = new Tensor[lists];
            var cpuM = new Tensor[lists];
            var gpuM = new Tensor[lists];
            var cpuV = new Tensor[lists];
            var gpuV = new Tensor[lists];
            for (int i = 0; i < lists; i++) {
                var shape = Shape.of(5 + i % 7, 3);
                cpuP[i] = CPU.randn(shape, 10 + i, 0);
                gpuP[i] = gpu.copyOf(cpuP[i]);
                cpuM[i] = CPU.zeros(shape);
                gpuM[i] = gpu.zeros(shape);
                cpuV[i] = CPU.zeros(shape);
                gpuV[i] = gpu.zeros(shape);
            }
            for (int step = 1; step <= 3; step++) {
                for (int i = 0; i < lists; i++) {
                    var g = CPU.randn(cpuP[i].shape(), 100 + i, step);
                    var gg = gpu.copyOf(g);
                    CPU.adamStep(List.of(cpuP[i]), List.of(g), List.of(cpuM[i]), List.of(cpuV[i]), config, step);
                    gpu.adamStep(List.of(gpuP[i]), List.of(gg), List.of(gpuM[i]), List.of(gpuV[i]), config, step);
                }
            }
            for (int i = 0; i < lists; i++) {
                var want = cpuP[i].toArray();
                var got = gpuP[i].toArray();
                for (int k = 0; k < want.length; k++) {
                    assertTrue(Math.abs(want[k] - got[k]) <= 1e-6f * (1 + Math.abs(want[k])), "list " + i + " element " + k + ": " + got[k] + " vs " + want[k]);
                }
                assertArrayEquals(cpuM[i].toArray(), gpuM[i].toArray(), 1e-6f, "first moment of list " + i);
            }
        }
    }
}
