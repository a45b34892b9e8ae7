package io.genten.tensor;

/**
 * Counter-based Philox4x32-10 (Salmon et al., Random123), the one generator of Genten.
 * The same functions are implemented in {@code native/philox.cuh}, so random tensors, dropout
 * masks and reparameterization noise are the same on every backend.
 *
 * <p>Element {@code i} of a stream keyed by (seed, offset) comes from block {@code b = i / 4}, lane
 * {@code i % 4}: counter = (lo(b), hi(b), lo(offset), hi(offset)), key = (lo(seed), hi(seed)).
 * Uniform: {@code (x >>> 8) * 2^-24} in [0, 1). Normal: Box-Muller in double on the pairs
 * (x0, x1) and (x2, x3) of the block, {@code u1 = ((x >>> 8) + 1) * 2^-24} in (0, 1].
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    /** 2^-24: the step between uniforms (24 random bits each). */
    public static final float TWO_POW_M24 = 1.0f / (1 << 24);

    private Philox() {}

    /**
     * One Philox4x32-10 block: 4 random words for the given counter and key.
     *
     * @param c0 counter word 0
     * @param c1 counter word 1
     * @param c2 counter word 2
     * @param c3 counter word 3
     * @param k0 key word 0
     * @param k1 key word 1
     * @return the 4 output words
     */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int r = 0; r < 10; r++) {
            if (r > 0) { k0 += W0; k1 += W1; }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0;
            int n2 = hi0 ^ c3 ^ k1;
            c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /**
     * The four words of block {@code b} of stream (seed, offset).
     *
     * @param seed   the key
     * @param offset the stream
     * @param b      the block index (elements 4b to 4b+3)
     * @return the 4 words
     */
    public static int[] streamBlock(long seed, long offset, long b) {
        return block((int) b, (int) (b >>> 32), (int) offset, (int) (offset >>> 32), (int) seed, (int) (seed >>> 32));
    }

    /**
     * The random words of elements {@code [4 * firstBlock, 4 * (firstBlock + blocks))} of stream
     * (seed, offset), element order, into {@code out[0 .. 4 * blocks)}: the same values as
     * {@link #streamBlock} block by block, computed many blocks at a time in structure-of-arrays
     * form so that the JIT vectorizes the rounds (4x faster than block by block here).
     *
     * @param seed       the key
     * @param offset     the stream
     * @param firstBlock the first block
     * @param blocks     how many blocks
     * @param out        receives {@code 4 * blocks} words
     */
    public static void words(long seed, long offset, long firstBlock, int blocks, int[] out) {
        words(seed, offset, firstBlock, blocks, out, new Lanes());
    }

    /** {@link #words(long, long, long, int, int[])} computed in the caller's counters. */
    private static void words(long seed, long offset, long firstBlock, int blocks, int[] out, Lanes lanes) {
        int[] c0 = lanes.c0, c1 = lanes.c1, c2 = lanes.c2, c3 = lanes.c3;
        for (int j0 = 0; j0 < blocks; j0 += LANES) {
            int m = Math.min(LANES, blocks - j0);
            rounds(seed, offset, firstBlock + j0, m, c0, c1, c2, c3);
            for (int j = 0; j < m; j++) {
                int o = 4 * (j0 + j);
                out[o] = c0[j];
                out[o + 1] = c1[j];
                out[o + 2] = c2[j];
                out[o + 3] = c3[j];
            }
        }
    }

    /** The four counter words of {@link #LANES} blocks, one array per word (structure of arrays, which the JIT vectorizes). */
    private static final class Lanes {
        final int[] c0 = new int[LANES], c1 = new int[LANES], c2 = new int[LANES], c3 = new int[LANES];
    }

    /** What to do with the random words of one piece: element i's word is {@code words[i - from]}. */
    @FunctionalInterface
    public interface Piece {
        /**
         * Uses the words of elements [from, to).
         *
         * @param words the piece's words, from index 0 (valid until the next piece)
         * @param from  the piece's first element
         * @param to    one past its last element
         */
        void run(int[] words, int from, int to);
    }

    /** Elements drawn at a time: a multiple of 4 (no block straddles two pieces), and its words stay in L1. */
    private static final int PIECE = 1 << 10;

    /**
     * The random words of elements [lo, hi) of stream (seed, offset), handed to {@code body} 1,024
     * elements at a time in one small array and scratch (8 KB that stay in L1): how the fills and
     * dropout draw them. One array per word of every block of a 16K-element chunk (128 KB per chunk)
     * had been a tenth of a DCGAN step's allocations.
     *
     * @param seed   the key
     * @param offset the stream
     * @param lo     the first element, a multiple of 4
     * @param hi     one past the last element
     * @param body   called once per piece, in order
     */
    public static void wordsInPieces(long seed, long offset, int lo, int hi, Piece body) {
        if ((lo & 3) != 0) throw new IllegalArgumentException("Philox.wordsInPieces: lo = " + lo + " is not a multiple of 4");
        var w = new int[Math.min(Math.max(0, hi - lo) + 3, PIECE) & ~3];
        var lanes = new Lanes();
        for (int from = lo; from < hi; from += PIECE) {
            int to = Math.min(hi, from + PIECE);
            words(seed, offset, from >>> 2, (to - from + 3) / 4, w, lanes);
            body.run(w, from, to);
        }
    }

    /** Blocks computed together: long enough for the vectorized rounds, short enough for L1 (4 KB). */
    private static final int LANES = 256;

    /** The ten rounds for blocks [firstBlock, firstBlock + m), one lane per block, in place. */
    private static void rounds(long seed, long offset, long firstBlock, int m, int[] c0, int[] c1, int[] c2, int[] c3) {
        int o0 = (int) offset, o1 = (int) (offset >>> 32);
        for (int j = 0; j < m; j++) {
            long b = firstBlock + j;
            c0[j] = (int) b;
            c1[j] = (int) (b >>> 32);
            c2[j] = o0;
            c3[j] = o1;
        }
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int r = 0; r < 10; r++) {
            if (r > 0) { k0 += W0; k1 += W1; }
            for (int j = 0; j < m; j++) {
                long p0 = (M0 & 0xFFFFFFFFL) * (c0[j] & 0xFFFFFFFFL);
                long p1 = (M1 & 0xFFFFFFFFL) * (c2[j] & 0xFFFFFFFFL);
                int n0 = (int) (p1 >>> 32) ^ c1[j] ^ k0;
                int n2 = (int) (p0 >>> 32) ^ c3[j] ^ k1;
                c1[j] = (int) p1;
                c3[j] = (int) p0;
                c0[j] = n0;
                c2[j] = n2;
            }
        }
    }

    /**
     * Uniform in [0, 1) from one random word: exactly representable, the same on every backend.
     *
     * @param word a random word
     * @return its top 24 bits times 2^-24
     */
    public static float uniform(int word) {
        return (word >>> 8) * TWO_POW_M24;
    }

    /**
     * Fills {@code out} with uniforms in [0, 1): element i from lane i % 4 of block i / 4.
     *
     * @param seed   the key
     * @param offset the stream
     * @param out    the array to fill
     */
    public static void fillUniform(long seed, long offset, float[] out) {
        fillUniform(seed, offset, out, 0, out.length);
    }

    /**
     * Elements [from, to) of {@link #fillUniform(long, long, float[])}: ranges that meet fill the
     * array with the same values as one call, so a caller may split it across threads. Here on the
     * calling thread: the threads are the backend's business (a parallel stream had cost a fresh
     * JVM more than it saved while the JIT warmed up: 2.5M values, the DCGAN's initialization,
     * 105-176 ms in parallel against 86-95 ms on one thread).
     *
     * @param seed   the key
     * @param offset the stream
     * @param out    the array to fill
     * @param from   the first element, a multiple of 4 (no block straddles two ranges)
     * @param to     one past the last element, at most {@code out.length}
     */
    public static void fillUniform(long seed, long offset, float[] out, int from, int to) {
        checkRange("fillUniform", out, from, to);
        wordsInPieces(seed, offset, from, to, (w, lo, hi) -> {
            for (int i = lo; i < hi; i++) out[i] = uniform(w[i - lo]);
        });
    }

    /**
     * Fills {@code out} with standard normals (Box-Muller on the pairs of each block).
     *
     * @param seed   the key
     * @param offset the stream
     * @param out    the array to fill
     */
    public static void fillNormal(long seed, long offset, float[] out) {
        fillNormal(seed, offset, out, 0, out.length);
    }

    /**
     * Elements [from, to) of {@link #fillNormal(long, long, float[])}, on the calling thread (as
     * {@link #fillUniform(long, long, float[], int, int)}).
     *
     * @param seed   the key
     * @param offset the stream
     * @param out    the array to fill
     * @param from   the first element, a multiple of 4 (a block's two pairs stay together)
     * @param to     one past the last element, at most {@code out.length}
     */
    public static void fillNormal(long seed, long offset, float[] out, int from, int to) {
        checkRange("fillNormal", out, from, to);
        wordsInPieces(seed, offset, from, to, (w, lo, hi) -> {
            var four = new float[4];
            for (int i = lo; i < hi; i += 4) {
                int k = i - lo;
                boxMuller(w[k], w[k + 1], four, 0);
                boxMuller(w[k + 2], w[k + 3], four, 2);
                for (int lane = 0; lane < 4 && i + lane < hi; lane++) out[i + lane] = four[lane];
            }
        });
    }

    private static void checkRange(String op, float[] out, int from, int to) {
        if (from < 0 || to > out.length || from > to || (from & 3) != 0) {
            throw new IllegalArgumentException("Philox." + op + ": range [" + from + ", " + to + ") of an array of " + out.length
                    + " (from must be a multiple of 4, 0 <= from <= to <= length)");
        }
    }

    private static void boxMuller(int a, int b, float[] out, int at) {
        double u1 = ((a >>> 8) + 1) * (double) TWO_POW_M24;
        double u2 = (b >>> 8) * (double) TWO_POW_M24;
        double r = Math.sqrt(-2.0 * Math.log(u1));
        double theta = 2.0 * Math.PI * u2;
        out[at] = (float) (r * Math.cos(theta));
        out[at + 1] = (float) (r * Math.sin(theta));
    }
}
