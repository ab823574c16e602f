package io.github.ies.report;

import io.github.ies.io.ExplainLayout;
import io.github.ies.analysis.RelocateExperiment;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The relocation figure: one row per case (input with the pasted lesion outlined, probability, SmoothGrad-max of the first channel). */
public final class RelocateFigure {

    private RelocateFigure() {}

    public static BufferedImage render(RelocateExperiment.Result r, Path dir, String firstInput) throws Exception {
        String key = firstInput.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        List<BufferedImage> rows = new ArrayList<>();
        double scale = 0;
        List<Volume> maps = new ArrayList<>();
        for (RelocateExperiment.Case c : r.cases) {
            Path m = new ExplainLayout(dir.resolve(c.name).resolve("explain")).map(1, "smoothgrad-max", key, false);
            Volume v = Files.isRegularFile(m) ? Nifti.read(m) : null;
            maps.add(v);
            if (v != null) scale = Math.max(scale, Thumbnails.maxAbs(v));
        }
        for (int n = 0; n < r.cases.size(); n++) {
            RelocateExperiment.Case c = r.cases.get(n);
            Path cd = dir.resolve(c.name);
            Volume in = Nifti.read(cd.resolve(key + ".nii.gz"));
            Volume prob = Nifti.read(cd.resolve(ExplainLayout.PROBABILITY));
            Volume pasted = Nifti.read(cd.resolve("pasted.nii.gz"));
            boolean[] mask = new boolean[pasted.size()];
            for (int v = 0; v < mask.length; v++) mask[v] = pasted.data()[v] != 0;
            int[] ct = c.centroid;
            int half = 16, zoom = 7;
            List<BufferedImage> row = new ArrayList<>();
            row.add(Thumbnails.axial(in, null, Thumbnails.Overlay.NONE, 1, mask, ct[0], ct[1], ct[2], half, zoom,
                    c.name + " (" + firstInput + ")"));
            row.add(Thumbnails.axial(in, prob, Thumbnails.Overlay.PROBABILITY, 1, mask, ct[0], ct[1], ct[2], half, zoom,
                    String.format(Locale.ROOT, "score %.2f (max %.2f) %s", c.meanScore, c.maxScore, c.detected ? "detected" : "missed")));
            Volume map = maps.get(n);
            Double pp = c.peaks.get(ExplainLayout.peakColumn(ExplainLayout.columnPrefix("smoothgrad-max", key), true, false));
            Double pn = c.peaks.get(ExplainLayout.peakColumn(ExplainLayout.columnPrefix("smoothgrad-max", key), false, false));
            row.add(Thumbnails.axial(in, map, map == null ? Thumbnails.Overlay.NONE : Thumbnails.Overlay.SIGNED, scale, mask, ct[0], ct[1], ct[2],
                    half, zoom, pp == null ? "SmoothGrad-max: none" : String.format(Locale.ROOT, "SG-max %+.2f / %+.2f", pp, pn)));
            rows.add(Figures.stack(row, true));
        }
        return Figures.stack(rows, false);
    }
}
