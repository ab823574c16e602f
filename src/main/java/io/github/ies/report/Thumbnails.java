package io.github.ies.report;

import io.github.ies.io.Volume;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Axial crops (plane k) of a volume with optional overlays, drawn with Java2D: grayscale background (1st-99th
 * percentile of the crop), a signed map overlaid in red (positive) / blue (negative) with opacity proportional to
 * |value| / scale, or a probability in a heat colour; the outline of a mask in green. i runs left to right, j bottom
 * to top (radiological conventions are not applied).
 */
public final class Thumbnails {

    private Thumbnails() {}

    /** Overlay kinds. */
    public enum Overlay { NONE, SIGNED, PROBABILITY }

    /**
     * A crop of side 2 half + 1 voxels centred on (ci, cj) in plane ck, each voxel drawn as a zoom x zoom square (the
     * j axis drawn with pixel aspect spacing j / spacing i).
     */
    public static BufferedImage axial(Volume base, Volume overlay, Overlay kind, double overlayScale, boolean[] outline, int ci, int cj,
            int ck, int half, int zoom, String caption) {
        int[] d = base.dims();
        int n = 2 * half + 1;
        double[] sp = base.spacing();
        int zi = zoom, zj = Math.max(1, (int) Math.round(zoom * sp[1] / sp[0]));
        int w = n * zi, h = n * zj + (caption == null ? 0 : 16);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        float[] vals = new float[n * n];
        int m = 0;
        for (int b = 0; b < n; b++) for (int a = 0; a < n; a++) {
            int i = ci - half + a, j = cj - half + b;
            vals[m++] = inside(d, i, j, ck) ? base.get(i, j, ck) : 0f;
        }
        float[] s = vals.clone();
        java.util.Arrays.sort(s);
        double lo = s[(int) (0.01 * (s.length - 1))], hi = s[(int) (0.99 * (s.length - 1))];
        if (hi <= lo) hi = lo + 1;
        Graphics2D g = img.createGraphics();
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, w, h);
        for (int b = 0; b < n; b++) for (int a = 0; a < n; a++) {
            int i = ci - half + a, j = cj - half + b;
            double gray = Math.max(0, Math.min(1, (vals[b * n + a] - lo) / (hi - lo)));
            double r = gray, gg = gray, bb = gray;
            if (overlay != null && kind != Overlay.NONE && inside(d, i, j, ck)) {
                double v = overlay.get(i, j, ck);
                if (kind == Overlay.SIGNED) {
                    double alpha = Math.min(1, Math.abs(v) / overlayScale);
                    double[] c = v >= 0 ? new double[] {1, 0.1, 0.1} : new double[] {0.15, 0.35, 1};
                    r = (1 - alpha) * r + alpha * c[0];
                    gg = (1 - alpha) * gg + alpha * c[1];
                    bb = (1 - alpha) * bb + alpha * c[2];
                } else {
                    double alpha = Math.min(1, Math.max(0, v)) * 0.8;
                    r = (1 - alpha) * r + alpha;
                    gg = (1 - alpha) * gg + alpha * Math.min(1, v * 1.5);
                    bb = (1 - alpha) * bb;
                }
            }
            g.setColor(new Color((float) r, (float) gg, (float) bb));
            g.fillRect(a * zi, (n - 1 - b) * zj, zi, zj); // j up
        }
        if (outline != null) {
            g.setColor(new Color(0x33ff33));
            g.setStroke(new BasicStroke(1.5f));
            for (int b = 0; b < n; b++) for (int a = 0; a < n; a++) {
                int i = ci - half + a, j = cj - half + b;
                if (!in(outline, d, i, j, ck)) continue;
                int x = a * zi, y = (n - 1 - b) * zj;
                if (!in(outline, d, i - 1, j, ck)) g.drawLine(x, y, x, y + zj);
                if (!in(outline, d, i + 1, j, ck)) g.drawLine(x + zi, y, x + zi, y + zj);
                if (!in(outline, d, i, j + 1, ck)) g.drawLine(x, y, x + zi, y);
                if (!in(outline, d, i, j - 1, ck)) g.drawLine(x, y + zj, x + zi, y + zj);
            }
        }
        if (caption != null) {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.drawString(caption, 3, h - 4);
        }
        g.dispose();
        return img;
    }

    static boolean inside(int[] d, int i, int j, int k) {
        return i >= 0 && j >= 0 && k >= 0 && i < d[0] && j < d[1] && k < d[2];
    }

    static boolean in(boolean[] m, int[] d, int i, int j, int k) {
        return inside(d, i, j, k) && m[i + d[0] * (j + d[1] * k)];
    }

    /** Largest |value| of a volume over a mask's neighbourhood box (for overlay scales); 1 when zero. */
    public static double maxAbs(Volume v) {
        double m = 0;
        for (float x : v.data()) m = Math.max(m, Math.abs(x));
        return m > 0 ? m : 1;
    }
}
