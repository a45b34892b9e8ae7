package io.genten.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genten.backend.Backend;
import io.genten.backend.cpu.CpuBackend;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link Module#backwardParameters}: the same parameter gradients as {@link Module#backward}, bit
 * for bit, without the first layer's backward-data op (counted on a backend that records its calls).
 */
class BackwardParametersTest {
    private final Backend cpu = CpuBackend.get();

    /** A backend that counts the calls of each op, then runs them on the CPU backend. */
    private static Backend counting(Backend inner, Map<String, Integer> calls) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            calls.merge(m.getName(), 1, Integer::sum);
            try {
                return m.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private record Run(List<float[]> grads, Map<String, Integer> calls) {}

    private Run run(Function<Backend, Sequential> model, Shape input, boolean parametersOnly) {
        var calls = new TreeMap<String, Integer>();
        var backend = counting(cpu, calls);
        var net = model.apply(backend);
        try (var scope = TensorScope.open()) {
            var x = Tensor.randn(3, 0, input.dims());
            var y = net.forward(x);
            var dy = Tensor.randn(4, 0, y.shape().dims());
            calls.clear();
            if (parametersOnly) net.backwardParameters(dy);
            else net.backward(dy);
            var grads = new ArrayList<float[]>();
            for (var p : net.parameters()) grads.add(p.grad().toArray());
            return new Run(grads, new TreeMap<>(calls));
        }
    }

    private void check(String what, Function<Backend, Sequential> model, Shape input, String dataOp) {
        var full = run(model, input, false);
        var params = run(model, input, true);
        assertEquals(full.grads().size(), params.grads().size(), what);
        for (int i = 0; i < full.grads().size(); i++) assertArrayEquals(full.grads().get(i), params.grads().get(i), what + ": gradient " + i);
        var want = new TreeMap<>(full.calls());
        want.merge(dataOp, -1, Integer::sum);
        want.values().removeIf(v -> v == 0);
        assertEquals(want, params.calls(), what + ": the ops of backwardParameters are backward's less the first layer's " + dataOp);
    }

    @Test void convFirstSkipsItsInputGradient() {
        check("conv, leaky relu, conv", b -> new Sequential(b)
                .add("c1", new Conv2d(b, 1, 4, 5, 2, 2, true, new Init(1)))
                .add("a1", new LeakyReLU(b, 0.3f))
                .add("c2", new Conv2d(b, 4, 3, 3, 2, 1, true, new Init(2)))
                .add("flat", new Flatten(b))
                .add("fc", new Linear(b, 3 * 4 * 4, 1, true, new Init(3))), Shape.of(3, 1, 13, 14), "conv2dBackwardData");
    }

    @Test void linearFirstSkipsItsInputGradient() {
        check("linear, leaky relu, linear", b -> new Sequential(b)
                .add("fc1", new Linear(b, 7, 5, false, new Init(4)))
                .add("a", new LeakyReLU(b, 0.2f))
                .add("fc2", new Linear(b, 5, 2, true, new Init(5))), Shape.of(6, 7), "linearBackwardData");
    }

    @Test void aLayerWithoutParametersFirstRunsItsFullBackward() {
        Function<Backend, Sequential> model = b -> new Sequential(b).add("a", new LeakyReLU(b, 0.2f)).add("fc", new Linear(b, 4, 3, true, new Init(6)));
        var full = run(model, Shape.of(2, 4), false);
        var params = run(model, Shape.of(2, 4), true);
        assertEquals(full.calls(), params.calls());
        for (int i = 0; i < full.grads().size(); i++) assertArrayEquals(full.grads().get(i), params.grads().get(i));
    }

    @Test void anEmptySequentialHasNothingToDo() {
        var calls = new TreeMap<String, Integer>();
        try (var scope = TensorScope.open()) {
            new Sequential(counting(cpu, calls)).backwardParameters(Tensor.randn(7, 0, 2, 3));
        }
        assertEquals(Map.of(), calls);
    }
}
