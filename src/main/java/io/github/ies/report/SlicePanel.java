package io.github.ies.report;

import io.github.ies.geometry.DisplayOrientation;
import io.github.ies.io.Volume;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.TextLayout;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * One slice of a volume in the display convention ({@link DisplayOrientation}: radiological), as the report and the
 * README's figures draw it: a square field of view in mm centred on a voxel, the anatomy in grey, a map over it
 * ({@link MapColours}), outlines, the orientation letters at the edges, a mm scale bar, and ticks at the edges
 * pointing at the centre voxel. Voxels are drawn as their true size in mm (nearest neighbour), so anisotropic voxels
 * keep their aspect.
 */
public final class SlicePanel {

    /** An outline: a voxel mask (NIfTI order) and its colour. */
    public record Outline(boolean[] mask, Color colour) { }

    public Volume anatomy;
    /** Grey window of the anatomy: {lo, hi}. */
    public double[] window;
    /** A map over the anatomy (null: none), its range and whether it is signed. */
    public Volume map;
    public double range = 1;
    public final java.util.List<Outline> outlines = new java.util.ArrayList<>();
    public DisplayOrientation.Plane plane = DisplayOrientation.Plane.AXIAL;
    /** The voxel the slice goes through and the panel is centred on. */
    public int[] through;
    public double fovMm = 64;
    public int sizePx = 136;
    public boolean letters = true, scaleBar = true, ticks = true;

    /** Draws the panel with its top-left corner at (x0, y0). */
    public void draw(Graphics2D g, int x0, int y0) {
        DisplayOrientation o = DisplayOrientation.of(anatomy.geometry());
        int[] dims = anatomy.dims();
        double[] sp = o.viewSpacing(plane, anatomy.spacing());
        int[] vd = o.viewDims(plane, dims);
        int[] c = o.screen(plane, dims, through);
        double pxPerMm = sizePx / fovMm;
        int n = sizePx;
        int[] vx = new int[n], vy = new int[n];
        for (int p = 0; p < n; p++) {
            double mm = (p + 0.5 - n / 2.0) / pxPerMm;
            vx[p] = (int) Math.round(c[0] + mm / sp[0]);
            vy[p] = (int) Math.round(c[1] + mm / sp[1]);
        }
        BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        int[][] member = new int[outlines.size()][];
        for (int m = 0; m < outlines.size(); m++) member[m] = new int[n * n];
        double lo = window[0], hi = window[1] > window[0] ? window[1] : window[0] + 1;
        for (int py = 0; py < n; py++) {
            for (int px = 0; px < n; px++) {
                int x = vx[px], y = vy[py];
                if (x < 0 || y < 0 || x >= vd[0] || y >= vd[1]) {
                    img.setRGB(px, py, 0);
                    continue;
                }
                int[] v = o.voxel(plane, dims, x, y, c[2]);
                int idx = anatomy.index(v[0], v[1], v[2]);
                double grey = Math.max(0, Math.min(1, (anatomy.data()[idx] - lo) / (hi - lo)));
                Color col = map == null ? new Color((float) grey, (float) grey, (float) grey) : MapColours.over(grey, map.data()[idx], range);
                img.setRGB(px, py, col.getRGB());
                for (int m = 0; m < outlines.size(); m++) if (outlines.get(m).mask()[idx]) member[m][py * n + px] = 1;
            }
        }
        for (int m = 0; m < outlines.size(); m++) {
            int rgb = outlines.get(m).colour().getRGB();
            int[] mm = member[m];
            for (int py = 0; py < n; py++) for (int px = 0; px < n; px++) {
                if (mm[py * n + px] == 0) continue;
                boolean edge = px == 0 || py == 0 || px == n - 1 || py == n - 1 || mm[py * n + px - 1] == 0 || mm[py * n + px + 1] == 0
                        || mm[(py - 1) * n + px] == 0 || mm[(py + 1) * n + px] == 0;
                if (edge) img.setRGB(px, py, rgb);
            }
        }
        g.drawImage(img, x0, y0, null);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        if (ticks) {
            // ticks at the edges pointing at the centre voxel (nothing drawn over the data inside)
            int tx = x0 + n / 2, ty = y0 + n / 2;
            g.setColor(Color.WHITE);
            g.fillPolygon(new int[] {tx - 4, tx + 4, tx}, new int[] {y0, y0, y0 + 6}, 3);
            g.fillPolygon(new int[] {tx - 4, tx + 4, tx}, new int[] {y0 + n, y0 + n, y0 + n - 6}, 3);
            g.fillPolygon(new int[] {x0, x0, x0 + 6}, new int[] {ty - 4, ty + 4, ty}, 3);
            g.fillPolygon(new int[] {x0 + n, x0 + n, x0 + n - 6}, new int[] {ty - 4, ty + 4, ty}, 3);
        }
        if (letters && o.known()) {
            String[] l = o.letters(plane);
            Font f = new Font(Font.SANS_SERIF, Font.BOLD, 12);
            outlined(g, l[0], f, x0 + 3, y0 + n / 2 + 14, false);
            outlined(g, l[1], f, x0 + n - 3, y0 + n / 2 + 14, true);
            outlined(g, l[2], f, x0 + n / 2 + 8, y0 + 13, false);
            outlined(g, l[3], f, x0 + n / 2 + 8, y0 + n - 4, false);
        }
        if (scaleBar) {
            double mm = niceLength(fovMm / 4);
            int len = (int) Math.round(mm * pxPerMm);
            int bx = x0 + n - 6 - len, by = y0 + n - 7;
            g.setStroke(new BasicStroke(4f));
            g.setColor(Color.BLACK);
            g.drawLine(bx, by, bx + len, by);
            g.setStroke(new BasicStroke(2f));
            g.setColor(Color.WHITE);
            g.drawLine(bx, by, bx + len, by);
            outlined(g, fmtMm(mm), new Font(Font.SANS_SERIF, Font.PLAIN, 10), bx + len, by - 4, true);
        }
    }

    /** 1, 2, 5, 10, 20, 50 ... mm: the largest not above {@code mm}. */
    static double niceLength(double mm) {
        double p = Math.pow(10, Math.floor(Math.log10(mm)));
        for (double f : new double[] {5, 2, 1}) if (f * p <= mm) return f * p;
        return p;
    }

    static String fmtMm(double mm) {
        return (mm == Math.rint(mm) ? Long.toString((long) mm) : String.format(Locale.ROOT, "%g", mm)) + " mm";
    }

    /** White text with a black outline (readable on any image); right-aligned at x when {@code right}. */
    static void outlined(Graphics2D g, String s, Font f, int x, int y, boolean right) {
        if (s == null || s.isEmpty()) return;
        g.setFont(f);
        FontMetrics fm = g.getFontMetrics();
        int xs = right ? x - fm.stringWidth(s) : x;
        TextLayout tl = new TextLayout(s, f, g.getFontRenderContext());
        java.awt.Shape sh = tl.getOutline(AffineTransform.getTranslateInstance(xs, y));
        g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.setColor(Color.BLACK);
        g.draw(sh);
        g.setColor(Color.WHITE);
        g.fill(sh);
    }

    /**
     * A vertical colour bar of {@code h} px with its tick values, for a map of this range: [-range, range] (signed) or
     * [0, range], drawn over mid-grey as {@link MapColours} draws values over the anatomy. Returns the width used.
     */
    public static int colourBar(Graphics2D g, int x0, int y0, int h, double range, boolean signed) {
        int w = 12;
        for (int y = 0; y < h; y++) {
            double f = 1 - (y + 0.5) / h;                       // top = max
            double t = signed ? 2 * f - 1 : f;
            g.setColor(MapColours.over(0.5, t * range, range));
            g.fillRect(x0, y0 + y, w, 1);
        }
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x0, y0, w, h - 1);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        g.setColor(Color.BLACK);
        double[] ticks = signed ? new double[] {1, 0.5, 0, -0.5, -1} : new double[] {1, 0.5, 0};
        int maxw = 0;
        FontMetrics fm = g.getFontMetrics();
        for (double t : ticks) {
            double frac = signed ? (1 - t) / 2 : 1 - t;
            int y = y0 + (int) Math.round(frac * (h - 1));
            g.drawLine(x0 + w, y, x0 + w + 3, y);
            String s = tick(t * range);
            g.drawString(s, x0 + w + 5, y + 4);
            maxw = Math.max(maxw, fm.stringWidth(s));
        }
        return w + 5 + maxw;
    }

    static String tick(double v) {
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.3g", v).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2").replaceAll("\\.(e|$)", "$1");
    }
}
