package io.genten.bench;

import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import java.util.Map;

/**
 * One convolution shape as a plain conv: x (N,Cin,H,W), w (Cout,Cin,K,K), stride, padding.
 * A transposed-conv layer of the models is listed as the conv it is the data-gradient of, so
 * the three passes (forward, backward-data, backward-filter) of that conv cover all three of
 * the transposed layer. Parameter syntax: {@code name@N}, e.g. {@code gan.d2@256}.
 * The same table is in reference/shapes.py.
 */
public record ConvCase(String name, int n, int cin, int h, int w, int cout, int k, int stride, int pad) {

    private record Layer(int cin, int h, int cout, int k, int stride, int pad, String what) {}

    /** Every distinct conv shape of the DCGAN and the conv VAE, plus one large 3x3 layer. */
    private static final Map<String, Layer> LAYERS = Map.of(
            "gan.g1", new Layer(128, 7, 256, 5, 1, 2, "G conv1: ConvT 256->128 5x5 s1 at 7x7"),
            "gan.d2", new Layer(64, 14, 128, 5, 2, 2, "D conv2 64->128 5x5 s2 14->7; G conv2 ConvT 128->64 7->14"),
            "gan.d1", new Layer(1, 28, 64, 5, 2, 2, "D conv1 1->64 5x5 s2 28->14; G conv3 ConvT 64->1 14->28"),
            "vae.enc1", new Layer(1, 28, 32, 3, 2, 1, "enc1 1->32 3x3 s2 28->14"),
            "vae.enc2", new Layer(32, 14, 64, 3, 2, 1, "enc2 32->64 3x3 s2 14->7"),
            "vae.dec1", new Layer(64, 14, 64, 3, 2, 1, "dec1 ConvT 64->64 3x3 s2 7->14"),
            "vae.dec2", new Layer(32, 28, 64, 3, 2, 1, "dec2 ConvT 64->32 3x3 s2 14->28"),
            "vae.dec3", new Layer(32, 28, 1, 3, 1, 1, "dec3 32->1 3x3 s1 28->28"),
            "big", new Layer(256, 28, 256, 3, 1, 1, "256x28x28 -> 256 3x3 s1 (DESIGN.md's large TF32 reference)"));

    public static ConvCase parse(String param) {
        int at = param.indexOf('@');
        if (at < 0) throw new IllegalArgumentException("conv shape '" + param + "' must be name@N, names: " + LAYERS.keySet());
        var layer = LAYERS.get(param.substring(0, at));
        if (layer == null) throw new IllegalArgumentException("unknown conv layer '" + param + "', names: " + LAYERS.keySet());
        int n = Integer.parseInt(param.substring(at + 1));
        return new ConvCase(param, n, layer.cin, layer.h, layer.h, layer.cout, layer.k, layer.stride, layer.pad);
    }

    public Conv2dSpec spec() { return new Conv2dSpec(stride, pad); }

    public Shape xShape() { return Shape.of(n, cin, h, w); }

    public Shape wShape() { return Shape.of(cout, cin, k, k); }

    public int oh() { return (h + 2 * pad - k) / stride + 1; }

    public int ow() { return (w + 2 * pad - k) / stride + 1; }

    public Shape yShape() { return Shape.of(n, cout, oh(), ow()); }

    /** Multiply-adds times two; the same for each of the three passes. */
    public double flops() {
        return 2.0 * n * cout * oh() * ow() * cin * k * k;
    }
}
