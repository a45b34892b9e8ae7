package io.genten.data;

/** How pixel bytes 0..255 become floats: [0, 1] for the VAE (a Bernoulli/BCE target), [-1, 1] for the GAN (tanh output). */
public enum Scaling {
    /** p / 255: 0 -> 0, 255 -> 1. */
    UNIT(0f, 1f),
    /** p / 127.5 - 1: 0 -> -1, 255 -> 1 exactly. */
    SYMMETRIC(-1f, 1f);

    private final float lo, hi;
    private final float[] table = new float[256];

    Scaling(float lo, float hi) {
        this.lo = lo;
        this.hi = hi;
        for (int p = 0; p < 256; p++) table[p] = (float) (lo + (hi - lo) * (p / 255.0));
    }

    /**
     * The value of pixel byte 0.
     *
     * @return the low end of the range
     */
    public float lo() { return lo; }

    /**
     * The value of pixel byte 255.
     *
     * @return the high end of the range
     */
    public float hi() { return hi; }

    /**
     * The float of one pixel byte (its unsigned value).
     *
     * @param pixel the byte
     * @return the scaled value
     */
    public float apply(byte pixel) { return table[pixel & 0xFF]; }

    /**
     * Every byte scaled, into a new array.
     *
     * @param pixels the bytes
     * @return the scaled values
     */
    public float[] apply(byte[] pixels) {
        var out = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) out[i] = table[pixels[i] & 0xFF];
        return out;
    }
}
