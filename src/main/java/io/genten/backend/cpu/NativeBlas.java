package io.genten.backend.cpu;

/** A native SGEMM under {@link Gemm}: row-major, on heap arrays, bounds checked by the caller. */
sealed interface NativeBlas permits OnednnBlas, OpenBlas {
    /** The library and its version, as {@link Gemm#describe()} prints them. */
    String version();

    /** The library's own threads per call (every caller but one benchmark keeps 1: the backend parallelizes itself). */
    void setThreads(int threads);

    /** C = alpha op(A) op(B) + beta C. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
               float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc);

    /** The heap array from {@code offset} on, for a critical downcall that reads it in place. */
    static java.lang.foreign.MemorySegment heap(float[] array, int offset) {
        return java.lang.foreign.MemorySegment.ofArray(array).asSlice((long) offset * Float.BYTES);
    }
}
