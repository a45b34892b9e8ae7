package io.genten.backend.cuda;

import static io.genten.testing.Assertions2.relativeL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;
import io.genten.models.ConditionalDcgan;
import io.genten.models.DenseVae;
import io.genten.models.DenseVaeTrainer;
import io.genten.models.GanLoss;
import io.genten.models.GanPairTrainer;
import io.genten.models.GraphedStep;
import io.genten.models.MlpGan;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The extra models' training steps captured as CUDA graphs (GraphedStep) against the same steps run
 * eagerly on the same device: the 2-D VAE (with its noise advanced on the device), the MLP GAN, and
 * the LSGAN with a batch-normalized discriminator (its real and fake halves stacked on the device),
 * and the conditional GAN (each replay's labels written into the graph's label buffers, its dropout
 * masks advanced on the device). Our kernels are deterministic, so graph and eager agree to 1e-6.
 */
@Tag("gpu")
class CudaExtraGraphTest {
    private static final CudaOptions FP32 = new CudaOptions(0, MathMode.FP32, ConvImpl.NATIVE, BatchNormImpl.NATIVE, false);
    private static final int BATCH = 4, STEPS = 4;

    @BeforeAll static void gpu() { GpuTestSupport.requireGpu(); }

    @AfterAll static void release() { GpuTestSupport.closeAll(); }

    private static List<Tensor> batches(boolean symmetric) {
        var out = new ArrayList<Tensor>();
        for (int s = 0; s < STEPS + 1; s++) {
            var t = Tensor.rand(40 + s, 0, BATCH, 1, 28, 28);
            if (symmetric) {
                var v = t.toArray();
                for (int i = 0; i < v.length; i++) v[i] = 2 * v[i] - 1;
                t.copyFrom(v);
            }
            out.add(t);
        }
        return out;
    }

    private static void close(String what, float graph, float eager) {
        double err = Math.abs((double) graph - eager) / Math.max(Math.abs(eager), 1e-30);
        assertTrue(err < 1e-6, what + ": graph " + graph + " vs eager " + eager + ", relative error " + err);
    }

    private static void paramsClose(String what, Map<String, Tensor> graph, Map<String, Tensor> eager) {
        assertEquals(eager.keySet(), graph.keySet());
        for (var name : eager.keySet()) {
            double err = relativeL2(graph.get(name).toArray(), eager.get(name).toArray());
            assertTrue(err < 1e-6, what + " " + name + ": relative L2 error " + err);
        }
    }

    @Test void graphedDenseVaeStepsEqualEagerSteps() {
        var gpu = GpuTestSupport.backend(FP32);
        gpu.resetRandomOffset();
        var data = batches(false);
        var adam = AdamConfig.of(1e-3f, 0.9f, 0.999f);
        for (var recon : DenseVaeTrainer.Reconstruction.values()) {
            try (var eagerVae = new DenseVae(gpu, 8, 2, 21); var graphVae = new DenseVae(gpu, 8, 2, 21);
                 var eager = new DenseVaeTrainer(eagerVae, recon, adam); var graphed = new DenseVaeTrainer(graphVae, recon, adam);
                 var input = gpu.copyOf(data.get(0))) {
                var eagerLosses = new ArrayList<DenseVaeTrainer.Losses>();
                for (int s = 0; s < STEPS; s++) {
                    try (var x = gpu.copyOf(data.get(s))) {
                        eagerLosses.add(eager.step(x));
                    }
                }
                try (var step = GraphedStep.capture(graphed, input)) { // the warm-up is step 0, on data[0]
                    close(recon + " step 0 total", step.losses().total(), eagerLosses.get(0).total());
                    assertEquals(1, graphed.stepCount(), "the capture records a step but does not run it");
                    for (int s = 1; s < STEPS; s++) {
                        step.replay(data.get(s));
                        var g = step.losses();
                        close(recon + " step " + s + " reconstruction", g.reconstruction(), eagerLosses.get(s).reconstruction());
                        close(recon + " step " + s + " kl", g.kl(), eagerLosses.get(s).kl());
                    }
                    assertEquals(STEPS - 1, gpu.randomOffset(), "one Philox offset per replay, advanced on the device");
                }
                assertEquals(0, gpu.randomOffset(), "close resets the device offset counter");
                assertEquals(STEPS, graphed.stepCount());
                assertEquals(eagerVae.noiseOffset(), graphVae.noiseOffset(), "the host noise offset counts the replays");
                paramsClose(recon + " after " + STEPS + " steps", graphVae.stateDict(), eagerVae.stateDict());
                // and the trainer goes on eagerly where the replays left off
                try (var x = gpu.copyOf(data.get(STEPS))) {
                    close(recon + " eager step after the graph", graphed.step(x).total(), eager.step(x).total());
                }
                paramsClose(recon + " after one more eager step", graphVae.stateDict(), eagerVae.stateDict());
            }
        }
    }

    private void graphedGan(String what, MlpGan.Spec spec) {
        var gpu = GpuTestSupport.backend(FP32);
        gpu.resetRandomOffset();
        var data = batches(spec.tanh());
        var adam = AdamConfig.of(2e-4f, 0.5f, 0.999f);
        try (var eagerGan = new MlpGan(gpu, spec, 22); var graphGan = new MlpGan(gpu, spec, 22);
             var eager = new GanPairTrainer(eagerGan, 5, 0.9f, adam); var graphed = new GanPairTrainer(graphGan, 5, 0.9f, adam);
             var input = gpu.copyOf(data.get(0))) {
            var eagerLosses = new ArrayList<GanPairTrainer.Losses>();
            for (int s = 0; s < STEPS; s++) {
                try (var x = gpu.copyOf(data.get(s))) {
                    eagerLosses.add(eager.step(x, null));
                }
            }
            try (var step = GraphedStep.capture(graphed, input)) {
                for (int s = 0; s < STEPS; s++) {
                    if (s > 0) step.replay(data.get(s));
                    var g = step.losses();
                    close(what + " step " + s + " D", g.discriminator(), eagerLosses.get(s).discriminator());
                    close(what + " step " + s + " G", g.generator(), eagerLosses.get(s).generator());
                }
                assertEquals((long) GanPairTrainer.RANDOM_STRIDE * (STEPS - 1), gpu.randomOffset());
            }
            assertEquals(STEPS, graphed.stepCount());
            paramsClose(what + " after " + STEPS + " steps", graphGan.stateDict(), eagerGan.stateDict());
        }
    }

    @Test void graphedMlpGanStepsEqualEagerSteps() {
        graphedGan("mlpgan", new MlpGan.Spec("mlpgan", 16, new int[] {32}, new int[] {32}, false, false, GanLoss.BCE, 0f, false));
    }

    @Test void graphedLsGanWithABatchNormalizedDiscriminatorEqualsEager() {
        graphedGan("lsgan", new MlpGan.Spec("lsgan", 16, new int[] {16, 32}, new int[] {32, 16}, true, true, GanLoss.LEAST_SQUARES, 0.2f, true));
    }

    /** cgan: the labels of each replay go into the graph's static label buffers; dropout masks advance on the device. */
    @Test void graphedConditionalGanStepsEqualEagerSteps() {
        var gpu = GpuTestSupport.backend(FP32);
        gpu.resetRandomOffset();
        var data = batches(true);
        int[][] labels = {{0, 1, 2, 3}, {9, 9, 4, 7}, {5, 6, 5, 6}, {8, 0, 3, 1}};
        var spec = new ConditionalDcgan.Spec(8, 4, 4, 4, 4, 4, 0.3f);
        var adam = AdamConfig.of(2e-4f, 0.5f, 0.999f);
        try (var eagerGan = new ConditionalDcgan(gpu, spec, 23); var graphGan = new ConditionalDcgan(gpu, spec, 23);
             var eager = new GanPairTrainer(eagerGan, 6, 0.9f, adam); var graphed = new GanPairTrainer(graphGan, 6, 0.9f, adam);
             var input = gpu.copyOf(data.get(0))) {
            var eagerLosses = new ArrayList<GanPairTrainer.Losses>();
            for (int s = 0; s < STEPS; s++) {
                try (var x = gpu.copyOf(data.get(s))) {
                    eagerLosses.add(eager.step(x, labels[s]));
                }
            }
            var e = assertThrows(IllegalArgumentException.class, () -> GraphedStep.capture(graphed, input), "a conditional model needs labels");
            assertTrue(e.getMessage().contains("conditional"), e.getMessage());
            assertEquals(0, graphed.stepCount(), "refused before the warm-up step");
            try (var step = GraphedStep.capture(graphed, input, labels[0])) {
                for (int s = 0; s < STEPS; s++) {
                    if (s > 0) step.replay(data.get(s), labels[s]);
                    var g = step.losses();
                    close("cgan step " + s + " D", g.discriminator(), eagerLosses.get(s).discriminator());
                    close("cgan step " + s + " G", g.generator(), eagerLosses.get(s).generator());
                }
                assertThrows(IllegalArgumentException.class, () -> step.replay(data.get(1), new int[] {1, 2}), "as many labels as images");
            }
            assertEquals(STEPS, graphed.stepCount());
            paramsClose("cgan after " + STEPS + " steps", graphGan.stateDict(), eagerGan.stateDict());
        }
    }

    @Test void anUnconditionalModelTakesNoLabelsInAReplay() {
        var gpu = GpuTestSupport.backend(FP32);
        gpu.resetRandomOffset();
        var spec = new MlpGan.Spec("mlpgan", 16, new int[] {32}, new int[] {32}, false, false, GanLoss.BCE, 0f, false);
        try (var gan = new MlpGan(gpu, spec, 1); var trainer = new GanPairTrainer(gan, 1, 0.9f, AdamConfig.of(2e-4f, 0.5f, 0.999f));
             var input = gpu.copyOf(batches(false).get(0)); var step = GraphedStep.capture(trainer, input)) {
            assertThrows(IllegalArgumentException.class, () -> step.replay(input, new int[] {1, 2, 3, 4}));
        }
    }
}
