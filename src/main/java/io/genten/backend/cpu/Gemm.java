package io.genten.backend.cpu;

import io.genten.backend.*;
import io.genten.tensor.*;
import java.util.List;

/** Row-major SGEMM: OpenBLAS when it loads, else the plain-Java reference. STUB: to be written. */
final class Gemm {
    private Gemm() {}

    static String describe() {
        throw new UnsupportedOperationException("Gemm not implemented yet");
    }
}
