package io.github.ies.report;

import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.io.ExplainLayout;
import io.github.ies.analysis.Statistics;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The PNG figures of {@code ies analyze}. */
public final class CohortFigures {

    private CohortFigures() {}

    /** Writes the figures into dir and returns their paths (in order). */
    public static List<Path> write(CohortAnalysis.Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        for (String[] mc : r.methodChannels) {
            List<BufferedImage> panels = new ArrayList<>();
            for (String stat : CohortAnalysis.statistics(mc)) {
                Map<String, double[]> v = CohortAnalysis.peakValues(r, mc[0], mc[1], stat);
                Map<String, String> sizes = new LinkedHashMap<>();
                for (Map.Entry<String, double[]> e : v.entrySet()) {
                    int n = e.getValue().length;
                    sizes.put(e.getKey(), lesions(n) + (n > 0 && n < r.minGroupSize ? ": points" : ""));
                }
                panels.add(Figures.image(Figures.boxPlot((stat.equals("peak_pos") ? "maximum" : "minimum") + " of " + mc[0] + " / " + mc[1],
                        stat.equals("peak_pos") ? "peak (max)" : "trough (min)", v, sizes, r.minGroupSize)));
            }
            Path p = dir.resolve("peaks_" + mc[0] + "_" + mc[1] + ".png");
            Figures.writePng(Figures.stack(panels, true), p);
            out.add(p);
        }
        if (!r.pools.isEmpty()) {
            List<BufferedImage> panels = new ArrayList<>();
            for (String c : r.channels) {
                Map<String, double[]> v = new LinkedHashMap<>();
                Map<String, String> sizes = new LinkedHashMap<>();
                for (String g : r.groups) {
                    CohortAnalysis.Pool pool = r.pools.get(g + "\t" + c);
                    if (pool == null) continue;
                    v.put(g, pool.regions.get("all").toArray());
                    // the values are voxels, not independent samples: say from how many lesions they come
                    sizes.put(g, "n = " + v.get(g).length + " voxels from " + lesions(pool.instances));
                }
                panels.add(Figures.image(Figures.boxPlot("SmoothGrad-max values outside (-t, t): " + c, "saliency", v, sizes, 1)));
            }
            Path p = dir.resolve(ExplainLayout.CONTRIBUTIONS_FIGURE);
            Figures.writePng(Figures.stack(panels, true), p);
            out.add(p);
            for (String c : r.channels) {
                List<String> regions = new ArrayList<>(r.regionNames.subList(1, r.regionNames.size() - 1)); // inside + shells
                double[] x = CohortAnalysis.shellUpperMm(regions);    // 0 = inside, else the bin's outer edge in mm
                Map<String, double[]> pos = new LinkedHashMap<>(), med = new LinkedHashMap<>();
                for (String g : r.groups) {
                    CohortAnalysis.Pool pool = r.pools.get(g + "\t" + c);
                    if (pool == null) continue;
                    double[] fp = new double[regions.size()], md = new double[regions.size()];
                    for (int i = 0; i < fp.length; i++) {
                        double[] vals = pool.regions.get(regions.get(i)).toArray();
                        fp[i] = Statistics.signFractions(vals)[0];
                        md[i] = Statistics.median(vals).median;
                    }
                    pos.put(g, fp);
                    med.put(g, md);
                }
                String xl = String.format(java.util.Locale.ROOT, "distance from the lesion (mm; 0 = inside, then bins of %s mm up to the point)",
                        io.github.ies.instances.LesionTable.round(r.binMm, 4).replaceAll("\\.0$", ""));
                BufferedImage a = Figures.image(Figures.linePlot("fraction of positive values: " + c, xl, "fraction positive", x, pos, new double[] {0, 1}));
                BufferedImage b = Figures.image(Figures.linePlot("median value: " + c, xl, "median saliency", x, med, null));
                Path p2 = dir.resolve("shell_profile_" + c + ".png");
                Figures.writePng(Figures.stack(List.of(a, b), true), p2);
                out.add(p2);
            }
        }
        return out;
    }

    private static String lesions(int n) {
        return n + (n == 1 ? " lesion" : " lesions");
    }

    /** What a figure of {@link #write} shows, for its caption (its file name when unknown). */
    public static String caption(Path figure, int minGroupSize) {
        String n = figure.getFileName().toString().replaceAll("\\.png$", "");
        if (n.startsWith("peaks_")) {
            return "Peaks (left) and troughs (right) of " + n.substring("peaks_".length()).replace('_', ' ')
                    + " by category: one value per lesion; groups of fewer than " + minGroupSize + " lesions are drawn as points, not boxes.";
        }
        if (n.equals(ExplainLayout.CONTRIBUTIONS_FIGURE.replaceAll("\\.png$", ""))) {
            return "Channel contributions: the SmoothGrad-max values outside (-t, t) of every voxel, pooled per category and channel; "
                    + "n counts voxels, which are not independent samples (see the number of lesions they come from).";
        }
        if (n.startsWith("shell_profile_")) {
            return "Perilesional profile of " + n.substring("shell_profile_".length()) + ": fraction of positive values and median value "
                    + "by distance from the lesion (0 = inside), per category.";
        }
        return figure.getFileName().toString();
    }
}
