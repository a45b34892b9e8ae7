package io.genten.backend.cpu;

import static io.genten.backend.cpu.CpuPointwise.chunked;

import io.genten.backend.AdamConfig;
import io.genten.backend.Checks;
import io.genten.tensor.Tensor;
import java.util.List;

/**
 * torch.optim.Adam (and AdamW with {@code decoupled}) over all parameters, in place:
 * g' = g + wd p (coupled); m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
 * p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps); decoupled shrinks p by lr wd first.
 * Each element is updated in double and stored as float.
 */
final class CpuAdam {
    private CpuAdam() {}

    static void step(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, AdamConfig config, long step) {
        String op = "adamStep";
        if (params == null || grads == null || m == null || v == null || config == null) {
            throw new IllegalArgumentException(op + ": null argument");
        }
        if (grads.size() != params.size() || m.size() != params.size() || v.size() != params.size()) {
            throw new IllegalArgumentException(op + ": list lengths differ: params " + params.size() + ", grads " + grads.size()
                    + ", m " + m.size() + ", v " + v.size());
        }
        if (step < 1) throw new IllegalArgumentException(op + ": step counts from 1 but is " + step);
        for (int i = 0; i < params.size(); i++) {
            var p = params.get(i);
            if (p == null || grads.get(i) == null || m.get(i) == null || v.get(i) == null) {
                throw new IllegalArgumentException(op + ": null tensor at index " + i);
            }
            Checks.sameShape(op + " (grad " + i + ")", p, grads.get(i));
            Checks.sameShape(op + " (m " + i + ")", p, m.get(i));
            Checks.sameShape(op + " (v " + i + ")", p, v.get(i));
        }
        double b1 = decimal(config.beta1()), b2 = decimal(config.beta2()), lr = decimal(config.lr());
        double eps = decimal(config.eps()), wd = decimal(config.weightDecay());
        double bc1 = 1.0 - Math.pow(b1, step), bc2 = 1.0 - Math.pow(b2, step);
        double shrink = config.decoupled() ? 1.0 - lr * wd : 1.0;
        double coupledWd = config.decoupled() ? 0.0 : wd;
        for (int i = 0; i < params.size(); i++) {
            float[] p = params.get(i).hostArray(), g = grads.get(i).hostArray();
            float[] ms = m.get(i).hostArray(), vs = v.get(i).hostArray();
            chunked(params.get(i).shape().size(), (lo, hi) -> {
                for (int k = lo; k < hi; k++) {
                    double pk = p[k];
                    double gk = g[k] + coupledWd * pk;
                    double mk = b1 * ms[k] + (1.0 - b1) * gk;
                    double vk = b2 * vs[k] + (1.0 - b2) * gk * gk;
                    ms[k] = (float) mk;
                    vs[k] = (float) vk;
                    p[k] = (float) (pk * shrink - lr * (mk / bc1) / (Math.sqrt(vk / bc2) + eps));
                }
            });
        }
    }

    /**
     * The double a user meant by a float literal (0.999f -> 0.999): PyTorch's hyperparameters are
     * Python doubles, and 1 - beta2 read from the float would be off by 1.3e-5 relative.
     */
    private static double decimal(float f) {
        return Double.parseDouble(Float.toString(f));
    }
}
