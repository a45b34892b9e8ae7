package io.genten.djlpeer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.genten.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The DJL models against Genten's: equal parameter counts, a first loss of the same size (both
 * start from PyTorch's initialization on the same kind of data, so the losses agree to a few
 * percent; a loss summed where it should be averaged would be off by orders of magnitude), finite
 * losses over several steps, the VAE's falling, and no native arrays left behind by a step.
 */
class ModelsTest {
    static NDManager manager;
    /** Null where libtorch's conv input gradients are right on this CPU (see LibtorchCheck). */
    static String libtorchDefect;
    static final int BATCH = 16;

    @BeforeAll static void engine() {
        DjlEngine.load(2, 2);
        libtorchDefect = LibtorchCheck.convInputGradientDefect();
        Engine.getInstance().setRandomSeed(11);
        manager = NDManager.newBaseManager();
    }

    @AfterAll static void close() { manager.close(); }

    @ParameterizedTest
    @ValueSource(strings = {"vae", "dcgan"})
    void trainsLikeGenten(String model) {
        assumeTrue(libtorchDefect == null, "libtorch is wrong on this CPU, nothing to compare against: " + libtorchDefect);
        var backend = CpuBackend.withThreads(2);
        try (var genten = GentenSteps.create(model, backend, BATCH, 7, true);
             var sub = manager.newSubManager();
             var djl = Peers.djl(model, sub, BATCH, true)) {
            assertEquals(genten.parameterCount(), djl.parameterCount(), model + ": parameter counts");
            Peers.checkParameterCounts(model, genten, djl);   // the harness's own check agrees

            genten.step();
            djl.step();
            double g0 = genten.lastLoss(), d0 = djl.lastLoss();
            assertTrue(Double.isFinite(g0) && Double.isFinite(d0), model + ": first losses " + g0 + " (Genten), " + d0 + " (DJL)");
            assertTrue(Math.abs(d0 - g0) < 0.1 * Math.abs(g0), model + ": first loss " + d0 + " (DJL) vs " + g0 + " (Genten)");

            // every native array any manager holds (the base managers' parent is the engine's system manager)
            int arrays = manager.getParentManager().getManagedArrays().size();
            double last = d0;
            for (int i = 0; i < 7; i++) {
                djl.step();
                last = djl.lastLoss();
                assertTrue(Double.isFinite(last), model + ": loss " + last + " at step " + (i + 2));
            }
            assertEquals(arrays, manager.getParentManager().getManagedArrays().size(), model + ": native arrays alive after a step");
            if (model.equals("vae")) assertTrue(last < d0, "vae: loss " + d0 + " -> " + last + " after 8 Adam steps");
        } finally {
            backend.close();
        }
    }
}
