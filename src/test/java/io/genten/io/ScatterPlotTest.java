package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The latent scatter plot, read back pixel by pixel: each point where its coordinates say, in its
 * class's colour; the axes' range from the finite points only; the legend and the tick marks.
 */
class ScatterPlotTest {
    // the layout the plot promises: a 560-pixel square plot 50 pixels in, the legend 25 pixels right of it
    private static final int PLOT = 560, MARGIN = 50, LEGEND_X = MARGIN + PLOT + 25;

    /** A class colour drawn at alpha 150 over white, as a point's centre shows it. */
    private static int[] onWhite(Color c) {
        return new int[] {blend(c.getRed()), blend(c.getGreen()), blend(c.getBlue())};
    }

    private static int blend(int channel) {
        return Math.round((channel * 150 + 255 * 105) / 255f);
    }

    private static void assertPixel(BufferedImage img, int x, int y, int[] rgb, String what) {
        int p = img.getRGB(x, y);
        int[] got = {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
        for (int k = 0; k < 3; k++) {
            assertTrue(Math.abs(got[k] - rgb[k]) <= 2, what + " at (" + x + ", " + y + "): got " + java.util.Arrays.toString(got) + ", want " + java.util.Arrays.toString(rgb));
        }
    }

    private static final int[] WHITE = {255, 255, 255};

    /** The pixel of coordinate v on an axis whose padded range starts at lo, scale pixels per unit. */
    private static int pixel(float v, float lo, float scale) {
        return Math.round((v - lo) * scale);
    }

    @Test void pointsLandWhereTheirCoordinatesSayInTheirClassColour() {
        // finite range [-1, 2] on both axes, padded by 5% each side: [-1.15, 2.15]
        float[] x = {-1f, 2f, 0.5f, 1.25f};
        float[] y = {2f, -1f, 0.5f, -0.4f};
        int[] labels = {0, 3, 7, 9};
        var img = ScatterPlot.render(x, y, labels, 10, "test");
        float lo = -1.15f, hi = 2.15f, scale = PLOT / (hi - lo);
        for (int i = 0; i < x.length; i++) {
            int px = MARGIN + pixel(x[i], lo, scale), py = MARGIN + PLOT - pixel(y[i], lo, scale);
            assertPixel(img, px, py, onWhite(ScatterPlot.color(labels[i])), "point " + i + " (label " + labels[i] + ")");
        }
        // a spot of the plot with no point stays white
        assertPixel(img, MARGIN + PLOT / 2 + 100, MARGIN + 100, WHITE, "empty plot area");
        // the frame
        assertPixel(img, MARGIN, MARGIN + PLOT / 2, new int[] {0, 0, 0}, "left edge of the frame");
        assertPixel(img, MARGIN + PLOT, MARGIN + PLOT / 2, new int[] {0, 0, 0}, "right edge of the frame");
    }

    @Test void nonFinitePointsAreSkippedAndDoNotStretchTheAxes() {
        float[] x = {0f, 1f};
        float[] y = {0f, 1f};
        int[] labels = {1, 2};
        var plain = ScatterPlot.render(x, y, labels, 3, "t");
        var withBad = ScatterPlot.render(new float[] {0f, Float.NaN, 1f, Float.POSITIVE_INFINITY, 50f},
                new float[] {0f, 3f, 1f, 0.5f, Float.NEGATIVE_INFINITY}, new int[] {1, 0, 2, 0, 0}, 3, "t");
        // same axes, same points: only the title's point count may differ, above the plot
        for (int py = MARGIN; py < plain.getHeight(); py++) {
            for (int px = 0; px < plain.getWidth(); px++) {
                assertEquals(plain.getRGB(px, py), withBad.getRGB(px, py), "pixel (" + px + ", " + py + ")");
            }
        }
    }

    @Test void coincidentPointsGetAUnitRangeAroundTheOrigin() {
        // one point (all points equal): the range falls back to [-1, 1] (padded to [-1.1, 1.1]), so the point 0.25 is right of centre
        var img = ScatterPlot.render(new float[] {0.25f}, new float[] {0.25f}, new int[] {4}, 5, "t");
        float lo = -1.1f, scale = PLOT / 2.2f;
        int px = MARGIN + pixel(0.25f, lo, scale), py = MARGIN + PLOT - pixel(0.25f, lo, scale);
        assertPixel(img, px, py, onWhite(ScatterPlot.color(4)), "the point");
        assertPixel(img, MARGIN + PLOT / 2, MARGIN + PLOT / 2, WHITE, "the centre, where a [-0.25, 0.25] range would have put it");
    }

    @Test void theLegendHasOneSwatchPerClass() {
        var img = ScatterPlot.render(new float[] {0, 1}, new float[] {0, 1}, new int[] {0, 5}, 6, "t");
        for (int k = 0; k < 6; k++) {
            var c = ScatterPlot.color(k);
            assertPixel(img, LEGEND_X + 7, MARGIN + 17 + 22 * k, new int[] {c.getRed(), c.getGreen(), c.getBlue()}, "swatch " + k);
        }
        assertPixel(img, LEGEND_X + 7, MARGIN + 17 + 22 * 6, WHITE, "no swatch for a seventh class");
        assertEquals(MARGIN + PLOT + 20 + 110, img.getWidth());
        assertEquals(MARGIN + PLOT + MARGIN, img.getHeight());
    }

    @Test void tickMarksSitAtRoundValues() {
        // range [0, 1] padded to [-0.05, 1.05]: 1.1 / 6 rounds to a step of 0.2, ticks at 0, 0.2, ..., 1.0
        var img = ScatterPlot.render(new float[] {0, 1}, new float[] {0, 1}, new int[] {0, 0}, 1, "t");
        float lo = -0.05f, scale = PLOT / 1.1f;
        for (int t = 0; t <= 5; t++) {
            int p = pixel(t * 0.2f, lo, scale);
            assertTrue(dark(img, MARGIN + p, MARGIN + PLOT + 3, true), "tick " + t * 0.2 + " below the plot at x " + (MARGIN + p));
            assertTrue(dark(img, MARGIN - 3, MARGIN + PLOT - p, false), "tick " + t * 0.2 + " left of the plot at y " + (MARGIN + PLOT - p));
        }
        // halfway between two ticks: nothing
        int between = pixel(0.1f, lo, scale);
        assertPixel(img, MARGIN + between, MARGIN + PLOT + 3, WHITE, "between ticks 0 and 0.2 below the plot");
        assertPixel(img, MARGIN - 3, MARGIN + PLOT - between, WHITE, "between ticks 0 and 0.2 left of the plot");
    }

    /** A mark within a pixel of (x, y) along the other axis (antialiasing may split a line over two). */
    private static boolean dark(BufferedImage img, int x, int y, boolean vertical) {
        for (int d = -1; d <= 1; d++) {
            int p = vertical ? img.getRGB(x + d, y) : img.getRGB(x, y + d);
            if (((p >> 16) & 0xff) < 160) return true;
        }
        return false;
    }

    /** Dark pixels in the rectangle [x0, x1) x [y0, y1). */
    private static int darkIn(BufferedImage img, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                if ((img.getRGB(x, y) & 0xff) < 128 && ((img.getRGB(x, y) >> 16) & 0xff) < 128) n++;
            }
        }
        return n;
    }

    /** Where the JRE can draw text (most can; a bare container may have no font), the plot's words are where they belong. */
    @Test void theTextIsWhereItBelongs() {
        var probe = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        boolean fonts;
        try {
            var g = probe.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 40, 20);
            g.setColor(Color.BLACK);
            g.drawString("z1", 5, 15);
            g.dispose();
            fonts = darkIn(probe, 0, 0, 40, 20) > 0;
        } catch (Error | RuntimeException noFont) {
            fonts = false;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(fonts, "this JRE draws no text");
        // range [0, 1], ticks every 0.2; classes 0..3
        var img = ScatterPlot.render(new float[] {0, 1}, new float[] {0, 1}, new int[] {0, 3}, 4, "latent");
        assertTrue(darkIn(img, MARGIN, 20, MARGIN + 200, MARGIN - 5) > 20, "the title above the plot");
        float lo = -0.05f, scale = PLOT / 1.1f;
        for (int t = 0; t <= 5; t++) {
            int p = pixel(t * 0.2f, lo, scale);
            assertTrue(darkIn(img, MARGIN + p - 10, MARGIN + PLOT + 8, MARGIN + p + 15, MARGIN + PLOT + 22) > 5, "label of tick " + t + " below the plot");
            assertTrue(darkIn(img, MARGIN - 36, MARGIN + PLOT - p - 6, MARGIN - 6, MARGIN + PLOT - p + 6) > 5, "label of tick " + t + " left of the plot");
        }
        // nothing written below the plot between two tick labels
        int gap = pixel(0.1f, lo, scale);
        assertEquals(0, darkIn(img, MARGIN + gap - 2, MARGIN + PLOT + 8, MARGIN + gap + 3, MARGIN + PLOT + 22), "between tick labels");
        assertTrue(darkIn(img, MARGIN + PLOT / 2 - 2, MARGIN + PLOT + 28, MARGIN + PLOT / 2 + 20, MARGIN + PLOT + 45) > 5, "z1 under the axis");
        assertTrue(darkIn(img, 5, MARGIN + PLOT / 2 - 12, 25, MARGIN + PLOT / 2 + 4) > 5, "z2 left of the axis");
        for (int k = 0; k < 4; k++) {
            assertTrue(darkIn(img, LEGEND_X + 20, MARGIN + 10 + 22 * k, LEGEND_X + 100, MARGIN + 24 + 22 * k) > 10, "legend label of digit " + k);
        }
        assertEquals(0, darkIn(img, LEGEND_X + 20, MARGIN + 10 + 22 * 4, LEGEND_X + 100, MARGIN + 24 + 22 * 4), "no legend label for a fifth class");
    }

    @Test void ticksStepByOneTwoOrFiveTimesAPowerOfTen() {
        // padded range over 6 rounded to 1, 2, 5 or 10 times a power of ten: [2, 3] -> 1.1 / 6 = 0.18 -> 0.2;
        // [0, 0.6] -> 0.11 -> 0.1; [0, 3] -> 0.55 -> 0.5; [0, 5] -> 0.92 -> 1
        float[][] ranges = {{2f, 3f}, {0f, 0.6f}, {0f, 3f}, {0f, 5f}};
        float[] steps = {0.2f, 0.1f, 0.5f, 1f};
        for (int r = 0; r < ranges.length; r++) {
            float a = ranges[r][0], b = ranges[r][1], pad = 0.05f * (b - a), lo = a - pad, hi = b + pad, scale = PLOT / (hi - lo);
            var img = ScatterPlot.render(new float[] {a, b}, new float[] {a, b}, new int[] {0, 0}, 1, "t");
            int first = (int) Math.ceil(lo / steps[r] - 1e-4);
            for (int k = first; k * steps[r] <= hi; k++) {
                int p = pixel(k * steps[r], lo, scale);
                assertTrue(dark(img, MARGIN + p, MARGIN + PLOT + 3, true), "range " + a + ".." + b + ": tick at " + k * steps[r]);
            }
            // halfway between the first two ticks there is none
            int mid = pixel((first + 0.5f) * steps[r], lo, scale);
            assertPixel(img, MARGIN + mid, MARGIN + PLOT + 3, WHITE, "range " + a + ".." + b + ": between ticks");
        }
    }

    @Test void colorsAreTab10CyclingPastTen() {
        assertEquals(new Color(0x1f77b4), ScatterPlot.color(0));
        assertEquals(new Color(0x17becf), ScatterPlot.color(9));
        assertEquals(ScatterPlot.color(3), ScatterPlot.color(13));
        assertEquals(ScatterPlot.color(9), ScatterPlot.color(-1));
    }

    @Test void badArgumentsNameTheProblem() {
        float[] two = {0, 1};
        var e = assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(two, new float[] {0}, new int[] {0, 0}, 2, "t"));
        assertTrue(e.getMessage().contains("2 x, 1 y and 2 labels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(two, two, new int[] {0}, 2, "t"));
        assertTrue(e.getMessage().contains("2 x, 2 y and 1 labels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(new float[0], new float[0], new int[0], 2, "t"));
        assertTrue(e.getMessage().contains("non-zero"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(two, two, new int[] {0, 1}, 0, "t"));
        assertTrue(e.getMessage().contains("0 classes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(two, two, new int[] {0, 1}, 11, "t"));
        assertTrue(e.getMessage().contains("11 classes, at most 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(two, two, new int[] {0, 2}, 2, "t"));
        assertTrue(e.getMessage().contains("label 2 not in [0, 2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(two, two, new int[] {-1, 0}, 2, "t"));
        assertTrue(e.getMessage().contains("label -1 not in [0, 2)"), e.getMessage());
        // ten classes is the most, and fine
        ScatterPlot.render(two, two, new int[] {0, 9}, 10, "t");
    }

    @Test void writeStoresTheRenderedPixelsAsAPng(@TempDir Path dir) throws Exception {
        float[] x = {-0.5f, 0.5f, 0.1f};
        float[] y = {0.3f, -0.2f, 0.9f};
        int[] labels = {0, 1, 2};
        var file = dir.resolve("latent.png");
        ScatterPlot.write(file, x, y, labels, 3, "latent");
        var read = ImageIO.read(file.toFile());
        var rendered = ScatterPlot.render(x, y, labels, 3, "latent");
        assertEquals(rendered.getWidth(), read.getWidth());
        assertEquals(rendered.getHeight(), read.getHeight());
        for (int py = 0; py < read.getHeight(); py++) {
            for (int px = 0; px < read.getWidth(); px++) {
                assertEquals(rendered.getRGB(px, py), read.getRGB(px, py), "pixel (" + px + ", " + py + ")");
            }
        }
        try (var left = Files.list(dir)) {
            assertEquals(1, left.count(), "no temporary file left beside the plot");
        }
        var underAFile = file.resolve("p.png"); // its parent is the PNG just written, not a directory
        assertThrows(java.io.IOException.class, () -> ScatterPlot.write(underAFile, x, y, labels, 3, "latent"));
    }
}
