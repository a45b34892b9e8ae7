package io.genten.djlpeer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.genten.backend.Backend;
import io.genten.nn.ConvTranspose2d;
import io.genten.nn.Init;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.List;

/**
 * A model's transposed-conv layers alone, forward and backward (input, weight and bias gradients,
 * as in a training step) at the model's shapes, on either side: what the comparison subtracts to
 * show the two sides without those layers (DJL's have to be composed of ordinary convs).
 */
final class TconvLayers {
    private TconvLayers() {}

    /** One transposed conv of a model: in, out, kernel, stride, padding, output padding, input size, bias. */
    record Spec(String name, int in, int out, int k, int stride, int padding, int outputPadding, int h, boolean bias) {
        int outSize() { return TransposedConv2d.outputSize(h, k, stride, padding, outputPadding); }

        /** Multiply-adds per image of DJL's phase decomposition over the direct transposed conv's. */
        double macRatio() {
            return (double) TransposedConv2d.phaseMacs(in, out, h, k, stride, padding, outputPadding) / TransposedConv2d.directMacs(in, out, h, k);
        }
    }

    static List<Spec> of(String model) {
        return switch (model) {
            case "vae" -> List.of(
                    new Spec("dec1", 64, 64, 3, 2, 1, 1, 7, true),
                    new Spec("dec2", 64, 32, 3, 2, 1, 1, 14, true));
            case "dcgan" -> List.of(
                    new Spec("conv1", 256, 128, 5, 1, 2, 0, 7, false),
                    new Spec("conv2", 128, 64, 5, 2, 2, 1, 7, false),
                    new Spec("conv3", 64, 1, 5, 2, 2, 1, 14, false));
            default -> throw new IllegalArgumentException("model must be vae or dcgan, not " + model);
        };
    }

    /** Genten: the models' own ConvTranspose2d layers, forward then backward, as a step runs them. */
    static TrainStep genten(String model, Backend backend, int batch, long seed) {
        var specs = of(model);
        var init = new Init(seed);
        var layers = specs.stream().map(s -> new ConvTranspose2d(backend, s.in(), s.out(), s.k(), s.stride(), s.padding(), s.outputPadding(), s.bias(), init)).toList();
        var xs = specs.stream().map(s -> random(backend, seed, 1, batch, s.in(), s.h(), s.h())).toList();
        var dys = specs.stream().map(s -> random(backend, seed, 2, batch, s.out(), s.outSize(), s.outSize())).toList();
        return new TrainStep() {
            @Override public void step() {
                try (var scope = TensorScope.open()) {
                    for (int i = 0; i < layers.size(); i++) {
                        layers.get(i).forward(xs.get(i));
                        layers.get(i).backward(dys.get(i));
                    }
                } finally {
                    layers.forEach(l -> l.zeroGrad());
                }
            }

            @Override public double lastLoss() { return Double.NaN; }

            @Override public long parameterCount() { return layers.stream().mapToLong(l -> GentenSteps.count(l.parameters())).sum(); }

            @Override public void close() {
                layers.forEach(ConvTranspose2d::close);
                xs.forEach(Tensor::close);
                dys.forEach(Tensor::close);
            }
        };
    }

    /** Uniform [-1, 1) on the backend. */
    private static Tensor random(Backend backend, long seed, long offset, int... dims) {
        try (var t = Tensor.rand(seed, offset, dims)) {
            var a = t.hostArray();
            for (int i = 0; i < a.length; i++) a[i] = 2 * a[i] - 1;
            return backend.copyOf(t);
        }
    }

    /**
     * DJL: {@link TransposedConv2d} forward, then libtorch's autograd backward from a given output
     * gradient into input, weight and bias (the input requires a gradient, as inside the models).
     */
    static TrainStep djl(String model, NDManager parent, int batch) {
        var specs = of(model);
        var manager = parent.newSubManager();
        int n = specs.size();
        var xs = new NDArray[n];
        var ws = new NDArray[n];
        var bs = new NDArray[n];
        var dys = new NDArray[n];
        for (int i = 0; i < n; i++) {
            var s = specs.get(i);
            float bound = (float) (1 / Math.sqrt(s.out() * s.k() * s.k()));
            xs[i] = manager.randomUniform(-1, 1, new Shape(batch, s.in(), s.h(), s.h()));
            ws[i] = manager.randomUniform(-bound, bound, new Shape(s.in(), s.out(), s.k(), s.k()));
            bs[i] = s.bias() ? manager.randomUniform(-bound, bound, new Shape(s.out())) : null;
            dys[i] = manager.randomUniform(-1, 1, new Shape(batch, s.out(), s.outSize(), s.outSize()));
            for (var a : new NDArray[] {xs[i], ws[i], bs[i]}) if (a != null) a.setRequiresGradient(true);
        }
        return new TrainStep() {
            @Override public void step() {
                boolean grad = JniUtils.isGradMode();
                JniUtils.setGradMode(true);
                try (var scope = new NDScope()) {
                    for (int i = 0; i < n; i++) {
                        var y = TransposedConv2d.forward(xs[i], ws[i], bs[i], specs.get(i).stride(), specs.get(i).padding(), specs.get(i).outputPadding());
                        JniUtils.backward((PtNDArray) y, (PtNDArray) dys[i], false, false);
                    }
                } finally {
                    JniUtils.setGradMode(grad);
                    for (int i = 0; i < n; i++) {
                        for (var a : new NDArray[] {xs[i], ws[i], bs[i]}) if (a != null) JniUtils.zeroGrad((PtNDArray) a);
                    }
                }
            }

            @Override public double lastLoss() { return Double.NaN; }

            @Override public long parameterCount() {
                long c = 0;
                for (int i = 0; i < n; i++) c += ws[i].size() + (bs[i] == null ? 0 : bs[i].size());
                return c;
            }

            @Override public void close() { manager.close(); }
        };
    }
}
