package io.github.ies.report;

import io.github.ies.io.ExplainLayout;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.analysis.Statistics;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One self-contained HTML report (no external files: figures and thumbnails are inline base64 PNGs) for one or
 * many {@code ies explain} folders: parameters and metrics of each run, the lesion table, per-lesion thumbnails
 * (input crop with the SmoothGrad-max overlay of the first input channel), and the cohort analysis (peak
 * statistics, Mann-Whitney tests, channel contributions) with its figures.
 */
public final class HtmlReport {

    private HtmlReport() {}

    /** Options. */
    public static final class Options {
        /** Input file of the thumbnails' background per folder (overrides run.json's first input); may be null. */
        public Path thumbnailInput;
        public CohortAnalysis.Options analysis = new CohortAnalysis.Options();
        /** Most thumbnails per folder. */
        public int maxThumbnails = 60;
        public String title = "IES report";
    }

    public static String build(List<Path> dirs, Options o, Consumer<String> log) throws Exception {
        Consumer<String> say = log == null ? s -> { } : log;
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(o.title)).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;font-size:12px}"
                        + "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}td.l,th.l{text-align:left}"
                        + "pre{background:#f6f6f6;padding:.5em;font-size:12px;overflow:auto}.thumbs{display:flex;flex-wrap:wrap;gap:6px}"
                        + ".thumbs figure{margin:0;font-size:11px}img{max-width:100%}")
                .append("</style></head><body>\n<h1>").append(esc(o.title)).append("</h1>\n<p>Generated ").append(Instant.now())
                .append(" by IES for Fiji from ").append(dirs.size()).append(" <code>ies explain</code> folder(s). Maps: instance-level "
                        + "SmoothGrad (max aggregation) and Grad-CAM++ (Spagnolo et al.). Thumbnails: axial plane through the instance centroid, "
                        + "red = positive, blue = negative saliency (opacity proportional to |value| / the folder's largest |value|), green = instance outline.</p>\n");
        for (Path dir : dirs) {
            h.append("<h2>").append(esc(dir.toString())).append("</h2>\n");
            Path run = dir.resolve(ExplainLayout.RUN);
            JsonObject runJson = null;
            if (Files.isRegularFile(run)) {
                runJson = JsonParser.parseString(Files.readString(run, StandardCharsets.UTF_8)).getAsJsonObject();
                h.append("<h3>Parameters</h3><pre>").append(esc(pretty(runJson.get("parameters")))).append("</pre>\n");
                if (runJson.has("model")) h.append("<h3>Model</h3><pre>").append(esc(pretty(runJson.get("model")))).append("</pre>\n");
            }
            Path metrics = dir.resolve(ExplainLayout.METRICS);
            if (Files.isRegularFile(metrics)) {
                h.append("<h3>Metrics</h3><pre>").append(esc(pretty(JsonParser.parseString(Files.readString(metrics, StandardCharsets.UTF_8)))))
                        .append("</pre>\n");
            }
            Path csv = dir.resolve(ExplainLayout.LESIONS);
            if (!Files.isRegularFile(csv)) throw new IOException(dir + ": no lesions.csv (not an 'ies explain' output folder?)");
            LesionTable t = LesionTable.read(csv);
            h.append("<h3>Lesion table (").append(t.rowCount()).append(" instances)</h3>\n<table><tr>");
            for (String c : t.columns()) h.append("<th>").append(esc(c)).append("</th>");
            h.append("</tr>\n");
            for (int r = 0; r < t.rowCount(); r++) {
                h.append("<tr>");
                for (String c : t.columns()) h.append("<td>").append(esc(short6(t.get(r, c)))).append("</td>");
                h.append("</tr>\n");
            }
            h.append("</table>\n");
            thumbnails(h, dir, t, runJson, o, say);
        }
        CohortAnalysis.Result r = new CohortAnalysis(o.analysis).run(dirs, say);
        h.append("<h2>Analysis</h2>\n<p>Peaks (max) and troughs (min) of each instance's maps, by category; median with the distribution-free 95% CI "
                + "(order statistics); two-sided Mann-Whitney U (normal approximation, continuity and tie corrected), rank-biserial r = 2U/(n<sub>a</sub>n<sub>b</sub>) - 1. "
                + "Channel contributions: SmoothGrad-max values outside (-").append(o.analysis.threshold).append(", ").append(o.analysis.threshold)
                .append(").</p>\n");
        h.append("<h3>Group summary</h3><table><tr><th class=l>method</th><th class=l>channel</th><th class=l>statistic</th><th class=l>group</th><th>n</th>"
                + "<th>median</th><th>95% CI</th></tr>\n");
        for (String[] mc : r.methodChannels) for (String stat : CohortAnalysis.statistics(mc)) {
            for (Map.Entry<String, double[]> e : CohortAnalysis.peakValues(r, mc[0], mc[1], stat).entrySet()) {
                Statistics.Median m = Statistics.median(e.getValue());
                h.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td>%d</td><td>%.4g</td><td>%s</td></tr>%n",
                        esc(mc[0]), esc(mc[1]), stat, esc(e.getKey()), m.n, m.median,
                        Double.isNaN(m.lo) ? "n &lt; 6" : String.format(Locale.ROOT, "[%.4g, %.4g]", m.lo, m.hi)));
            }
        }
        h.append("</table>\n<h3>Group tests</h3><table><tr><th class=l>method</th><th class=l>channel</th><th class=l>statistic</th><th class=l>a</th>"
                + "<th class=l>b</th><th>n<sub>a</sub></th><th>n<sub>b</sub></th><th>U</th><th>p</th><th>r</th></tr>\n");
        for (String[] mc : r.methodChannels) for (String stat : CohortAnalysis.statistics(mc)) {
            Map<String, double[]> g = CohortAnalysis.peakValues(r, mc[0], mc[1], stat);
            List<String> gs = new ArrayList<>(g.keySet());
            for (int a = 0; a < gs.size(); a++) for (int b = a + 1; b < gs.size(); b++) {
                if (g.get(gs.get(a)).length == 0 || g.get(gs.get(b)).length == 0) continue;
                Statistics.MannWhitney mw = Statistics.mannWhitney(g.get(gs.get(a)), g.get(gs.get(b)));
                h.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td>"
                        + "<td>%d</td><td>%d</td><td>%.1f</td><td>%.3g</td><td>%.3f</td></tr>%n", esc(mc[0]), esc(mc[1]), stat, esc(gs.get(a)), esc(gs.get(b)),
                        mw.nA, mw.nB, mw.u, mw.pValue, mw.rankBiserial));
            }
        }
        h.append("</table>\n<h3>Figures</h3>\n");
        Path tmp = Files.createTempDirectory("ies-report-");
        try {
            for (Path f : CohortFigures.write(r, tmp)) {
                h.append("<figure><img alt=\"").append(esc(f.getFileName().toString())).append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(Files.readAllBytes(f))).append("\"><figcaption>")
                        .append(esc(f.getFileName().toString())).append("</figcaption></figure>\n");
            }
        } finally {
            try (var s = Files.walk(tmp)) {
                for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
            }
        }
        for (String w : r.warnings) h.append("<p>Warning: ").append(esc(w)).append("</p>\n");
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void thumbnails(StringBuilder h, Path dir, LesionTable t, JsonObject run, Options o, Consumer<String> say) throws IOException {
        Path input = o.thumbnailInput;
        String channel = null;
        if (input == null && run != null && run.has("parameters") && run.getAsJsonObject("parameters").has("inputs")) {
            JsonObject in = run.getAsJsonObject("parameters").getAsJsonObject("inputs");
            for (Map.Entry<String, JsonElement> e : in.entrySet()) {
                Path p = Path.of(e.getValue().getAsString());
                if (!p.isAbsolute() && !Files.isRegularFile(p)) p = dir.resolve(p);
                input = p;
                channel = e.getKey();
                break;
            }
        }
        if (input == null || !Files.isRegularFile(input)) {
            h.append("<p>No thumbnails: the input image ").append(input == null ? "is unknown" : esc(input.toString()) + " was not found")
                    .append(" (give it with --thumbnail-input).</p>\n");
            return;
        }
        String key = channel == null ? null : ExplainLayout.channelKey(channel);
        Volume base = Nifti.read(input);
        List<Volume> maps = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        double scale = 0;
        for (int r = 0; r < t.rowCount() && rows.size() < o.maxThumbnails; r++) {
            String id = t.get(r, "id");
            Path m = key == null ? null : new ExplainLayout(dir).map(Integer.parseInt(id.trim()), "smoothgrad-max", key, false);
            Volume v = m != null && Files.isRegularFile(m) ? Nifti.read(m) : null;
            if (v != null && !v.sameGrid(base)) v = null;
            maps.add(v);
            rows.add(r);
            if (v != null) scale = Math.max(scale, Thumbnails.maxAbs(v));
        }
        h.append("<h3>Instances (").append(esc(input.getFileName().toString())).append(", SmoothGrad-max ").append(esc(channel == null ? "" : channel))
                .append(")</h3>\n<div class=thumbs>\n");
        Map<String, Volume> labelFiles = new java.util.HashMap<>();
        for (int n = 0; n < rows.size(); n++) {
            int r = rows.get(n);
            int id = t.getInt(r, "id");
            String cat = t.hasColumn("category") ? t.get(r, "category") : "";
            int[] c = {(int) Math.round(t.getDouble(r, "centroid_i")), (int) Math.round(t.getDouble(r, "centroid_j")),
                    (int) Math.round(t.getDouble(r, "centroid_k"))};
            String lf = LesionTable.labelFileFor(cat);
            if (!labelFiles.containsKey(lf)) {
                Path lp = dir.resolve(lf);
                labelFiles.put(lf, Files.isRegularFile(lp) ? Nifti.read(lp) : null);
            }
            Volume lab = labelFiles.get(lf);
            boolean[] outline = null;
            if (lab != null && lab.sameGrid(base)) {
                outline = new boolean[lab.size()];
                for (int v = 0; v < outline.length; v++) outline[v] = lab.data()[v] == id;
            }
            Volume map = maps.get(n);
            BufferedImage img = Thumbnails.axial(base, map, map == null ? Thumbnails.Overlay.NONE : Thumbnails.Overlay.SIGNED, scale, outline,
                    c[0], c[1], c[2], 12, 6, "#" + id + " " + cat);
            h.append("<figure><img alt=\"lesion ").append(id).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(Figures.png(img))).append("\"></figure>\n");
        }
        h.append("</div>\n");
        say.accept(dir + ": " + rows.size() + " thumbnail(s)");
    }

    static String pretty(JsonElement e) {
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(e);
    }

    static String short6(String s) {
        try {
            if (s.contains(".") || s.contains("E")) {
                double d = Double.parseDouble(s);
                return String.format(Locale.ROOT, "%.6g", d);
            }
        } catch (NumberFormatException ignored) {
            // text
        }
        return s;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
