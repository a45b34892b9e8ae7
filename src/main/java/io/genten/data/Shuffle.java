package io.genten.data;

import io.genten.tensor.Philox;

/**
 * Seeded permutations from the project's Philox4x32-10 stream, so the order of an epoch is the same on
 * every machine and JDK (and reproducible outside Java): Fisher-Yates from the top, each index
 * drawn from the next 32-bit words of stream (seed, offset) by Lemire's unbiased multiply-and-reject.
 */
public final class Shuffle {
    /** Tags the Philox offset so that data order never shares a stream with weight init or noise. */
    static final long OFFSET_TAG = 0x5348_0000_0000_0000L; // "SH"

    private Shuffle() {}

    /**
     * A permutation of 0..n-1 for (seed, epoch).
     *
     * @param n     the number of items
     * @param seed  the Philox key
     * @param epoch the epoch (the stream)
     * @return the permutation
     */
    public static int[] permutation(int n, long seed, long epoch) {
        if (n < 0) throw new IllegalArgumentException("Shuffle.permutation: negative size " + n);
        if (epoch < 0 || epoch >= 1L << 48) throw new IllegalArgumentException("Shuffle.permutation: epoch " + epoch + " out of range");
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        var words = new Words(seed, OFFSET_TAG | epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = words.below(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /** The 32-bit words of one Philox stream, in order (package-private for the rejection tests). */
    static final class Words {
        private final long seed, offset;
        private long block;
        private int[] cur;
        private int lane = 4;

        Words(long seed, long offset) {
            this.seed = seed;
            this.offset = offset;
        }

        long next() {
            if (lane == 4) {
                cur = Philox.streamBlock(seed, offset, block++);
                lane = 0;
            }
            return cur[lane++] & 0xFFFFFFFFL;
        }

        /** Uniform in [0, bound) without modulo bias (Lemire 2019). */
        int below(int bound) {
            long b = bound;
            long m = next() * b;
            long low = m & 0xFFFFFFFFL;
            if (low < b) {
                long threshold = (0x1_0000_0000L - b) % b;
                while (low < threshold) {
                    m = next() * b;
                    low = m & 0xFFFFFFFFL;
                }
            }
            return (int) (m >>> 32);
        }
    }
}
