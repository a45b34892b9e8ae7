package io.genten.models;

import io.genten.tensor.Tensor;
import java.util.Map;

/** Finiteness checks of losses and tensors, for the trainers and the training state's commit. */
final class Finite {
    /** Steps between the trainers' parameter checks: one pass over the weights, cheap beside 64 steps of work. */
    static final int PARAMETER_CHECK_EVERY = 64;

    private Finite() {}

    /** "name[i] = NaN" for the first non-finite value among the tensors, or null when all are finite. */
    static String firstNonFinite(Map<String, Tensor> tensors) {
        for (var e : tensors.entrySet()) {
            String bad = firstNonFinite(e.getKey(), e.getValue().toArray());
            if (bad != null) return bad;
        }
        return null;
    }

    static String firstNonFinite(String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) return name + "[" + i + "] = " + values[i];
        }
        return null;
    }

    /** Throws {@link DivergedException} naming the step and every loss when one of them is not finite. */
    static void checkLosses(long step, String[] names, float... values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                var b = new StringBuilder("loss ");
                for (int i = 0; i < names.length; i++) b.append(i == 0 ? "" : ", ").append(names[i]).append(' ').append(values[i]);
                throw new DivergedException(step, b.toString());
            }
        }
    }

    /** Every {@link #PARAMETER_CHECK_EVERY} steps: throws when a parameter is not finite. */
    static void checkParametersNowAndThen(long step, Map<String, Tensor> params) {
        if (step % PARAMETER_CHECK_EVERY != 0) return;
        String bad = firstNonFinite(params);
        if (bad != null) throw new DivergedException(step, "parameter " + bad);
    }
}
