package io.genten.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What only the CPU emulator of our kernels can check: results that must not depend on the order in
 * which a block's threads run between barriers (a missing __syncthreads shows up as a difference),
 * and that it says it is an emulator. On a GPU the schedule cannot be set.
 */
@Tag("gpu")
class EmulatorTest {
    private static final int FORWARD = 0, REVERSE = 1, SHUFFLED = 2;

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterEach void forwardAgain() {
        if (GpuTestSupport.emulated()) assertEquals(0, Native.emulatorConfigure(FORWARD, 0));
    }

    /** Every kernel family with barriers or warp reductions, tiled and narrow paths, in one list of outputs. */
    private static List<float[]> run(CudaBackend g) {
        var out = new ArrayList<float[]>();
        try (var scope = TensorScope.open()) {
            var spec = new Conv2dSpec(2, 2);
            for (int k : new int[] {37, 3}) { // the tiled kernels (the small or wide tile, by the rule) and the narrow ones
                var x = g.copyOf(GpuTestSupport.randn(11, 3, 5, 13, 13));
                var w = g.copyOf(GpuTestSupport.randn(12, k, 5, 5, 5));
                var y = g.conv2dForward(x, w, null, spec);
                var dy = g.copyOf(GpuTestSupport.randn(13, y.shape().dims()));
                out.add(y.toArray());
                out.add(g.conv2dBackwardData(dy, w, x.shape(), spec).toArray());
                out.add(g.conv2dBackwardFilter(dy, x, w.shape(), spec).toArray());
                out.add(g.biasGradient(dy).toArray());
            }
            for (int[] dims : new int[][] {{6, 7, 9, 9}, {40, 70}}) {
                int c = dims[1];
                var x = g.copyOf(GpuTestSupport.randn(14, dims));
                var gamma = g.copyOf(GpuTestSupport.uniform(15, 0.5f, 1.5f, c));
                var beta = g.copyOf(GpuTestSupport.randn(16, c));
                var bn = g.batchNormTrainForward(x, gamma, beta, g.zeros(Shape.of(c)), g.full(Shape.of(c), 1f), 0.1f, 1e-5f);
                out.add(bn.y().toArray());
                var dy = g.copyOf(GpuTestSupport.randn(17, dims));
                var grads = g.batchNormBackward(dy, x, gamma, bn.saveMean(), bn.saveInvStd());
                out.add(grads.dx().toArray());
                out.add(grads.dgamma().toArray());
            }
            var a = g.copyOf(GpuTestSupport.randn(18, 33, 70));
            var wl = g.copyOf(GpuTestSupport.randn(19, 65, 70));
            out.add(g.linearForward(a, wl, null).toArray());
            out.add(new float[] {g.sum(g.copyOf(GpuTestSupport.randn(20, 100_003))).item()});
        }
        return out;
    }

    @Test void resultsDoNotDependOnTheThreadSchedule() {
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "thread schedules exist only on the emulator");
        for (var o : List.of(GpuTestSupport.CONFIGS.get(0), GpuTestSupport.CONFIGS.get(4))) { // FP32, TF32
            var g = GpuTestSupport.backend(o);
            assertEquals(0, Native.emulatorConfigure(FORWARD, 0));
            var forward = run(g);
            for (int[] schedule : new int[][] {{REVERSE, 0}, {SHUFFLED, 7}, {SHUFFLED, 8}}) {
                assertEquals(0, Native.emulatorConfigure(schedule[0], schedule[1]));
                var other = run(g);
                assertEquals(forward.size(), other.size());
                for (int i = 0; i < forward.size(); i++) {
                    assertArrayEquals(forward.get(i), other.get(i), o.math() + " output " + i + " under schedule " + schedule[0]
                            + " (seed " + schedule[1] + ") differs from the forward schedule: a race between threads of a block");
                }
            }
        }
    }

    @Test void itSaysItIsAnEmulator() {
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "a real GPU");
        var a = CudaAvailability.get();
        assertTrue(a.describe().contains("emulated"), a.describe());
        assertTrue(GpuTestSupport.backend(GpuTestSupport.CONFIGS.get(0)).describe().contains("emulated"));
        assertTrue(!a.cudnnAvailable() && !a.cublasAvailable(), "cuDNN and cuBLAS are never used with the emulator");
    }

    @Test void onAGpuTheScheduleCannotBeSet() {
        Assumptions.assumeFalse(GpuTestSupport.emulated(), "the emulator");
        assertEquals(CudaStatus.UNSUPPORTED, Native.emulatorConfigure(REVERSE, 0));
    }

    @Test void aBadScheduleIsRefused() {
        Assumptions.assumeTrue(GpuTestSupport.emulated(), "a real GPU");
        assertEquals(CudaStatus.INVALID_ARGUMENT, Native.emulatorConfigure(9, 0));
    }
}
