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
    public static final float TWO_POW_M24 = 1.0f / (1 << 24);

    private Philox() {}

    /** One Philox4x32-10 block: 4 random words for the given counter and key. */
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

    /** The four words of block {@code b} of stream (seed, offset). */
    public static int[] streamBlock(long seed, long offset, long b) {
        return block((int) b, (int) (b >>> 32), (int) offset, (int) (offset >>> 32), (int) seed, (int) (seed >>> 32));
    }

    /** Uniform in [0, 1) from one random word: exactly representable, the same on every backend. */
    public static float uniform(int word) {
        return (word >>> 8) * TWO_POW_M24;
    }

    /** Elements per parallel chunk: a multiple of 4, so a Philox block never straddles two chunks. */
    private static final int CHUNK = 1 << 14;

    public static void fillUniform(long seed, long offset, float[] out) {
        forChunks(out.length, (from, to) -> {
            for (int i = from; i < to; i += 4) {
                int[] x = streamBlock(seed, offset, i >>> 2);
                for (int lane = 0; lane < 4 && i + lane < to; lane++) out[i + lane] = uniform(x[lane]);
            }
        });
    }

    public static void fillNormal(long seed, long offset, float[] out) {
        forChunks(out.length, (from, to) -> {
            var four = new float[4];
            for (int i = from; i < to; i += 4) {
                int[] x = streamBlock(seed, offset, i >>> 2);
                boxMuller(x[0], x[1], four, 0);
                boxMuller(x[2], x[3], four, 2);
                for (int lane = 0; lane < 4 && i + lane < to; lane++) out[i + lane] = four[lane];
            }
        });
    }

    private interface Range { void run(int from, int to); }

    /** Every element depends only on its index, so chunks may run in any order on any thread. */
    private static void forChunks(int n, Range body) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        java.util.stream.IntStream.range(0, chunks).parallel()
                .forEach(c -> body.run(c * CHUNK, Math.min(n, (c + 1) * CHUNK)));
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
