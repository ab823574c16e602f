package io.github.ies.report;

import ij.gui.Plot;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The analyses' figures as ImageJ {@link Plot}s (live plot windows in Fiji; rendered headless to PNG here): box
 * plots per group, line plots, the two-panel context figure.
 */
public final class Figures {

    private Figures() {}

    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x7f7f7f),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2)};

    public static Color color(int i) { return PALETTE[i % PALETTE.length]; }

    /**
     * Box plot (box = quartiles, line = median, whiskers = 1.5 IQR clipped to the data, points beyond the whiskers
     * drawn) of each named sample along x, labelled with its name and size.
     */
    public static Plot boxPlot(String title, String yLabel, Map<String, double[]> groups) {
        return boxPlot(title, yLabel, groups, null, 1);
    }

    /**
     * Box plot of each named sample along x (box = quartiles, line = median, whiskers = 1.5 IQR clipped to the data,
     * points beyond the whiskers drawn); a sample of fewer than {@code minBox} values is drawn as its points only (a
     * box of one or two values would show a spread that is not there). Under each sample its name and the line
     * {@code sizes.get(name)} (null or missing: "n = size"); no numbers on the x axis.
     */
    public static Plot boxPlot(String title, String yLabel, Map<String, double[]> groups, Map<String, String> sizes, int minBox) {
        List<String> names = new ArrayList<>(groups.keySet());
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        int longest = 0;
        for (String n : names) {
            for (double v : groups.get(n)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
            longest = Math.max(longest, sizeText(n, groups.get(n), sizes).length());
        }
        if (!(lo <= hi)) { lo = 0; hi = 1; }
        double span = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1e-6);
        double pad = span * 0.08, below = span * 0.24;    // room for two lines of labels under the lowest value
        Plot plot = new Plot(title, "", yLabel);
        int slot = Math.max(110, 7 * longest + 16);
        plot.setSize(120 + slot * Math.max(2, names.size()), 380);
        plot.setLimits(0.4, names.size() + 0.6, lo - pad - below, hi + pad);
        plot.setFormatFlags(plot.getFlags() & ~(Plot.X_NUMBERS | Plot.X_TICKS | Plot.X_MINOR_TICKS));
        for (int g = 0; g < names.size(); g++) {
            double x = g + 1;
            double[] s = groups.get(names.get(g)).clone();
            Arrays.sort(s);
            Color c = color(g);
            plot.setColor(Color.BLACK);
            plot.setJustification(Plot.CENTER);
            plot.addText(names.get(g), x, lo - pad - below * 0.35);
            plot.addText(sizeText(names.get(g), s, sizes), x, lo - pad - below * 0.8);
            if (s.length == 0) continue;
            if (s.length < minBox) {                       // too few for a box: the values themselves
                double[] xs = new double[s.length];
                Arrays.fill(xs, x);
                plot.setColor(c, c);
                plot.setLineWidth(2);
                plot.addPoints(xs, s, Plot.CIRCLE);
                continue;
            }
            double q1 = q(s, 0.25), q2 = q(s, 0.5), q3 = q(s, 0.75), iqr = q3 - q1;
            double wl = s[0], wh = s[s.length - 1];
            for (double v : s) if (v >= q1 - 1.5 * iqr) { wl = v; break; }
            for (int i = s.length - 1; i >= 0; i--) if (s[i] <= q3 + 1.5 * iqr) { wh = s[i]; break; }
            plot.setColor(c);
            plot.setLineWidth(2);
            double w = 0.3;
            plot.drawLine(x - w, q1, x + w, q1);
            plot.drawLine(x - w, q3, x + w, q3);
            plot.drawLine(x - w, q1, x - w, q3);
            plot.drawLine(x + w, q1, x + w, q3);
            plot.setLineWidth(3);
            plot.drawLine(x - w, q2, x + w, q2);
            plot.setLineWidth(1);
            plot.drawLine(x, q1, x, wl);
            plot.drawLine(x, q3, x, wh);
            plot.drawLine(x - w / 2, wl, x + w / 2, wl);
            plot.drawLine(x - w / 2, wh, x + w / 2, wh);
            List<Double> ox = new ArrayList<>(), oy = new ArrayList<>();
            for (double v : s) if (v < wl || v > wh) { ox.add(x); oy.add(v); }
            if (!ox.isEmpty()) {
                plot.setColor(c);
                plot.addPoints(ox.stream().mapToDouble(Double::doubleValue).toArray(), oy.stream().mapToDouble(Double::doubleValue).toArray(),
                        Plot.CIRCLE);
            }
        }
        plot.setColor(Color.BLACK);
        plot.setJustification(Plot.LEFT);
        plot.setXYLabels("", yLabel);
        return plot;
    }

    private static String sizeText(String name, double[] values, Map<String, String> sizes) {
        String t = sizes == null ? null : sizes.get(name);
        return t != null ? t : "n = " + values.length;
    }

    static double q(double[] s, double p) {
        double pos = p * (s.length - 1);
        int a = (int) Math.floor(pos), b = Math.min(a + 1, s.length - 1);
        return s[a] + (pos - a) * (s[b] - s[a]);
    }

    /**
     * Lines y_i(x), one per named series, with a legend; the axes hold every point with a margin (nothing on the
     * frame), and {@code yFixed} (may be null) gives fixed y limits such as {0, 1} for fractions.
     */
    public static Plot linePlot(String title, String xLabel, String yLabel, double[] x, Map<String, double[]> series, double[] yFixed) {
        Plot plot = new Plot(title, xLabel, yLabel);
        plot.setSize(560, 360);
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (double v : x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
        for (double[] ys : series.values()) for (double v : ys) if (Double.isFinite(v)) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
        if (yFixed != null) { y0 = Math.min(y0, yFixed[0]); y1 = Math.max(y1, yFixed[1]); }
        if (!(x0 <= x1)) { x0 = 0; x1 = 1; }
        if (!(y0 <= y1)) { y0 = 0; y1 = 1; }
        double px = (x1 - x0) * 0.06 + 1e-9, py = (y1 - y0) * 0.08 + 1e-9;
        int i = 0;
        StringBuilder legend = new StringBuilder();
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            Color c = color(i++);
            plot.setColor(c, c);
            plot.setLineWidth(2);
            plot.add("line", x, e.getValue());
            plot.add("circle", x, e.getValue());
            legend.append(i > 1 ? "\n" : "").append(e.getKey()).append("\n");
        }
        plot.setColor(Color.BLACK);
        plot.setLimits(x0 - px, x1 + px, y0 - py, y1 + py);
        plot.addLegend(legend.toString());
        return plot;
    }

    /**
     * The context figure (paper Fig. 13): (A) number of detected lesions and (B) mean lesion score with a +-1 std
     * band, both against the distance of the context from the lesion border (mm).
     */
    public static BufferedImage contextFigure(io.github.ies.analysis.ContextCurve c) {
        int n = c.steps();
        double[] det = new double[n], mean = new double[n], std = new double[n];
        for (int s = 0; s < n; s++) {
            det[s] = c.nDetected(s);
            mean[s] = c.mean(s);
            std[s] = c.std(s);
        }
        return contextFigure(c.distances(), det, c.lesionCount(), mean, std, c.threshold());
    }

    /** As {@link #contextFigure(io.github.ies.analysis.ContextCurve)}, from the curves' arrays. */
    private static BufferedImage contextFigure(double[] distanceMm, double[] detected, int lesions, double[] mean, double[] std,
            double threshold) {
        Plot a = new Plot("", "distance from the lesion border (mm)", "detected lesions");
        a.setSize(520, 340);
        a.setColor(color(0), color(0));
        a.setLineWidth(2);
        a.add("connected circle", distanceMm, detected);
        double xmax = distanceMm.length == 0 ? 1 : Arrays.stream(distanceMm).max().getAsDouble();
        a.setLimits(0, Math.max(1, xmax), 0, Math.max(1, lesions) * 1.05);
        a.setColor(Color.GRAY);
        a.drawDottedLine(0, lesions, Math.max(1, xmax), lesions, 3);
        Plot b = new Plot("", "distance from the lesion border (mm)", "mean score");
        b.setSize(520, 340);
        b.setLimits(0, Math.max(1, xmax), 0, 1);
        Color band = new Color(0xc6dbef);
        b.setColor(band);
        b.setLineWidth(1);
        for (int s = 0; s + 1 < distanceMm.length; s++) { // +-1 std band as dense vertical strokes
            int strokes = 40;
            for (int t = 0; t <= strokes; t++) {
                double f = t / (double) strokes;
                double x = distanceMm[s] + f * (distanceMm[s + 1] - distanceMm[s]);
                double m = mean[s] + f * (mean[s + 1] - mean[s]), d = std[s] + f * (std[s + 1] - std[s]);
                b.drawLine(x, Math.max(0, m - d), x, Math.min(1, m + d));
            }
        }
        b.setColor(color(0), color(0));
        b.setLineWidth(2);
        b.add("connected circle", distanceMm, mean);
        b.setColor(color(1));
        b.setLineWidth(1);
        b.drawDottedLine(0, threshold, Math.max(1, xmax), threshold, 3);
        return stack(List.of(titled(image(a), "(A) detected lesions (of " + lesions + ")"),
                titled(image(b), "(B) mean lesion score +- std (band), dotted: the threshold " + String.format(java.util.Locale.ROOT, "%.3g", threshold))), true);
    }

    /**
     * The plot rendered as an RGB image (works headless), with its title in a band above the frame (ImageJ shows a
     * plot's title only as its window's title; inside the frame it would cover data).
     */
    public static BufferedImage image(Plot p) {
        BufferedImage img = p.getProcessor().getBufferedImage();
        String t = p.getTitle();
        return t == null || t.isEmpty() ? img : titled(img, t);
    }

    /** An image with a title in a white band above it. */
    static BufferedImage titled(BufferedImage img, String title) {
        int band = 22;
        java.awt.Font font = new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 13);
        Graphics2D m = img.createGraphics();
        int tw = m.getFontMetrics(font).stringWidth(title) + 16;   // a title wider than the plot widens the image, never clipped
        m.dispose();
        BufferedImage out = new BufferedImage(Math.max(img.getWidth(), tw), img.getHeight() + band, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(img, 0, band, null);
        g.setRenderingHint(java.awt.RenderingHints.KEY_TEXT_ANTIALIASING, java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.BLACK);
        g.setFont(font);
        g.drawString(title, 8, band - 6);
        g.dispose();
        return out;
    }

    /** Images side by side (horizontal) or stacked, on white. */
    public static BufferedImage stack(List<BufferedImage> images, boolean horizontal) {
        int w = 0, h = 0;
        for (BufferedImage i : images) {
            if (horizontal) { w += i.getWidth(); h = Math.max(h, i.getHeight()); }
            else { h += i.getHeight(); w = Math.max(w, i.getWidth()); }
        }
        BufferedImage out = new BufferedImage(Math.max(1, w), Math.max(1, h), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        int o = 0;
        for (BufferedImage i : images) {
            if (horizontal) { g.drawImage(i, o, 0, null); o += i.getWidth(); }
            else { g.drawImage(i, 0, o, null); o += i.getHeight(); }
        }
        g.dispose();
        return out;
    }

    public static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bo);
        return bo.toByteArray();
    }

    /** Writes a PNG atomically. */
    public static void writePng(BufferedImage img, Path path) throws IOException {
        byte[] b = png(img);
        io.github.ies.io.Nifti.writeAtomically(path, os -> os.write(b));
    }
}
