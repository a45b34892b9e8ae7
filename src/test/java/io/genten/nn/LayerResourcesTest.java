package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.AdamConfig;
import io.genten.backend.Conv2dSpec;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the layers own and free: gradients added in are closed, a closed module or optimizer frees
 * its tensors, a frozen batch norm frees the gradients it does not keep; the moments Adam keeps and
 * the accessors that expose them.
 */
class LayerResourcesTest {
    private final CpuBackend cpu = CpuBackend.get();

    @Test void modeSwitchesReturnTheModuleForChaining() {
        var net = new Sequential(cpu).add("fc", new Linear(cpu, 3, 2, true, new Init(1)));
        assertSame(net, net.eval());
        assertFalse(net.isTraining());
        assertSame(net, net.train());
        assertTrue(net.isTraining());
        net.close();
    }

    @Test void anAddedGradientIsSummedAndClosed() {
        var p = new Parameter("w", Tensor.randn(1, 0, 2, 3));
        var g1 = Tensor.randn(2, 0, 2, 3);
        var g2 = Tensor.randn(3, 0, 2, 3);
        var a = g1.toArray();
        var b = g2.toArray();
        p.accumulateGrad(cpu, g1);
        assertSame(g1, p.grad(), "the first gradient is kept as is");
        p.accumulateGrad(cpu, g2);
        assertTrue(g2.isClosed(), "the second gradient, added into the first, is freed");
        var sum = p.grad().toArray();
        for (int i = 0; i < sum.length; i++) assertEquals(a[i] + b[i], sum[i], 0f, "element " + i);
        assertEquals("Parameter w [2, 3]", p.toString());
        p.zeroGrad();
        assertTrue(g1.isClosed());
        p.value().close();
    }

    @Test void closingAModuleFreesValuesGradientsAndBuffers() {
        var fc = new Linear(cpu, 4, 3, true, new Init(1));
        var bn = new BatchNorm1d(cpu, 3);
        var net = new Sequential(cpu).add("fc", fc).add("bn", bn);
        var x = Tensor.randn(4, 0, 5, 4);
        var y = net.forward(x);
        net.backward(Tensor.randn(5, 0, 5, 3)).close();
        var grad = fc.weight().grad();
        var value = fc.weight().value();
        var running = bn.stateDict().get("running_mean");
        assertFalse(grad.isClosed());
        net.close();
        assertTrue(grad.isClosed(), "gradient freed");
        assertTrue(value.isClosed(), "value freed");
        assertTrue(running.isClosed(), "buffer freed");
        y.close();
        x.close();
    }

    @Test void aFrozenBatchNormFreesTheGradientsItDoesNotKeep() {
        var bn = new BatchNorm2d(cpu, 2);
        bn.weight().setRequiresGrad(false);
        bn.bias().setRequiresGrad(false);
        var x = Tensor.randn(6, 0, 3, 2, 2, 2);
        var dy = Tensor.randn(7, 0, 3, 2, 2, 2);
        bn.forward(x).close();
        long live = Tensor.liveCount();
        var dx = bn.backward(dy);
        assertEquals(live + 1, Tensor.liveCount(), "only dx outlives the backward (dgamma and dbeta freed)");
        assertEquals(null, bn.weight().grad());
        dx.close();
        bn.close();
        x.close();
        dy.close();
    }

    @Test void adamKeepsItsMomentsAndFreesThemOnClose() {
        var p = new Parameter("w", Tensor.randn(8, 0, 5));
        var g = Tensor.randn(9, 0, 5);
        var grad = g.toArray();
        p.accumulateGrad(cpu, g);
        var config = AdamConfig.of(1e-3f, 0.9f, 0.99f);
        var adam = new Adam(cpu, List.of(p), config);
        assertSame(config, adam.config());
        adam.step();
        // one step from zero moments: m = (1 - beta1) g, v = (1 - beta2) g^2
        var m = adam.firstMoment(0);
        var v = adam.secondMoment(0);
        var mv = m.toArray();
        var vv = v.toArray();
        for (int i = 0; i < grad.length; i++) {
            assertEquals(0.1f * grad[i], mv[i], 1e-6f, "m " + i);
            assertEquals(0.01f * grad[i] * grad[i], vv[i], 1e-6f, "v " + i);
        }
        adam.close();
        assertTrue(m.isClosed(), "first moment freed");
        assertTrue(v.isClosed(), "second moment freed");
        p.zeroGrad();
        p.value().close();
    }

    @Test void accessorsGiveWhatTheConstructorWasGiven() {
        var conv = new Conv2d(cpu, 1, 2, 3, 2, 1, true, new Init(1));
        assertEquals(new Conv2dSpec(2, 1), conv.spec());
        var drop = new Dropout(cpu, 0.3f, 5);
        assertEquals(0.3f, drop.p());
        assertArrayEquals(new int[] {2, 1, 3, 3}, conv.weight().value().shape().dims());
        conv.close();
    }
}
