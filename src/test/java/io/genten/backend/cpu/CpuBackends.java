package io.genten.backend.cpu;

import io.genten.backend.Backend;

/** For tests in other packages: the CPU backends to run a check on. */
public final class CpuBackends {
    private CpuBackends() {}

    /** Conv and linear on the plain-Java GEMM, as on a machine without OpenBLAS. */
    public static Backend javaGemm() { return CpuBackend.withJavaGemm(); }
}
