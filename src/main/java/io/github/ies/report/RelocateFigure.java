package io.github.ies.report;

import io.github.ies.analysis.RelocateExperiment;
import io.github.ies.geometry.DisplayOrientation;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The relocation figure: one row per case, the axial slice through the pasted lesion's centroid (radiological, with
 * orientation letters and a mm scale bar) of the first input with the lesion outlined, the lesion probability over it,
 * and the SmoothGrad-max map of that channel (one symmetric range for all cases); colour bars with values.
 */
public final class RelocateFigure {

    private RelocateFigure() {}

    static final int PANEL = 180, GAP = 6, LABEL = 16, BAR = 64;

    public static BufferedImage render(RelocateExperiment.Result r, Path dir, String firstInput) throws Exception {
        String key = ExplainLayout.channelKey(firstInput);
        double range = 0;
        List<Volume> maps = new ArrayList<>();
        for (RelocateExperiment.Case c : r.cases) {
            Path m = new ExplainLayout(dir.resolve(c.name).resolve(ExplainLayout.EXPLAIN)).existingMap(1, "smoothgrad-max", key, false);
            Volume v = Files.isRegularFile(m) ? Nifti.read(m) : null;
            maps.add(v);
            if (v != null) for (float x : v.data()) range = Math.max(range, Math.abs(x));
        }
        if (range == 0) range = 1;
        int w = 3 * (PANEL + GAP) + 2 * BAR, rowH = LABEL + PANEL + GAP;
        BufferedImage img = new BufferedImage(w, Math.max(1, r.cases.size()) * rowH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int n = 0; n < r.cases.size(); n++) {
            RelocateExperiment.Case c = r.cases.get(n);
            Path cd = dir.resolve(c.name);
            Volume in = Nifti.read(cd.resolve(ExplainLayout.channelFile(firstInput)));
            Volume prob = Nifti.read(cd.resolve(ExplainLayout.PROBABILITY));
            Volume pasted = Nifti.read(cd.resolve(ExplainLayout.PASTED));
            boolean[] mask = new boolean[pasted.size()];
            for (int v = 0; v < mask.length; v++) mask[v] = pasted.data()[v] != 0;
            double[] win = HtmlReport.window(in);
            Volume map = maps.get(n);
            io.github.ies.instances.PeakKey pk = new io.github.ies.instances.PeakKey("smoothgrad-max", key);
            Double pp = c.peaks.get(io.github.ies.instances.LesionColumns.peakColumn(pk, true, false));
            Double pn = c.peaks.get(io.github.ies.instances.LesionColumns.peakColumn(pk, false, false));
            String[] labels = {c.name + " (" + firstInput + ")",
                String.format(Locale.ROOT, "score %.2f (max %.2f), %s", c.meanScore, c.maxScore, c.detected ? "detected" : "missed"),
                pp == null ? "SmoothGrad-max: none" : String.format(Locale.ROOT, "SmoothGrad-max %s: %+.2f / %+.2f", firstInput, pp, pn)};
            int y = n * rowH;
            int x = 0;
            for (int p = 0; p < 3; p++) {
                SlicePanel sp = new SlicePanel();
                sp.anatomy = in;
                sp.window = win;
                sp.map = p == 1 ? prob : p == 2 ? map : null;
                sp.range = p == 1 ? 1 : range;
                sp.outlines.add(new SlicePanel.Outline(mask, LesionFigure.OUTLINE));
                sp.plane = DisplayOrientation.Plane.AXIAL;
                sp.through = c.centroid;
                sp.fovMm = 72;
                sp.sizePx = PANEL;
                sp.ticks = false;
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                g.drawString(labels[p], x + 2, y + LABEL - 4);
                sp.draw(g, x, y + LABEL);
                x += PANEL + GAP;
                if (p >= 1 && sp.map != null) {
                    SlicePanel.colourBar(g, x, y + LABEL + 4, PANEL - 8, sp.range, p == 2);
                    x += BAR;
                }
            }
        }
        g.dispose();
        return img;
    }
}
