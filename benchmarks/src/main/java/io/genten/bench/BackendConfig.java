package io.genten.bench;

import io.genten.backend.Backend;
import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;
import io.genten.backend.cpu.CpuBackend;

/**
 * What a benchmark runs on: the backend name and, for CUDA, the math mode and the conv and
 * batchnorm implementations. The CPU backend has one implementation in strict FP32, so any
 * other choice there is skipped rather than measured twice under a wrong label.
 */
public record BackendConfig(String backend, MathMode math, ConvImpl convImpl, BatchNormImpl bnImpl) {

    public static BackendConfig of(String backend, String math, String convImpl, String bnImpl) {
        return new BackendConfig(backend, MathMode.valueOf(math), ConvImpl.valueOf(convImpl), BatchNormImpl.valueOf(bnImpl));
    }

    /** Opens the backend, or throws {@link Skip} naming why this combination does not run here. */
    public Backend open() {
        return switch (backend) {
            case "cpu" -> {
                Skip.unless(math == MathMode.FP32, "cpu computes strict FP32 only (math=" + math + ")");
                Skip.unless(convImpl == ConvImpl.NATIVE && bnImpl == BatchNormImpl.NATIVE, "cpu has no cuDNN (impl=" + convImpl + "/" + bnImpl + ")");
                yield CpuBackend.get();
            }
            case "cuda" -> Cuda.open(math, convImpl, bnImpl);
            default -> throw new IllegalArgumentException("backend must be cpu or cuda, not " + backend);
        };
    }

    public boolean isCpu() { return backend.equals("cpu"); }

    /** A short label for printouts: "cpu" or "cuda/CUDNN/TF32". */
    public String label() {
        return isCpu() ? "cpu" : "cuda/" + convImpl + "/" + bnImpl + "/" + math;
    }
}
