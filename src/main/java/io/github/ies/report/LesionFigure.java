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
 * One lesion's figure in the report: a row per map (e.g. SmoothGrad-max FLAIR, SmoothGrad-max MPRAGE, SmoothGrad-mean
 * FLAIR and MPRAGE, Grad-CAM++), each three orthogonal slices (axial, coronal, sagittal, {@link DisplayOrientation})
 * through that map's peak (its largest |value|; the lesion's centroid when the map is zero everywhere), the map over
 * the anatomy of its channel with the lesion's outline, orientation letters, a mm scale bar, and the row's colour bar
 * with values.
 */
public final class LesionFigure {

    /** One map of the lesion: what is drawn and how. */
    public record Row(String label, Volume anatomy, double[] window, Volume map, double range, boolean signed, String note) { }

    public static final int PANEL = 136, GAP = 4, LEFT = 4, HEAD = 16, ROW_LABEL = 16, ROW_GAP = 6, BAR = 72;
    public static final Color OUTLINE = new Color(0x33ff33);

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

    /**
     * The figure: {@code lesion} is the lesion's voxel mask (NIfTI order), {@code centroid} its rounded centroid,
     * {@code fovMm} the side of each panel's field of view.
     */
    public static BufferedImage render(List<Row> rows, boolean[] lesion, int[] centroid, double fovMm) {
        int w = LEFT + 3 * PANEL + 2 * GAP + 8 + BAR;
        int rowH = ROW_LABEL + PANEL + ROW_GAP;
        int h = HEAD + rows.size() * rowH;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
        String[] heads = {"axial", "coronal", "sagittal"};
        for (int p = 0; p < 3; p++) g.drawString(heads[p], LEFT + p * (PANEL + GAP) + 2, HEAD - 4);
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            int y = HEAD + r * rowH;
            int[] pk = row.map() == null ? null : peak(row.map());
            int[] through = pk != null ? pk : centroid;
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
            String label = row.label();
            g.drawString(label, LEFT, y + ROW_LABEL - 4);
            int lw = g.getFontMetrics().stringWidth(label);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            String detail = pk == null ? "  zero everywhere (slices through the centroid)"
                    : String.format(Locale.ROOT, "  peak %s at voxel (%d, %d, %d)", SlicePanel.tick(row.map().get(pk[0], pk[1], pk[2])), pk[0], pk[1], pk[2]);
            g.drawString(detail, LEFT + lw, y + ROW_LABEL - 4);
            if (row.note() != null) {
                g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 10));
                g.setColor(Color.DARK_GRAY);
                g.drawString(row.note(), LEFT + 3 * PANEL + 2 * GAP + 6, y + ROW_LABEL - 4);
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
            if (row.map() != null) SlicePanel.colourBar(g, LEFT + 3 * PANEL + 2 * GAP + 8, y + ROW_LABEL + 4, PANEL - 8, row.range(), row.signed());
        }
        g.dispose();
        return img;
    }
}
