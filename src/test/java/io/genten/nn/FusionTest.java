package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Activation;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import org.junit.jupiter.api.Test;

/** Sequential.fuseActivations changes where the activation runs, never what is computed. */
class FusionTest {
    private final CpuBackend cpu = CpuBackend.get();

    private Sequential net(long seed) {
        var init = new Init(seed);
        return new Sequential(cpu)
                .add("conv1", new Conv2d(cpu, 3, 5, 3, 2, 1, true, init))
                .add("act1", new LeakyReLU(cpu, 0.3f))
                .add("conv2", new Conv2d(cpu, 5, 4, 3, 1, 1, false, init))
                .add("bn", new BatchNorm2d(cpu, 4))
                .add("act2", new ReLU(cpu))
                .add("flatten", new Flatten(cpu))
                .add("bn1d", new BatchNorm1d(cpu, 4 * 4 * 4))
                .add("act3", new LeakyReLU(cpu, 0.2f))
                .add("tanh", new Tanh(cpu));
    }

    @Test void fusedNetworkComputesTheSameValuesAndGradientsBitForBit() {
        var plain = net(11);
        var fused = net(11).fuseActivations();
        try (var scope = TensorScope.open()) {
            var x = Tensor.randn(1, 0, 3, 3, 7, 7);
            var dy = Tensor.randn(2, 0, 3, 64);
            for (var mode : new String[] {"train", "eval"}) {
                if (mode.equals("eval")) { plain.eval(); fused.eval(); }
                var yp = plain.forward(x);
                var yf = fused.forward(x);
                assertArrayEquals(yp.toArray(), yf.toArray(), mode + " forward");
                if (mode.equals("train")) {
                    assertArrayEquals(plain.backward(dy).toArray(), fused.backward(dy).toArray(), "dx");
                    var pp = plain.namedParameters();
                    fused.namedParameters().forEach((name, p) -> assertArrayEquals(pp.get(name).grad().toArray(), p.grad().toArray(), "grad " + name));
                    plain.stateDict().forEach((name, t) -> assertArrayEquals(t.toArray(), fused.stateDict().get(name).toArray(), name));
                }
            }
        }
    }

    @Test void onlyReluAndLeakyReluAfterBatchNormOrConvAreFused() {
        var fused = net(3).fuseActivations();
        var layers = fused.layers();
        assertEquals(Activation.leakyRelu(0.3f), ((Conv2d) layers.get(0)).fusedActivation());
        assertTrue(((Pointwise) layers.get(1)).isAbsorbed());
        assertEquals(Activation.IDENTITY, ((Conv2d) layers.get(2)).fusedActivation(), "conv2 is followed by a BatchNorm");
        assertEquals(Activation.RELU, ((BatchNorm) layers.get(3)).fusedActivation());
        assertEquals(Activation.leakyRelu(0.2f), ((BatchNorm) layers.get(6)).fusedActivation());
        assertFalse(((Pointwise) layers.get(8)).isAbsorbed(), "tanh follows an absorbed activation, not a fusable layer");
        assertEquals(net(3).stateDict().keySet(), fused.stateDict().keySet(), "names unchanged");
        assertThrows(IllegalArgumentException.class, () -> ((BatchNorm) layers.get(3)).fuse(Activation.TANH));
    }
}
