package io.genten.backend.cuda;

import static io.genten.backend.cuda.CudaBackend.address;
import static io.genten.backend.cuda.CudaBackend.p;
import static io.genten.backend.cuda.CudaPointwise.actAlpha;
import static io.genten.backend.cuda.CudaPointwise.actCode;

import io.genten.backend.Activation;
import io.genten.backend.BatchNormGradients;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.BatchNormOutput;
import io.genten.backend.Checks;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;

/**
 * Batch normalization on CUDA, rank 2 (N, C) or 4 (N, C, H, W): our kernels
 * ({@code native/batchnorm.cu}, {@code BatchNormImpl.NATIVE}, with the activation fused into the
 * normalize pass) or cuDNN ({@link CudnnOps}, {@code BatchNormImpl.CUDNN}, where eps is at least
 * cuDNN's minimum; then the activation is one in-place pass).
 */
final class CudaBatchNorm {
    private CudaBatchNorm() {}

    private static int[] dims(String op, Tensor x) {
        if (x.rank() != 2 && x.rank() != 4) throw new IllegalArgumentException(op + ": x " + x.shape() + " must have rank 2 or 4");
        int n = x.dim(0), c = x.dim(1), hw = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1;
        return new int[] {n, c, hw};
    }

    private static boolean useCudnn(CudaBackend b, float eps) {
        return b.options().batchNorm() == BatchNormImpl.CUDNN && eps >= CudnnOps.minEpsilon();
    }

    static BatchNormOutput trainForward(CudaBackend b, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                        float momentum, float eps, Activation act) {
        String op = "batchNormTrainForward";
        Checks.on(op, b.device(), x, gamma, beta, runningMean, runningVar);
        int[] d = dims(op, x);
        for (var t : new Tensor[] {gamma, beta, runningMean, runningVar}) Checks.lengths(op, t, d[1]);
        if ((long) d[0] * d[2] < 2) {
            throw new IllegalArgumentException(op + ": x " + x.shape() + " has fewer than 2 values per channel; training needs a batch variance");
        }
        var y = b.alloc(op, x.shape());
        var saveMean = b.alloc(op, Shape.of(d[1]));
        var saveInvStd = b.alloc(op, Shape.of(d[1]));
        if (d[1] == 0) return new BatchNormOutput(y, saveMean, saveInvStd); // no channels: nothing to compute (the kernels reject C = 0)
        if (useCudnn(b, eps)) {
            b.cudnn().batchNormTrainForward(op, x.shape(), address(x), address(gamma), address(beta), address(y), address(runningMean),
                    address(runningVar), address(saveMean), address(saveInvStd), momentum, eps);
            CudaPointwise.activateInPlace(b, op, act, y);
        } else {
            b.check(Native.batchnormTrainForward(p(x), p(gamma), p(beta), p(y), p(saveMean), p(saveInvStd), p(runningMean), p(runningVar),
                    d[0], d[1], d[2], momentum, eps, actCode(act), actAlpha(act), b.stream()), op, x, gamma);
        }
        return new BatchNormOutput(y, saveMean, saveInvStd);
    }

    static BatchNormGradients backward(CudaBackend b, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        String op = "batchNormBackward";
        Checks.on(op, b.device(), dy, x, gamma, saveMean, saveInvStd);
        Checks.sameShape(op, dy, x);
        int[] d = dims(op, x);
        for (var t : new Tensor[] {gamma, saveMean, saveInvStd}) Checks.lengths(op, t, d[1]);
        var dx = b.alloc(op, x.shape());
        var dgamma = b.alloc(op, Shape.of(d[1]));
        var dbeta = b.alloc(op, Shape.of(d[1]));
        if (x.numel() == 0) {
            // an empty batch (N or H*W = 0): the sums are 0, as on the CPU; the kernels and cuDNN reject it
            if (d[1] > 0) {
                b.fill(dgamma, 0f);
                b.fill(dbeta, 0f);
            }
            return new BatchNormGradients(dx, dgamma, dbeta);
        }
        if (b.options().batchNorm() == BatchNormImpl.CUDNN) {
            // eps only validates here: cuDNN uses the saved mean and inverse std of the forward
            b.cudnn().batchNormBackward(op, x.shape(), address(x), address(dy), address(dx), address(gamma), address(dgamma), address(dbeta),
                    address(saveMean), address(saveInvStd), Math.max(CudnnOps.minEpsilon(), 1e-5));
        } else {
            b.check(Native.batchnormBackward(p(dy), p(x), p(gamma), p(saveMean), p(saveInvStd), p(dx), p(dgamma), p(dbeta),
                    d[0], d[1], d[2], b.stream()), op, dy, x);
        }
        return new BatchNormGradients(dx, dgamma, dbeta);
    }

    static Tensor inference(CudaBackend b, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps,
                            Activation act) {
        String op = "batchNormInference";
        Checks.on(op, b.device(), x, gamma, beta, runningMean, runningVar);
        int[] d = dims(op, x);
        for (var t : new Tensor[] {gamma, beta, runningMean, runningVar}) Checks.lengths(op, t, d[1]);
        var y = b.alloc(op, x.shape());
        if (y.numel() == 0) return y;
        if (useCudnn(b, eps)) {
            b.cudnn().batchNormInference(op, x.shape(), address(x), address(gamma), address(beta), address(runningMean), address(runningVar),
                    address(y), eps);
            CudaPointwise.activateInPlace(b, op, act, y);
        } else {
            b.check(Native.batchnormInference(p(x), p(gamma), p(beta), p(runningMean), p(runningVar), p(y), d[0], d[1], d[2], eps,
                    actCode(act), actAlpha(act), b.stream()), op, x, gamma);
        }
        return y;
    }
}
