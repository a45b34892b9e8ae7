package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngGridTest {
    @TempDir Path dir;

    private static int expectedByte(float v, float lo, float hi) {
        if (Float.isNaN(v)) return 0;
        return (int) Math.max(0, Math.min(255, Math.round((v - (double) lo) / ((double) hi - lo) * 255.0)));
    }

    @Test void gridHasTheRightSizeAndPixels() throws IOException {
        int n = 5, h = 3, w = 4, columns = 2;
        var r = new SplittableRandom(3);
        var values = new float[n * h * w];
        for (int i = 0; i < values.length; i++) values[i] = (float) r.nextDouble(-1.3, 1.3); // some beyond [-1, 1]: clamped
        values[0] = Float.NaN;
        values[1] = -1f;
        values[2] = 1f;
        var file = dir.resolve("grid.png");
        try (var t = Tensor.of(values, n, 1, h, w)) {
            PngGrid.write(file, t, columns, -1f, 1f);
        }
        BufferedImage img = ImageIO.read(file.toFile());
        int p = PngGrid.PADDING;
        assertEquals(columns * (w + p) + p, img.getWidth());
        assertEquals(3 * (h + p) + p, img.getHeight());
        var raster = img.getRaster();
        assertEquals(1, raster.getNumBands());
        assertEquals(0, raster.getSample(p, p, 0), "NaN");
        assertEquals(0, raster.getSample(p + 1, p, 0), "lo");
        assertEquals(255, raster.getSample(p + 2, p, 0), "hi");
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int gx = p + (i % columns) * (w + p) + x, gy = p + (i / columns) * (h + p) + y;
                    assertEquals(expectedByte(values[(i * h + y) * w + x], -1f, 1f), raster.getSample(gx, gy, 0), "image " + i + " at " + y + "," + x);
                }
            }
        }
        assertEquals(PngGrid.PAD_GRAY, raster.getSample(0, 0, 0), "outer padding");
        assertEquals(PngGrid.PAD_GRAY, raster.getSample(p + w, p, 0), "padding between tiles");
        assertEquals(PngGrid.PAD_GRAY, raster.getSample(p + w + p + 1, p + 2 * (h + p) + 1, 0), "the empty sixth slot");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test void unitRangeAndMoreColumnsThanImages() throws IOException {
        var file = dir.resolve("sub/one.png");
        PngGrid.write(file, new float[] {0f, 0.5f, 1f, 2f, -3f, 0.25f}, 1, 2, 3, 8, 0f, 1f);
        var raster = ImageIO.read(file.toFile()).getRaster();
        assertEquals(3 + 2 * PngGrid.PADDING, raster.getWidth());
        assertEquals(2 + 2 * PngGrid.PADDING, raster.getHeight());
        int p = PngGrid.PADDING;
        int[] expected = {0, 128, 255, 255, 0, 64};
        for (int k = 0; k < 6; k++) assertEquals(expected[k], raster.getSample(p + k % 3, p + k / 3, 0), "pixel " + k);
    }

    @Test void overwritesAnExistingFile() throws IOException {
        var file = dir.resolve("g.png");
        Files.writeString(file, "old");
        PngGrid.write(file, new float[] {0.3f}, 1, 1, 1, 1, 0f, 1f);
        assertEquals(77, ImageIO.read(file.toFile()).getRaster().getSample(PngGrid.PADDING, PngGrid.PADDING, 0));
    }

    @Test void badInputsAreRejected() {
        var file = dir.resolve("bad.png");
        try (var t = Tensor.zeros(2, 3, 4, 4)) {
            assertThrows(IllegalArgumentException.class, () -> PngGrid.write(file, t, 2, 0f, 1f));
        }
        assertThrows(IllegalArgumentException.class, () -> PngGrid.write(file, new float[5], 1, 2, 2, 1, 0f, 1f));
        assertThrows(IllegalArgumentException.class, () -> PngGrid.write(file, new float[4], 1, 2, 2, 1, 1f, 1f));
        assertThrows(IllegalArgumentException.class, () -> PngGrid.write(file, new float[4], 1, 2, 2, 0, 0f, 1f));
        // a zero count or size is rejected by name, also when the (empty) values would match it
        for (int[] d : new int[][] {{0, 2, 2, 1}, {1, 0, 2, 1}, {1, 2, 0, 1}, {2, 2, 2, 0}}) {
            var values = new float[d[0] * d[1] * d[2]];
            var e = assertThrows(IllegalArgumentException.class, () -> PngGrid.render(values, d[0], d[1], d[2], d[3], 0f, 1f));
            assertTrue(e.getMessage().contains("need n, h, w, columns > 0"), e.getMessage());
        }
        assertEquals(false, Files.exists(file));
    }
}
