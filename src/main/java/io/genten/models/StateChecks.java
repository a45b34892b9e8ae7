package io.genten.models;

import io.genten.io.CheckpointException;
import io.genten.io.Printable;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a loaded checkpoint or training state must satisfy before it reaches a model: the names
 * and shapes the model expects (checked from the header, before any tensor data is read), and
 * values that can be trained on (finite; running and second-moment variances not negative). A
 * file failing either is refused naming the tensor, instead of drawing black images later.
 */
final class StateChecks {
    private StateChecks() {}

    /** Every expected name with its shape, and nothing else; {@code hint} (may be empty) is added after unexpected names. */
    static void checkNames(Path file, String what, Map<String, Shape> expected, Map<String, Shape> found, String hint) throws CheckpointException {
        var missing = new TreeSet<String>();
        var unexpected = new TreeSet<String>();
        var misshapen = new ArrayList<String>();
        for (var e : expected.entrySet()) {
            var s = found.get(e.getKey());
            if (s == null) missing.add(e.getKey());
            else if (!s.equals(e.getValue())) misshapen.add(e.getKey() + " " + s + " (expected " + e.getValue() + ")");
        }
        for (var name : found.keySet()) if (!expected.containsKey(name)) unexpected.add(Printable.of(name));
        if (missing.isEmpty() && unexpected.isEmpty() && misshapen.isEmpty()) return;
        throw new CheckpointException(file + ": does not match the " + what + ": "
                + (missing.isEmpty() ? "" : "missing " + cut(missing) + "; ")
                + (unexpected.isEmpty() ? "" : "unexpected " + cut(unexpected) + hint + "; ")
                + (misshapen.isEmpty() ? "" : "wrong shape " + cut(misshapen)));
    }

    private static String cut(java.util.Collection<String> names) {
        if (names.size() <= 10) return names.toString();
        return names.stream().limit(10).toList().toString().replace("]", ", ... " + (names.size() - 10) + " more]");
    }

    /** Finite everywhere; variances ({@code running_var}, {@code exp_avg_sq}) not negative. */
    static void checkValues(Path file, Map<String, Tensor> tensors) throws CheckpointException {
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            boolean variance = name.endsWith("running_var") || name.endsWith(".exp_avg_sq");
            float[] v = e.getValue().toArray();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new CheckpointException(file + ": tensor '" + Printable.of(name) + "' holds " + v[i] + " at index " + i
                            + " (a diverged run?); refusing to load non-finite weights");
                }
                if (variance && v[i] < 0) {
                    throw new CheckpointException(file + ": tensor '" + Printable.of(name) + "' holds the negative variance " + v[i] + " at index " + i);
                }
            }
        }
    }

    static Map<String, Shape> shapes(Map<String, Tensor> tensors) {
        var out = new java.util.LinkedHashMap<String, Shape>();
        tensors.forEach((k, t) -> out.put(k, t.shape()));
        return out;
    }
}
