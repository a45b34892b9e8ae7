package io.genten.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Philox;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * The data order's edges. Lemire's bounded draw where its rejection branch matters. With small bounds a word is rejected
 * once in billions, so the permutations of the data never exercise it; a bound just above 2^32 / 3
 * rejects a third of the words. The oracle is the definition, written with big integers: the draw
 * is floor(x * b / 2^32) for the first word x whose (x * b mod 2^32) is at least 2^32 mod b. Also
 * empty and one-element permutations, the epoch's range, a batch as large as the dataset, and a
 * batch freeing its images.
 */
class ShuffleAndBatchEdgesTest {
    private static final long TWO_32 = 1L << 32;

    /** The definition: consumes words of the stream from {@code next[0]} (a word index) and returns the draw. */
    private static int definition(long seed, long offset, long bound, long[] next) {
        var b = BigInteger.valueOf(bound);
        var twoTo32 = BigInteger.valueOf(TWO_32);
        var threshold = twoTo32.mod(b);
        while (true) {
            long w = next[0]++;
            long x = Philox.streamBlock(seed, offset, w / 4)[(int) (w % 4)] & 0xFFFFFFFFL;
            var product = BigInteger.valueOf(x).multiply(b);
            if (product.mod(twoTo32).compareTo(threshold) >= 0) return product.shiftRight(32).intValueExact();
        }
    }

    @Test void boundsThatRejectOftenDrawWhatTheDefinitionSays() {
        long seed = 20261201L, offset = 7;
        // 2^32 mod b for b = floor(2^32 / 3) + 1 is about b: a third of the words rejected
        int[] bounds = {(int) (TWO_32 / 3 + 1), Integer.MAX_VALUE, 1 << 30, 3, 1};
        for (int bound : bounds) {
            var words = new Shuffle.Words(seed, offset);
            long[] next = {0};
            int rejectedWords = 0;
            for (int k = 0; k < 2000; k++) {
                long before = next[0];
                int expected = definition(seed, offset, bound, next);
                rejectedWords += (int) (next[0] - before - 1);
                int got = words.below(bound);
                assertEquals(expected, got, "bound " + bound + ", draw " + k);
                assertTrue(got >= 0 && got < bound);
            }
            if (bound == (int) (TWO_32 / 3 + 1)) assertTrue(rejectedWords > 500, "the test reaches the rejection loop: " + rejectedWords + " words rejected");
            // the two streams stayed in step: the next word is the same
            assertEquals(definition(seed, offset, 1L << 30, next), words.below(1 << 30), "bound " + bound + ": words consumed");
        }
    }

    @Test void emptyAndSingletonPermutationsAndTheEpochRange() {
        assertArrayEquals(new int[0], Shuffle.permutation(0, 1, 0));
        assertArrayEquals(new int[] {0}, Shuffle.permutation(1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Shuffle.permutation(-1, 1, 0));
        assertDoesNotThrow(() -> Shuffle.permutation(3, 1, (1L << 48) - 1));
        var e = assertThrows(IllegalArgumentException.class, () -> Shuffle.permutation(3, 1, 1L << 48));
        assertTrue(e.getMessage().contains("epoch " + (1L << 48)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shuffle.permutation(3, 1, -1));
    }

    /** A gzip stream cut inside its own header (found by fuzzing) and one whose header is invalid: each says which. */
    @Test void brokenGzipSaysWhereItBroke() throws Exception {
        var cut = new java.io.ByteArrayInputStream(new byte[] {0x1f, (byte) 0x8b, 8});
        var e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(cut, "cut.gz"));
        assertTrue(e.getMessage().contains("cut.gz: corrupt or truncated gzip stream: ends inside the gzip header"), e.getMessage());
        // a whole gzip header naming compression method 7 (only 8, deflate, exists): the JDK's reason is kept
        byte[] method7 = {0x1f, (byte) 0x8b, 7, 0, 0, 0, 0, 0, 0, 3};
        var bad = new java.io.ByteArrayInputStream(method7);
        e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(bad, "bad.gz"));
        assertTrue(e.getMessage().startsWith("bad.gz: corrupt or truncated gzip stream: Unsupported compression method"), e.getMessage());
    }

    @Test void aBatchAsLargeAsTheDatasetIsOneBatchPerEpoch() {
        var data = new Dataset(new float[4 * 4], new int[] {0, 1, 2, 3}, 4, 2, 2, Scaling.UNIT);
        var batches = new Batches(data, 4, 1, true);
        assertEquals(1, batches.batchesPerEpoch());
        assertThrows(IllegalArgumentException.class, () -> new Batches(data, 5, 1, true));
        assertEquals(1, new Batches(data, 5, 1, false).batchesPerEpoch(), "without dropping, one partial batch");
        var images = io.genten.tensor.Tensor.randn(1, 0, 2, 1, 2, 2);
        new Batch(images, new int[] {3, 1}, 0, 0).close();
        assertTrue(images.isClosed(), "closing a batch frees its images");
    }
}
