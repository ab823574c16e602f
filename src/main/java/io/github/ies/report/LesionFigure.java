package io.github.ies.report;

import io.github.ies.geometry.DisplayOrientation;
import io.github.ies.io.Volume;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * One lesion's figure in the report: a whole-brain axial overview (the anatomy with the lesion's outline and the
 * zoomed field of view as a square), then a row per map (e.g. SmoothGrad-max FLAIR, SmoothGrad-max MPRAGE,
 * SmoothGrad-mean FLAIR and MPRAGE, Grad-CAM++), each three orthogonal slices (axial, coronal, sagittal,
 * {@link DisplayOrientation}). <b>Every row cuts through the same voxel</b> (the lesion's rounded centroid, given by the
 * caller and stated in the overview's text with its world coordinates), so the rows can be compared cell by cell;
 * each row's label gives its map's own peak (largest |value|) in voxels and world mm. The map is drawn over the
 * anatomy of its channel with the lesion's outline ({@link #OUTLINE}, magenta: distinct from both halves of the
 * diverging map), orientation letters, a mm scale bar, and the row's colour bar with values, unit and range scope.
 */
public final class LesionFigure {

    /**
     * One map of the lesion: what is drawn and how; {@code note}: the range's scope ("all lesions", "this lesion"),
     * {@code unit}: the values' unit (under the colour bar), {@code caveat}: a line drawn under the row label (null: none).
     */
    public record Row(String label, Volume anatomy, double[] window, Volume map, double range, boolean signed, String note, String unit,
            String caveat) {
        public Row(String label, Volume anatomy, double[] window, Volume map, double range, boolean signed, String note) {
            this(label, anatomy, window, map, range, signed, note, null, null);
        }
    }

    public static final int PANEL = 136, GAP = 4, LEFT = 4, HEAD = 16, ROW_LABEL = 16, ROW_GAP = 6, BAR = 96, OVERVIEW = 150;
    /** The lesion's outline: magenta, visible on grey anatomy and on both the blue-cyan and the red-yellow half of the maps. */
    public static final Color OUTLINE = new Color(0xff00ff);

    private LesionFigure() {}

    /** The voxel of a map's largest |value| (first in NIfTI order), or null when the map is zero everywhere. */
    public static int[] peak(Volume map) {
        float[] d = map.data();
        int best = -1;
        float m = 0;
        for (int i = 0; i < d.length; i++) if (Math.abs(d[i]) > m) { m = Math.abs(d[i]); best = i; }
        if (best < 0) return null;
        int[] n = map.dims();
        return new int[] {best % n[0], (best / n[0]) % n[1], best / (n[0] * n[1])};
    }

    /** A voxel and its world coordinates through the image's affine: "voxel (i, j, k) = (x, y, z) mm". */
    public static String where(Volume v, int[] p) {
        double[] w = v.geometry().toWorld(p[0], p[1], p[2]);
        return String.format(Locale.ROOT, "voxel (%d, %d, %d) = (%.1f, %.1f, %.1f) mm", p[0], p[1], p[2], w[0], w[1], w[2]);
    }

    /** The figure without an overview: {@link #render(List, boolean[], int[], String, double)}. */
    public static BufferedImage render(List<Row> rows, boolean[] lesion, int[] through, double fovMm) {
        return render(rows, lesion, through, null, fovMm);
    }

    /**
     * The figure: {@code lesion} is the lesion's voxel mask (NIfTI order), {@code through} the voxel every row cuts
     * through, {@code throughWhat} what that voxel is ("the lesion's centroid"; null: no overview row), {@code fovMm}
     * the side of each panel's field of view.
     */
    public static BufferedImage render(List<Row> rows, boolean[] lesion, int[] through, String throughWhat, double fovMm) {
        int w = LEFT + 3 * PANEL + 2 * GAP + 8 + BAR;
        int rowH = ROW_LABEL + PANEL + ROW_GAP;
        boolean overview = throughWhat != null && !rows.isEmpty();
        int top = overview ? OVERVIEW + ROW_GAP : 0;
        int h = top + HEAD + rows.size() * rowH;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        if (overview) overview(g, rows.get(0).anatomy(), rows.get(0).window(), lesion, through, throughWhat, fovMm);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
        String[] heads = {"axial", "coronal", "sagittal"};
        for (int p = 0; p < 3; p++) g.drawString(heads[p], LEFT + p * (PANEL + GAP) + 2, top + HEAD - 4);
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            int y = top + HEAD + r * rowH;
            int[] pk = row.map() == null ? null : peak(row.map());
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
            String label = row.label();
            g.drawString(label, LEFT, y + ROW_LABEL - 4);
            int lw = g.getFontMetrics().stringWidth(label);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            String detail = row.map() == null ? "" : pk == null ? "  zero everywhere"
                    : "  peak " + SlicePanel.tick(row.map().get(pk[0], pk[1], pk[2])) + " at " + where(row.map(), pk);
            g.drawString(detail, LEFT + lw, y + ROW_LABEL - 4);
            if (row.note() != null) {
                g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 10));
                g.setColor(Color.DARK_GRAY);
                int ny = y + ROW_LABEL + 9;
                for (String part : ("range: " + row.note()).split("\n")) {
                    g.drawString(part, LEFT + 3 * PANEL + 2 * GAP + 8, ny);
                    ny += 10;
                }
            }
            for (int p = 0; p < 3; p++) {
                SlicePanel sp = new SlicePanel();
                sp.anatomy = row.anatomy();
                sp.window = row.window();
                sp.map = row.map();
                sp.range = row.range();
                if (lesion != null) sp.outlines.add(new SlicePanel.Outline(lesion, OUTLINE));
                sp.plane = DisplayOrientation.Plane.values()[p];
                sp.through = through;
                sp.fovMm = fovMm;
                sp.sizePx = PANEL;
                sp.scaleBar = p == 0;
                sp.draw(g, LEFT + p * (PANEL + GAP), y + ROW_LABEL);
            }
            if (row.caveat() != null) {
                SlicePanel.outlined(g, row.caveat(), new Font(Font.SANS_SERIF, Font.BOLD, 10), LEFT + 3, y + ROW_LABEL + PANEL - 26, false);
            }
            if (row.map() != null) {
                int bx = LEFT + 3 * PANEL + 2 * GAP + 8, by = y + ROW_LABEL + 24, bh = PANEL - 52;
                SlicePanel.colourBar(g, bx, by, bh, row.range(), row.signed());
                if (row.unit() != null) {
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
                    g.setColor(Color.BLACK);
                    int ly = by + bh + 14;
                    for (String part : row.unit().split("\n")) {
                        g.drawString(part, bx, ly);
                        ly += 12;
                    }
                }
            }
        }
        g.dispose();
        return img;
    }

    /** The overview: a whole-brain axial slice through {@code through}, the lesion outlined, the rows' field of view as a square; the cut in words. */
    private static void overview(Graphics2D g, Volume anatomy, double[] window, boolean[] lesion, int[] through, String throughWhat, double fovMm) {
        DisplayOrientation o = DisplayOrientation.of(anatomy.geometry());
        DisplayOrientation.Plane ax = DisplayOrientation.Plane.AXIAL;
        int[] dims = anatomy.dims();
        int[] vd = o.viewDims(ax, dims);
        double[] vs = o.viewSpacing(ax, anatomy.spacing());
        int[] c = o.screen(ax, dims, through);
        double fov = Math.max(vd[0] * vs[0], vd[1] * vs[1]);
        SlicePanel sp = new SlicePanel();
        sp.anatomy = anatomy;
        sp.window = window;
        sp.plane = ax;
        sp.through = o.voxel(ax, dims, vd[0] / 2, vd[1] / 2, c[2]);
        sp.fovMm = fov;
        sp.sizePx = OVERVIEW;
        sp.ticks = false;
        if (lesion != null) sp.outlines.add(new SlicePanel.Outline(lesion, OUTLINE));
        sp.draw(g, LEFT, 2);
        double pxPerMm = OVERVIEW / fov;
        int cx = LEFT + (int) Math.round(OVERVIEW / 2.0 + (c[0] - vd[0] / 2) * vs[0] * pxPerMm);
        int cy = 2 + (int) Math.round(OVERVIEW / 2.0 + (c[1] - vd[1] / 2) * vs[1] * pxPerMm);
        int half = (int) Math.round(fovMm * pxPerMm / 2);
        g.setColor(Color.YELLOW);
        g.setStroke(new java.awt.BasicStroke(1f));
        g.drawRect(cx - half, cy - half, 2 * half, 2 * half);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
        int tx = LEFT + OVERVIEW + 10, ty = 16;
        g.drawString("Overview (axial, whole brain)", tx, ty);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        String[] lines = {"Every row below cuts through the same point:", throughWhat + ",", where(anatomy, through) + ".",
                "Yellow square: the rows' " + SlicePanel.fmtMm(Math.round(fovMm)) + " field of view;",
                "magenta: the lesion's outline."};
        for (int i = 0; i < lines.length; i++) g.drawString(lines[i], tx, ty + 16 * (i + 1));
    }
}
