package io.github.ies.analysis;

import io.github.ies.instances.LesionTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's two experiments pooled over subjects (a cohort): the perilesional context curves of several
 * {@code ies experiment context} folders as one curve over all their lesions (paper Fig. 13 for a cohort), and the
 * cases of several {@code ies experiment relocate} folders as one table with a per-case summary. Reads the folders'
 * tables ({@code context_lesions.csv}, {@code relocate.csv}); every lesion counts once, whatever subject it is from.
 */
public final class ExperimentPool {

    private ExperimentPool() {}

    /** One lesion's curve from one context folder. */
    public static final class ContextLesion {
        public final String source;
        public final int id, voxels;
        public final double[] meanScore, maxScore;
        public final boolean[] detected;

        ContextLesion(String source, int id, int voxels, int steps) {
            this.source = source;
            this.id = id;
            this.voxels = voxels;
            meanScore = new double[steps];
            maxScore = new double[steps];
            detected = new boolean[steps];
        }
    }

    /** The pooled context curves. */
    public static final class Context implements ContextCurve {
        public double[] distanceMm;
        public final List<ContextLesion> lesions = new ArrayList<>();
        /** The detection threshold of every pooled run (they must agree). */
        public double threshold = Double.NaN;

        @Override public double[] distances() { return distanceMm; }
        @Override public int lesionCount() { return lesions.size(); }
        @Override public double score(int s, int l) { return lesions.get(l).meanScore[s]; }
        @Override public boolean detected(int s, int l) { return lesions.get(l).detected[s]; }
        @Override public double threshold() { return threshold; }

        /** step,distance_mm,mean_score,std_score,n_detected,n_lesions,n_sources. */
        public String csv() {
            StringBuilder sb = new StringBuilder("step,distance_mm,mean_score,std_score,n_detected,n_lesions,n_sources\r\n");
            long sources = lesions.stream().map(l -> l.source).distinct().count();
            for (int s = 0; s < steps(); s++) {
                sb.append(s).append(',').append(fmt(distanceMm[s])).append(',').append(fmt(mean(s))).append(',').append(fmt(std(s)))
                        .append(',').append(nDetected(s)).append(',').append(lesions.size()).append(',').append(sources).append("\r\n");
            }
            return sb.toString();
        }

        /** source,step,distance_mm,lesion,voxels,mean_score,max_score,detected. */
        public String detailCsv() {
            StringBuilder sb = new StringBuilder("source,step,distance_mm,lesion,voxels,mean_score,max_score,detected\r\n");
            for (ContextLesion l : lesions) {
                for (int s = 0; s < steps(); s++) {
                    sb.append(csvField(l.source)).append(',').append(s).append(',').append(fmt(distanceMm[s])).append(',').append(l.id).append(',')
                            .append(l.voxels).append(',').append(fmt(l.meanScore[s])).append(',').append(fmt(l.maxScore[s])).append(',')
                            .append(l.detected[s] ? 1 : 0).append("\r\n");
                }
            }
            return sb.toString();
        }
    }

    /**
     * Pools context folders ({@code context_lesions.csv} in each; {@code sources} name them, e.g. the subject). All
     * must have the same steps and distances, and the same threshold where given ({@code thresholds}, NaN: unknown).
     */
    public static Context context(List<Path> folders, List<String> sources, double[] thresholds) throws IOException {
        if (folders.isEmpty()) throw new IllegalArgumentException("no context folder to pool");
        Context c = new Context();
        for (int f = 0; f < folders.size(); f++) {
            Path csv = folders.get(f).resolve("context_lesions.csv");
            LesionTable t = table(folders.get(f), "context_lesions.csv", "ies experiment context",
                    "step", "distance_mm", "lesion", "voxels", "mean_score", "max_score", "detected");
            if (t.rowCount() == 0) throw new IllegalArgumentException(csv + " lists no lesion");
            int steps = 0;
            for (int r = 0; r < t.rowCount(); r++) steps = Math.max(steps, integer(t, r, "step", csv) + 1);
            double[] dist = new double[steps];
            Map<Integer, ContextLesion> byId = new LinkedHashMap<>();
            Map<Integer, boolean[]> seen = new LinkedHashMap<>();
            for (int r = 0; r < t.rowCount(); r++) {
                int s = integer(t, r, "step", csv), id = integer(t, r, "lesion", csv);
                if (s < 0) throw new IllegalArgumentException(csv + " row " + (r + 2) + ": negative step " + s);
                dist[s] = number(t, r, "distance_mm", csv);
                ContextLesion l = byId.get(id);
                if (l == null) {
                    l = new ContextLesion(sources.get(f), id, integer(t, r, "voxels", csv), steps);
                    byId.put(id, l);
                    seen.put(id, new boolean[steps]);
                }
                if (seen.get(id)[s]) throw new IllegalArgumentException(csv + " row " + (r + 2) + ": lesion " + id + " step " + s + " listed twice");
                seen.get(id)[s] = true;
                l.meanScore[s] = number(t, r, "mean_score", csv);
                l.maxScore[s] = number(t, r, "max_score", csv);
                l.detected[s] = "1".equals(t.get(r, "detected"));
            }
            for (Map.Entry<Integer, boolean[]> e : seen.entrySet()) {
                for (int s = 0; s < steps; s++) {
                    if (!e.getValue()[s]) throw new IllegalArgumentException(csv + ": lesion " + e.getKey() + " has no row for step " + s);
                }
            }
            if (c.distanceMm == null) c.distanceMm = dist;
            else if (!Arrays.equals(c.distanceMm, dist)) {
                throw new IllegalArgumentException(folders.get(f) + ": its steps " + Arrays.toString(dist) + " mm differ from " + folders.get(0)
                        + "'s " + Arrays.toString(c.distanceMm) + " mm; run every subject with the same --steps on the same voxel size");
            }
            double th = thresholds == null ? Double.NaN : thresholds[f];
            if (!Double.isNaN(th)) {
                if (Double.isNaN(c.threshold)) c.threshold = th;
                else if (c.threshold != th) {
                    throw new IllegalArgumentException(folders.get(f) + ": threshold " + th + " differs from " + c.threshold
                            + " of the folders before it; pool runs of one model and threshold");
                }
            }
            c.lesions.addAll(byId.values());
        }
        return c;
    }

    /** The relocation cases of several folders. */
    public static final class Relocate {
        public final List<String> header = new ArrayList<>();
        public final List<Map<String, String>> rows = new ArrayList<>();

        /** source,&lt;the relocate.csv columns&gt;: the union of the folders' columns, in first-seen order. */
        public String csv() {
            StringBuilder sb = new StringBuilder("source");
            for (String h : header) sb.append(',').append(h);
            sb.append("\r\n");
            for (Map<String, String> r : rows) {
                sb.append(csvField(r.get("source")));
                for (String h : header) sb.append(',').append(csvField(r.getOrDefault(h, "")));
                sb.append("\r\n");
            }
            return sb.toString();
        }

        /** The cases in first-seen order. */
        public List<String> cases() {
            List<String> out = new ArrayList<>();
            for (Map<String, String> r : rows) if (!out.contains(r.get("case"))) out.add(r.get("case"));
            return out;
        }

        /**
         * case,n,detected,mean_score_median,mean_score_min,mean_score_max and, per peak column (the explanation's
         * {@code <method>_<channel>_peak_pos/_neg}), its median over the case's lesions.
         */
        public String summaryCsv() {
            List<String> peaks = new ArrayList<>();
            for (String h : header) if (h.endsWith("_peak_pos") || h.endsWith("_peak_neg")) peaks.add(h);
            StringBuilder sb = new StringBuilder("case,n,detected,mean_score_median,mean_score_min,mean_score_max");
            for (String p : peaks) sb.append(',').append(p).append("_median");
            sb.append("\r\n");
            for (String cs : cases()) {
                List<Map<String, String>> rs = new ArrayList<>();
                for (Map<String, String> r : rows) if (cs.equals(r.get("case"))) rs.add(r);
                double[] score = rs.stream().mapToDouble(r -> num(r.get("mean_score"))).filter(Double::isFinite).toArray();
                long det = rs.stream().filter(r -> "1".equals(r.get("detected"))).count();
                sb.append(csvField(cs)).append(',').append(rs.size()).append(',').append(det).append(',').append(fmt(Statistics.median(score).median))
                        .append(',').append(fmt(Arrays.stream(score).min().orElse(Double.NaN))).append(',')
                        .append(fmt(Arrays.stream(score).max().orElse(Double.NaN)));
                for (String p : peaks) {
                    double[] v = rs.stream().mapToDouble(r -> num(r.get(p))).filter(Double::isFinite).toArray();
                    sb.append(',').append(fmt(Statistics.median(v).median));
                }
                sb.append("\r\n");
            }
            return sb.toString();
        }
    }

    /** Pools relocation folders ({@code relocate.csv} in each). */
    public static Relocate relocate(List<Path> folders, List<String> sources) throws IOException {
        if (folders.isEmpty()) throw new IllegalArgumentException("no relocation folder to pool");
        Relocate r = new Relocate();
        for (int f = 0; f < folders.size(); f++) {
            LesionTable t = table(folders.get(f), "relocate.csv", "ies experiment relocate", "case");
            for (String h : t.columns()) if (!r.header.contains(h)) r.header.add(h);
            for (int i = 0; i < t.rowCount(); i++) {
                Map<String, String> row = new LinkedHashMap<>();
                for (String h : t.columns()) row.put(h, t.get(i, h));
                row.put("source", sources.get(f));
                r.rows.add(row);
            }
        }
        return r;
    }

    // ---- helpers

    /** A folder's table written by {@code command}, with the given columns, and not itself a pool's (no source column). */
    static LesionTable table(Path folder, String file, String command, String... columns) throws IOException {
        Path csv = folder.resolve(file);
        if (!Files.isRegularFile(csv)) throw new IllegalArgumentException(folder + " has no " + file + ": give folders written by '" + command + "'");
        LesionTable t = LesionTable.read(csv);
        for (String col : columns) {
            if (!t.hasColumn(col)) throw new IllegalArgumentException(csv + " has no column '" + col + "': give folders written by '" + command + "'");
        }
        if (t.hasColumn("source")) {
            throw new IllegalArgumentException(folder + " is a pooled folder (its table has a source column): pool the subjects' own folders");
        }
        return t;
    }

    static int integer(LesionTable t, int row, String col, Path csv) {
        try {
            return Integer.parseInt(t.get(row, col).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(csv + " row " + (row + 2) + ", column " + col + ": not a whole number: '" + t.get(row, col) + "'");
        }
    }

    static double number(LesionTable t, int row, String col, Path csv) {
        String v = t.get(row, col).trim();
        if (v.isEmpty()) return Double.NaN;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(csv + " row " + (row + 2) + ", column " + col + ": not a number: '" + v + "'");
        }
    }

    static double num(String s) {
        if (s == null || s.isBlank()) return Double.NaN;
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static String csvField(String s) {
        return s == null ? "" : LesionTable.quote(s);
    }

    static String fmt(double v) {
        return ContextExperiment.fmt(v);
    }
}
