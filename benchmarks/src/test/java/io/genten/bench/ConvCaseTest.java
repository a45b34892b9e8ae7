package io.genten.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.genten.backend.Conv2dSpec;
import io.genten.tensor.Shape;
import org.junit.jupiter.api.Test;

/** The benchmark shapes are the models' layers: checked against the library's own shape rules. */
class ConvCaseTest {

    @Test void plainConvLayersMatchTheLibrarysOutputShape() {
        for (var name : new String[] {"gan.d1@64", "gan.d2@256", "vae.enc1@64", "vae.enc2@1024", "vae.dec3@64", "big@128"}) {
            var c = ConvCase.parse(name);
            assertEquals(new Conv2dSpec(c.stride(), c.pad()).outputShape("conv", c.xShape(), c.wShape()), c.yShape(), name);
        }
        assertEquals(Shape.of(64, 128, 7, 7), ConvCase.parse("gan.d2@64").yShape());
        assertEquals(Shape.of(64, 1, 28, 28), ConvCase.parse("vae.dec3@64").yShape());
    }

    /** A transposed layer's forward is the listed conv's backward-data: input = the conv's y, output = its x. */
    @Test void transposedLayersAreTheDataGradientOfTheListedConv() {
        // generator conv1: ConvT 256->128 5x5 s1 p2 at 7x7
        check("gan.g1@64", Shape.of(64, 256, 7, 7), Shape.of(256, 128, 5, 5), 1, 2, 0);
        // generator conv2: ConvT 128->64 5x5 s2 p2 op1, 7 -> 14
        check("gan.d2@64", Shape.of(64, 128, 7, 7), Shape.of(128, 64, 5, 5), 2, 2, 1);
        // generator conv3: ConvT 64->1 5x5 s2 p2 op1, 14 -> 28
        check("gan.d1@64", Shape.of(64, 64, 14, 14), Shape.of(64, 1, 5, 5), 2, 2, 1);
        // VAE dec1: ConvT 64->64 3x3 s2 p1 op1, 7 -> 14; dec2: ConvT 64->32, 14 -> 28
        check("vae.dec1@64", Shape.of(64, 64, 7, 7), Shape.of(64, 64, 3, 3), 2, 1, 1);
        check("vae.dec2@64", Shape.of(64, 64, 14, 14), Shape.of(64, 32, 3, 3), 2, 1, 1);
    }

    private static void check(String name, Shape tIn, Shape tWeight, int stride, int pad, int outputPadding) {
        var c = ConvCase.parse(name);
        var tOut = new Conv2dSpec(stride, pad).transposedOutputShape("convT", tIn, tWeight, outputPadding);
        assertEquals(tOut, c.xShape(), name + ": transposed output vs conv input");
        assertEquals(tIn, c.yShape(), name + ": transposed input vs conv output");
        assertEquals(tWeight, c.wShape(), name + ": weights (Cin_t, Cout_t, k, k) = conv (Cout, Cin, k, k)");
        assertEquals(stride, c.stride(), name);
        assertEquals(pad, c.pad(), name);
    }

    @Test void flopsAreTwiceTheMultiplyAdds() {
        var c = ConvCase.parse("gan.d2@256");
        assertEquals(2.0 * 256 * 128 * 7 * 7 * 64 * 25, c.flops());
    }

    @Test void badNamesSayWhatExists() {
        var e = assertThrows(IllegalArgumentException.class, () -> ConvCase.parse("gan.d9@64"));
        assertEquals(true, e.getMessage().contains("gan.d2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConvCase.parse("gan.d2"));
    }
}
