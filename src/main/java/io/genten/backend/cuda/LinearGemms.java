package io.genten.backend.cuda;

/**
 * The three row-major products of a linear layer as column-major cuBLAS SGEMM calls.
 * A row-major r x c matrix is, in memory, the column-major c x r matrix of its transpose, so each
 * row-major product P = Q R is computed as P^T = R^T Q^T with the operands swapped.
 * Kept apart from cuBLAS so a host test can check the parameters with a column-major reference.
 */
final class LinearGemms {
    private LinearGemms() {}

    /** C (m x n, ldc) = op(A) op(B), all column-major; a, b, c are addresses. */
    record Call(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long b, int ldb, long c, int ldc) {}

    /** y (N,out) = x (N,in) w^T with w (out,in): y^T (out x N) = w (seen in x out, transposed) x^T (seen in x N). */
    static Call forward(int n, int in, int out, long x, long w, long y) {
        return new Call(true, false, out, n, in, w, in, x, in, y, out);
    }

    /** dx (N,in) = dy (N,out) w (out,in): dx^T (in x N) = w (seen in x out) dy^T (seen out x N). */
    static Call backwardData(int n, int in, int out, long dy, long w, long dx) {
        return new Call(false, false, in, n, out, w, in, dy, out, dx, in);
    }

    /** dw (out,in) = dy^T x: dw^T (in x out) = x^T (seen in x N) dy (seen out x N, transposed). */
    static Call backwardWeight(int n, int in, int out, long dy, long x, long dw) {
        return new Call(false, true, in, out, n, x, in, dy, out, dw, in);
    }
}
