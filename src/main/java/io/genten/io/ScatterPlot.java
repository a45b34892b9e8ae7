package io.genten.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A labelled 2-D scatter plot as a PNG (the VAE's latent means coloured by digit): one colour per
 * class (matplotlib's tab10 for ten), square axes over the points' range with ticks, and a legend
 * of the classes on the right. Written atomically. Text needs a font: where the JRE has none (a
 * bare container), the plot is drawn without its text rather than failing.
 */
public final class ScatterPlot {
    /** matplotlib's tab10, so the figure reads like the usual Python one. */
    private static final int[] TAB10 = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    private static final int PLOT = 560, MARGIN = 50, LEGEND = 110;

    private ScatterPlot() {}

    /**
     * The colour of a class: matplotlib's tab10, cycling past ten.
     *
     * @param label the class
     * @return the class's colour
     */
    public static Color color(int label) {
        return new Color(TAB10[Math.floorMod(label, TAB10.length)]);
    }

    /**
     * Points (x[i], y[i]) of class labels[i] in [0, classes); {@code title} above the plot.
     *
     * @param x       the points' horizontal coordinates
     * @param y       the points' vertical coordinates, as many as x
     * @param labels  the points' classes, as many as x
     * @param classes the number of classes, 1 to 10
     * @param title   the text above the plot
     * @return the rendered plot
     */
    public static BufferedImage render(float[] x, float[] y, int[] labels, int classes, String title) {
        if (x.length != y.length || x.length != labels.length || x.length == 0) {
            throw new IllegalArgumentException("ScatterPlot: " + x.length + " x, " + y.length + " y and " + labels.length + " labels must be equal and non-zero");
        }
        if (classes < 1 || classes > TAB10.length) throw new IllegalArgumentException("ScatterPlot: " + classes + " classes, at most " + TAB10.length);
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) throw new IllegalArgumentException("ScatterPlot: label " + labels[i] + " not in [0, " + classes + ")");
            if (Float.isFinite(x[i]) && Float.isFinite(y[i])) {
                lo = Math.min(lo, Math.min(x[i], y[i]));
                hi = Math.max(hi, Math.max(x[i], y[i]));
            }
        }
        if (!(hi > lo)) { lo = -1; hi = 1; }
        float pad = 0.05f * (hi - lo);
        lo -= pad;
        hi += pad;
        int width = MARGIN + PLOT + 20 + LEGEND, height = MARGIN + PLOT + MARGIN;
        var img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            float scale = PLOT / (hi - lo);
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(x[i]) || !Float.isFinite(y[i])) continue;
                int px = MARGIN + Math.round((x[i] - lo) * scale), py = MARGIN + PLOT - Math.round((y[i] - lo) * scale);
                var c = color(labels[i]);
                g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 150));
                g.fillOval(px - 2, py - 2, 5, 5);
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(MARGIN, MARGIN, PLOT, PLOT);
            int lx = MARGIN + PLOT + 25;
            for (int k = 0; k < classes; k++) {
                g.setColor(color(k));
                g.fillRect(lx, MARGIN + 10 + 22 * k, 14, 14);
            }
            float step = niceStep((hi - lo) / 6);
            g.setColor(Color.BLACK);
            for (double t = Math.ceil(lo / step) * step; t <= hi; t += step) {
                int p = Math.round((float) (t - lo) * scale);
                g.drawLine(MARGIN + p, MARGIN + PLOT, MARGIN + p, MARGIN + PLOT + 5);
                g.drawLine(MARGIN - 5, MARGIN + PLOT - p, MARGIN, MARGIN + PLOT - p);
            }
            text(g, title, x.length, lo, hi, step, scale, classes, lx);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Title, tick labels and legend text; skipped where the JRE has no usable font (the tick marks are drawn without it). */
    private static void text(Graphics2D g, String title, int n, float lo, float hi, float step, float scale, int classes, int lx) {
        try {
            g.setColor(Color.BLACK);
            g.drawString(title + " (" + n + " points)", MARGIN, MARGIN - 15);
            for (double t = Math.ceil(lo / step) * step; t <= hi; t += step) {
                int p = Math.round((float) (t - lo) * scale);
                String s = String.format(Locale.ROOT, step < 1 ? "%.1f" : "%.0f", t);
                g.drawString(s, MARGIN + p - 8, MARGIN + PLOT + 20);
                g.drawString(s, MARGIN - 35, MARGIN + PLOT - p + 5);
            }
            g.drawString("z1", MARGIN + PLOT / 2, MARGIN + PLOT + 40);
            g.drawString("z2", 8, MARGIN + PLOT / 2);
            for (int k = 0; k < classes; k++) g.drawString("digit " + k, lx + 20, MARGIN + 22 + 22 * k);
        } catch (Error | RuntimeException noFont) {
            // no font configuration in this JRE (AWTError, InternalError from fontconfig): keep the plot without text
        }
    }

    private static float niceStep(float raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / p;
        return (float) ((m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p);
    }

    /**
     * Renders the plot (as {@link #render}) and writes it atomically as a PNG.
     *
     * @param file    the PNG file to write
     * @param x       the points' horizontal coordinates
     * @param y       the points' vertical coordinates, as many as x
     * @param labels  the points' classes, as many as x
     * @param classes the number of classes, 1 to 10
     * @param title   the text above the plot
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, float[] x, float[] y, int[] labels, int classes, String title) throws IOException {
        var img = render(x, y, labels, classes, title);
        AtomicFiles.write(file, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("ScatterPlot.write: no PNG writer in this JRE");
        });
    }
}
