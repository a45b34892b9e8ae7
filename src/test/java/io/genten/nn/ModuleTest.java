package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** State dicts, modes, gradient bookkeeping and PyTorch's default initialization. */
class ModuleTest {
    private final Backend cpu = CpuBackend.get();

    private Sequential net(long seed) {
        var init = new Init(seed);
        return new Sequential(cpu)
                .add("conv1", new Conv2d(cpu, 1, 2, 3, 1, 1, true, init))
                .add("bn1", new BatchNorm2d(cpu, 2))
                .add("act", new ReLU(cpu))
                .add("flat", new Flatten(cpu))
                .add("fc", new Linear(cpu, 2 * 4 * 4, 3, false, init));
    }

    @Test void stateDictNamesComposeLikePyTorch() {
        var names = List.copyOf(net(1).stateDict().keySet());
        assertEquals(List.of("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "fc.weight"), names);
        assertEquals(List.of("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "fc.weight"), List.copyOf(net(1).namedParameters().keySet()));
    }

    @Test void loadStateDictCopiesValuesIn() {
        var a = net(1);
        var b = net(2);
        assertFalse(java.util.Arrays.equals(a.stateDict().get("fc.weight").toArray(), b.stateDict().get("fc.weight").toArray()));
        b.loadStateDict(a.stateDict());
        a.stateDict().forEach((k, v) -> assertArrayEquals(v.toArray(), b.stateDict().get(k).toArray(), k));
        assertNotEquals(a.stateDict().get("fc.weight"), b.stateDict().get("fc.weight"), "values are copied, not shared");
    }

    @Test void loadStateDictRejectsMissingExtraAndMisshapenNames() {
        var m = net(1);
        var before = m.stateDict().get("conv1.weight").toArray();
        var state = new HashMap<>(net(2).stateDict());
        state.remove("bn1.running_var");
        state.put("fc.bias", Tensor.zeros(3));
        state.put("conv1.weight", Tensor.zeros(2, 1, 5, 5));
        var e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(state));
        assertTrue(e.getMessage().contains("missing [bn1.running_var]"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected [fc.bias]"), e.getMessage());
        assertTrue(e.getMessage().contains("conv1.weight [2, 1, 5, 5] (expected [2, 1, 3, 3])"), e.getMessage());
        assertArrayEquals(before, m.stateDict().get("conv1.weight").toArray(), "a failed load changes nothing");
    }

    @Test void trainAndEvalReachEveryChild() {
        var m = net(1);
        assertTrue(m.isTraining());
        m.eval();
        m.children().values().forEach(c -> assertFalse(c.isTraining()));
        m.train();
        m.children().values().forEach(c -> assertTrue(c.isTraining()));
        assertThrows(IllegalArgumentException.class, () -> new Sequential(cpu).add("a.b", new ReLU(cpu)));
        assertThrows(IllegalArgumentException.class, () -> new Sequential(cpu).add("x", new ReLU(cpu)).add("x", new ReLU(cpu)));
    }

    /** A child registered under a parent already in eval mode takes the parent's mode, at every depth. */
    @Test void childrenAddedLaterTakeTheParentsMode() {
        var outer = new Sequential(cpu);
        outer.eval();
        var inner = new Sequential(cpu).add("bn", new BatchNorm2d(cpu, 2));
        assertTrue(inner.isTraining());
        outer.add("inner", inner);
        assertFalse(inner.isTraining(), "a child added to an eval-mode parent");
        assertFalse(inner.children().get("bn").isTraining(), "a grandchild added to an eval-mode parent");
        outer.train();
        assertTrue(inner.children().get("bn").isTraining());
        var net = net(1);
        net.eval();
        net.train();
        net.children().values().forEach(c -> assertTrue(c.isTraining(), "train() after eval() reaches every child"));
    }

    @Test void keptGradientsOutliveTheirPassAndAccumulateAcrossPasses() {
        var fc = new Linear(cpu, 3, 2, true, new Init(3));
        var x = Tensor.of(new float[] {1, -2, 0.5f, 0.3f, 0.1f, -1}, 2, 3);
        var dy = Tensor.of(new float[] {1, 2, -1, 0.5f}, 2, 2);
        try (var step = TensorScope.open()) {
            Tensor y;
            try (var pass = TensorScope.open()) {
                y = fc.forward(x);
                fc.backward(dy);
                fc.keepGradients(pass);
            }
            assertTrue(y.isClosed(), "the pass's activations close with it");
            float[] once = fc.weight().grad().toArray();
            float[] bias = fc.bias().grad().toArray();
            try (var pass = TensorScope.open()) {
                fc.forward(x);
                fc.backward(dy);
                fc.keepGradients(pass);
            }
            float[] twice = fc.weight().grad().toArray();
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-6f);
            assertEquals(2 * bias[0], fc.bias().grad().toArray()[0], 1e-6f);
            var g = fc.weight().grad();
            step.close();
            assertTrue(g.isClosed(), "a kept gradient still dies with the step");
        }
        try (var pass = TensorScope.open()) {
            fc.forward(x);
            fc.backward(dy);
        }
        assertNull(fc.weight().grad(), "a gradient not kept dies with its pass");
    }

    @Test void gradientsAccumulateUntilZeroed() {
        var fc = new Linear(cpu, 3, 2, true, new Init(3));
        var x = Tensor.of(new float[] {1, -2, 0.5f, 0.3f, 0.1f, -1}, 2, 3);
        var dy = Tensor.of(new float[] {1, 2, -1, 0.5f}, 2, 2);
        try (var scope = TensorScope.open()) {
            fc.forward(x);
            fc.backward(dy);
            float[] once = fc.weight().grad().toArray();
            fc.forward(x);
            fc.backward(dy);
            float[] twice = fc.weight().grad().toArray();
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-6f);
            var g = fc.weight().grad();
            fc.zeroGrad();
            assertNull(fc.weight().grad());
            assertTrue(g.isClosed(), "zeroGrad closes the gradient");
            fc.requiresGrad(false);
            fc.forward(x);
            fc.backward(dy);
            assertNull(fc.weight().grad(), "a frozen parameter gets no gradient");
        }
        assertThrows(IllegalArgumentException.class, () -> fc.weight().accumulateGrad(cpu, Tensor.zeros(3, 2)));
    }

    @Test void backwardBeforeForwardIsAClearError() {
        var e = assertThrows(IllegalStateException.class, () -> new Conv2d(cpu, 1, 1, 3, 1, 1, true, new Init(1)).backward(Tensor.zeros(1, 1, 3, 3)));
        assertTrue(e.getMessage().contains("Conv2d"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Linear(cpu, 4, 2, true, new Init(1)).forward(Tensor.zeros(2, 5)));
    }

    /** Kaiming-uniform(a = sqrt 5) weights and uniform biases within +-1/sqrt(fan_in), reproducible per seed. */
    @Test void initMatchesPyTorchBounds() {
        var init = new Init(42);
        var linear = new Linear(cpu, 50, 40, true, init);
        var conv = new Conv2d(cpu, 6, 8, 3, 1, 1, true, init);
        var convT = new ConvTranspose2d(cpu, 16, 4, 5, 2, 2, 1, true, init);
        checkUniform(linear.weight().value(), 1 / Math.sqrt(50));
        checkUniform(linear.bias().value(), 1 / Math.sqrt(50));
        checkUniform(conv.weight().value(), 1 / Math.sqrt(6 * 9));
        checkUniform(conv.bias().value(), 1 / Math.sqrt(6 * 9));
        // PyTorch's fan_in of a transposed conv weight (in, out, k, k) is out * k * k
        checkUniform(convT.weight().value(), 1 / Math.sqrt(4 * 25));
        checkUniform(convT.bias().value(), 1 / Math.sqrt(4 * 25));
        var again = new Linear(cpu, 50, 40, true, new Init(42));
        assertArrayEquals(linear.weight().value().toArray(), again.weight().value().toArray(), "same seed, same weights");
        var other = new Linear(cpu, 50, 40, true, new Init(43));
        assertFalse(java.util.Arrays.equals(linear.weight().value().toArray(), other.weight().value().toArray()));
        var bn = new BatchNorm1d(cpu, 3);
        assertArrayEquals(new float[] {1, 1, 1}, bn.weight().value().toArray());
        assertArrayEquals(new float[] {0, 0, 0}, bn.bias().value().toArray());
        assertArrayEquals(new float[] {0, 0, 0}, bn.runningMean().toArray());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVar().toArray());
    }

    private static void checkUniform(Tensor t, double bound) {
        float[] v = t.toArray();
        double max = 0, mean = 0;
        for (float f : v) {
            assertTrue(Math.abs(f) <= bound, f + " outside +-" + bound);
            max = Math.max(max, Math.abs(f));
            mean += f;
        }
        mean /= v.length;
        if (v.length >= 20) assertTrue(max > 0.8 * bound, "values should fill the range: max " + max + " of bound " + bound);
        assertTrue(Math.abs(mean) < 0.5 * bound / Math.sqrt(3) * 3 / Math.sqrt(Math.max(1, v.length / 9.0)) + 0.2 * bound, "mean " + mean);
    }

    @Test void moduleNeedsABackend() {
        assertThrows(IllegalArgumentException.class, () -> new ReLU(null));
        assertSame(cpu, new ReLU(cpu).backend());
    }

    /** Both golden cases as two parameters of one optimizer: one adamStep over the list, three steps. */
    @Test void adamMatchesPyTorchThroughParameters() {
        try (var f = io.genten.testing.Golden.op("adam"); var scope = TensorScope.open()) {
            for (String c : List.of("case0", "case1")) {
                float lr = lrFrom(f.metadata().get(c));
                var a = new Parameter("a", cpu.copyOf(f.get(c + ".p0")));
                var b = new Parameter("b", cpu.copyOf(f.get(c + ".p0")));
                try (var adam = new Adam(cpu, List.of(a, b), io.genten.backend.AdamConfig.of(lr, 0.9f, 0.999f))) {
                    for (int s = 1; s <= 3; s++) {
                        for (var p : List.of(a, b)) {
                            p.zeroGrad();
                            p.accumulateGrad(cpu, cpu.copyOf(f.get(c + ".g" + s)));
                        }
                        adam.step();
                        io.genten.testing.Assertions2.assertClose(c + " adam p" + s, a.value(), f.get(c + ".p" + s), 1e-6);
                        assertArrayEquals(a.value().toArray(), b.value().toArray());
                    }
                    assertEquals(3, adam.stepCount());
                    a.zeroGrad();
                    var e = assertThrows(IllegalStateException.class, adam::step);
                    assertTrue(e.getMessage().contains("parameter a"), e.getMessage());
                }
            }
        }
    }

    private static float lrFrom(String description) {
        var m = java.util.regex.Pattern.compile("lr=([0-9.eE-]+)").matcher(description);
        if (!m.find()) throw new AssertionError("no lr in the adam golden metadata " + description);
        return Float.parseFloat(m.group(1));
    }
}
