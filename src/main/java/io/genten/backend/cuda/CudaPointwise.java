package io.genten.backend.cuda;

import io.genten.backend.Activation;
import io.genten.backend.Checks;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * The pointwise ops and the reductions on CUDA ({@code native/elementwise.cu}): activations,
 * dropout, add, axpy, scale, sum and mean. Also the activation codes of genten.h, which the fused
 * epilogues of conv and batch normalization share.
 */
final class CudaPointwise {
    private CudaPointwise() {}

    private static final int ACT_IDENTITY = 0, ACT_RELU = 1, ACT_LEAKY_RELU = 2, ACT_TANH = 3, ACT_SIGMOID = 4;

    /** GENTEN_ACT_* of genten.h. */
    static int actCode(Activation act) {
        return switch (act) {
            case Activation.Identity i -> ACT_IDENTITY;
            case Activation.Relu r -> ACT_RELU;
            case Activation.LeakyRelu l -> ACT_LEAKY_RELU;
            case Activation.Tanh t -> ACT_TANH;
            case Activation.Sigmoid s -> ACT_SIGMOID;
        };
    }

    static float actAlpha(Activation act) {
        return act instanceof Activation.LeakyRelu l ? l.alpha() : 0f;
    }

    /** y = act(y) in place (the elementwise kernel reads and writes each element once). */
    static void activateInPlace(CudaBackend b, String op, Activation act, Tensor y) {
        if (!(act instanceof Activation.Identity) && y.numel() > 0) {
            b.check(Native.activationForward(actCode(act), actAlpha(act), CudaBackend.p(y), CudaBackend.p(y), y.numel(), b.stream()),
                    op + " " + act, y);
        }
    }

    static Tensor activationForward(CudaBackend b, Activation act, Tensor x) {
        String op = "activationForward";
        Checks.on(op, b.device(), x);
        var y = b.alloc(op, x.shape());
        if (y.numel() > 0) {
            b.check(Native.activationForward(actCode(act), actAlpha(act), CudaBackend.p(x), CudaBackend.p(y), x.numel(), b.stream()),
                    op + " " + act, x);
        }
        return y;
    }

    static Tensor activationBackward(CudaBackend b, Activation act, Tensor x, Tensor y, Tensor dy) {
        String op = "activationBackward";
        Checks.on(op, b.device(), x, y, dy);
        Checks.sameShape(op, x, y);
        Checks.sameShape(op, x, dy);
        var dx = b.alloc(op, x.shape());
        if (dx.numel() > 0) {
            b.check(Native.activationBackward(actCode(act), actAlpha(act), CudaBackend.p(x), CudaBackend.p(y), CudaBackend.p(dy),
                    CudaBackend.p(dx), x.numel(), b.stream()), op + " " + act, x);
        }
        return dx;
    }

    static Tensor dropout(CudaBackend b, String op, Tensor x, float p, long seed, long offset) {
        Checks.on(op, b.device(), x);
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException(op + ": p = " + p + " must be in [0, 1), tensor " + x.shape());
        var y = b.alloc(op, x.shape());
        if (y.numel() > 0) {
            b.check(Native.dropout(CudaBackend.p(x), CudaBackend.p(y), x.numel(), p, seed, offset, b.counter(), b.stream()), op, x);
        }
        return y;
    }

    static Tensor add(CudaBackend b, Tensor x, Tensor y) {
        String op = "add";
        Checks.on(op, b.device(), x, y);
        Checks.sameShape(op, x, y);
        var out = b.alloc(op, x.shape());
        if (out.numel() > 0) b.check(Native.add(CudaBackend.p(x), CudaBackend.p(y), CudaBackend.p(out), x.numel(), b.stream()), op, x, y);
        return out;
    }

    static void addInPlace(CudaBackend b, Tensor acc, Tensor x) {
        Checks.on("addInPlace", b.device(), acc, x);
        Checks.sameShape("addInPlace", acc, x);
        if (acc.numel() > 0) b.check(Native.axpy(CudaBackend.p(acc), CudaBackend.p(x), 1f, acc.numel(), b.stream()), "addInPlace", acc, x);
    }

    static Tensor scale(CudaBackend b, Tensor x, float s) {
        String op = "scale";
        Checks.on(op, b.device(), x);
        var out = b.alloc(op, x.shape());
        if (out.numel() > 0) b.check(Native.scale(CudaBackend.p(x), CudaBackend.p(out), s, x.numel(), b.stream()), op, x);
        return out;
    }

    /** scale * sum(t) into a scalar; {@code ifEmpty} when t has no elements (the sum kernel rejects n = 0). */
    static Tensor reduce(CudaBackend b, String op, Tensor t, float scale, float ifEmpty) {
        Checks.on(op, b.device(), t);
        var out = b.alloc(op, Shape.scalar());
        if (t.numel() == 0) b.fill(out, ifEmpty);
        else b.check(Native.sum(CudaBackend.p(t), CudaBackend.p(out), t.numel(), scale, b.stream()), op, t);
        return out;
    }
}
