package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A fast check without JMH: images/s of the training steps and the time of a few kernels, as
 * markdown tables. Kernel times come from CUDA events where the CUDA backend offers them, else
 * from the wall clock around a synchronized loop.
 *
 * <pre>java -cp benchmarks.jar io.genten.bench.Quick backend=cpu models=vae,dcgan batches=64 math=FP32 steps=5 kernels=true</pre>
 */
public final class Quick {
    private Quick() {}

    public static void main(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>(Map.of(
                "backend", "cpu", "models", "vae,dcgan", "batches", "64", "math", "FP32",
                "exec", "eager", "steps", "5", "warmup", "2", "kernels", "true", "impl", "CUDNN"));
        for (var a : args) {
            int eq = a.indexOf('=');
            if (eq < 0 || !opt.containsKey(a.substring(0, eq))) {
                System.err.println("usage: Quick " + String.join(" ", opt.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
                System.exit(2);
            }
            opt.put(a.substring(0, eq), a.substring(eq + 1));
        }
        int steps = Integer.parseInt(opt.get("steps"));
        int warmup = Integer.parseInt(opt.get("warmup"));
        var rows = new ArrayList<String>();
        for (var backend : opt.get("backend").split(",")) {
            for (var math : opt.get("math").split(",")) {
                String impl = backend.equals("cpu") ? "NATIVE" : opt.get("impl");
                var config = BackendConfig.of(backend, math, impl, impl);
                Backend b;
                try {
                    b = config.open();
                } catch (Skip s) {
                    rows.add("| " + config.label() + " | - | - | - | - | " + s.getMessage() + " |");
                    continue;
                }
                try (b) {
                    System.err.println("backend: " + describe(b));
                    for (var model : opt.get("models").split(",")) {
                        for (var batchText : opt.get("batches").split(",")) {
                            for (var exec : opt.get("exec").split(",")) {
                                rows.add(trainRow(b, config, model, Integer.parseInt(batchText), exec, warmup, steps));
                            }
                        }
                    }
                    if (Boolean.parseBoolean(opt.get("kernels"))) {
                        kernelRows(b, config, Integer.parseInt(opt.get("batches").split(",")[0]), warmup, Math.max(steps, 3)).forEach(rows::add);
                    }
                }
            }
        }
        System.out.println("| what | shape / batch | backend | exec | time | rate |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        rows.forEach(System.out::println);
    }

    private static String trainRow(Backend b, BackendConfig config, String model, int batch, String exec, int warmup, int steps) {
        String head = "| " + model + " step | " + batch + " | " + config.label() + " | " + exec + " | ";
        if (config.isCpu() && exec.equals("graph")) return head + "- | skipped: cpu has no graphs |";
        try (var step = TrainSteps.create(model, exec, b, batch, 42)) {
            Runnable eager = () -> {
                try (var scope = TensorScope.open()) {
                    step.step();
                    b.synchronize();
                }
            };
            // a capture needs every block and algorithm cached by an eager run first
            for (int i = 0; i < (exec.equals("graph") ? Math.max(1, warmup) : warmup); i++) eager.run();
            Runnable run = eager;
            Cuda.StepGraph graph = null;
            if (exec.equals("graph")) {
                graph = Cuda.capture(b, step::step);
                var g = graph;
                run = () -> { g.replay(); b.synchronize(); };
            }
            try {
                double ms = wallMillis(run, steps);
                return head + String.format("%.3f ms | %,.0f images/s |", ms, batch * 1000.0 / ms);
            } finally {
                if (graph != null) graph.close();
            }
        } catch (Skip s) {
            return head + "- | " + s.getMessage() + " |";
        } catch (RuntimeException e) {
            return head + "- | failed: " + e + " |";
        }
    }

    private static List<String> kernelRows(Backend b, BackendConfig config, int batch, int warmup, int reps) {
        var rows = new ArrayList<String>();
        for (var name : List.of("gan.d2@" + batch, "vae.dec2@" + batch)) {
            var c = ConvCase.parse(name);
            try (var scope = TensorScope.open()) {
                var x = b.randn(c.xShape(), 1, 0);
                var w = b.randn(c.wShape(), 2, 0);
                var dy = b.randn(c.yShape(), 3, 0);
                Conv2dSpec spec = c.spec();
                rows.add(kernelRow(b, config, "conv fwd", name, warmup, reps, c.flops(), "TFLOP/s",
                        () -> b.conv2dForward(x, w, null, spec)));
                rows.add(kernelRow(b, config, "conv bwd-data", name, warmup, reps, c.flops(), "TFLOP/s",
                        () -> b.conv2dBackwardData(dy, w, c.xShape(), spec)));
                rows.add(kernelRow(b, config, "conv bwd-filter", name, warmup, reps, c.flops(), "TFLOP/s",
                        () -> b.conv2dBackwardFilter(dy, x, c.wShape(), spec)));
            } catch (RuntimeException e) {
                rows.add("| conv " + name + " | | " + config.label() + " | | - | failed: " + e + " |");
            }
        }
        var bn = Shape.of(batch, 64, 14, 14);
        try (var scope = TensorScope.open()) {
            var x = b.randn(bn, 1, 0);
            var g = b.full(Shape.of(64), 1f);
            var beta = b.zeros(Shape.of(64));
            var rm = b.zeros(Shape.of(64));
            var rv = b.full(Shape.of(64), 1f);
            rows.add(kernelRow(b, config, "batchnorm train fwd", bn.toString(), warmup, reps, 8.0 * bn.numel(), "GB/s",
                    () -> b.batchNormTrainForward(x, g, beta, rm, rv, 0.1f, 1e-5f).y()));
        } catch (RuntimeException e) {
            rows.add("| batchnorm | " + bn + " | " + config.label() + " | | - | failed: " + e + " |");
        }
        var rp = Shape.of(4096, 256);
        try (var scope = TensorScope.open()) {
            var mu = b.randn(rp, 1, 0);
            var lv = b.randn(rp, 2, 0);
            rows.add(kernelRow(b, config, "reparam fwd", rp.toString(), warmup, reps, 16.0 * rp.numel(), "GB/s",
                    () -> b.reparamForward(mu, lv, 3, 0).z()));
        } catch (RuntimeException e) {
            rows.add("| reparam | " + rp + " | " + config.label() + " | | - | failed: " + e + " |");
        }
        return rows;
    }

    private static String kernelRow(Backend b, BackendConfig config, String what, String shape, int warmup, int reps,
                                    double work, String unit, Supplier<Tensor> op) {
        Runnable once = () -> {
            try (var scope = TensorScope.open()) {
                op.get();
                b.synchronize();
            }
        };
        for (int i = 0; i < warmup; i++) once.run();
        double ms = Cuda.eventMillis(b, () -> {
            try (var scope = TensorScope.open()) {
                op.get();
            }
        }, reps);
        String clock = "events";
        if (Double.isNaN(ms)) {
            ms = wallMillis(once, reps);
            clock = "wall";
        }
        double divisor = unit.equals("TFLOP/s") ? 1e12 : 1e9;
        return String.format("| %s | %s | %s | %s | %.1f us | %.3g %s |", what, shape, config.label(), clock, ms * 1000, work / (ms / 1000) / divisor, unit);
    }

    private static String describe(Backend b) {
        try {
            return b.describe();
        } catch (RuntimeException e) {
            return b.name() + " (describe failed: " + e.getMessage() + ")";
        }
    }

    private static double wallMillis(Runnable run, int reps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) run.run();
        return (System.nanoTime() - t0) / 1e6 / reps;
    }
}
