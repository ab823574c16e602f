package io.github.ies.report;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.analysis.Statistics;
import io.github.ies.instances.LesionColumns;
import io.github.ies.instances.LesionRow;
import io.github.ies.instances.LesionRows;
import io.github.ies.instances.LesionTable;
import io.github.ies.instances.Peak;
import io.github.ies.instances.PeakKey;
import io.github.ies.geometry.DisplayOrientation;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import io.github.ies.saliency.MapUnits;
import io.github.ies.saliency.SaliencyMethod;
import io.github.ies.saliency.SaliencyMethods;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One self-contained HTML report (inline CSS and script, every image a base64 PNG) over one or many explain folders,
 * in the order a scientist reads it: per folder a <b>summary</b> (subject, model, segmentation metrics, instances by
 * category), the <b>lesion table</b> (peak columns right after the size, sortable by any column), and per explained
 * lesion a <b>figure</b> ({@link LesionFigure}: each map in three orthogonal slices through the lesion's centroid, radiological,
 * with the lesion's outline, orientation letters, a mm scale bar and a colour bar with values); then the cohort
 * analysis (group statistics, Mann-Whitney tests, figures); then each folder's parameters, collapsed.
 * <p>Colours: SmoothGrad maps diverge symmetrically about 0. SmoothGrad-max has one range per method for every lesion
 * of the report and every channel (the largest |peak| of the tables), so equal colours mean equal values across
 * lesions and channels; SmoothGrad-mean (whose values shrink about as 1/|lesion|) has one range per lesion, common to
 * its channels; Grad-CAM++ (a ReLU) runs from 0 to each lesion's own peak, because its values differ by orders of
 * magnitude between lesions. {@link Options#perChannelRanges} gives each channel its own range instead. Every row of
 * a lesion cuts through the lesion's centroid; a Grad-CAM++ row carries a caveat when run.json's
 * {@code feature_activations} measured negative activations of the explained layer.
 */
public final class HtmlReport {

    private HtmlReport() {}

    /**
     * The generator a report names in its head ({@code <meta name="generator" content="ies report VERSION">}): how a
     * later {@code ies report} recognises a file it may replace ({@code jobs.ReportJob}).
     */
    public static final String GENERATOR = "ies report";

    /** Options. */
    public static final class Options {
        /** Anatomy per input channel (as named in run.json, e.g. FLAIR), overriding run.json's paths; may be empty. */
        public Map<String, Path> inputs = new LinkedHashMap<>();
        public CohortAnalysis.Options analysis = new CohortAnalysis.Options();
        public static final int DEFAULT_MAX_LESIONS = 60;
        public static final String DEFAULT_TITLE = "IES report";
        /** Most lesion figures per folder. */
        public int maxLesions = DEFAULT_MAX_LESIONS;
        public String title = DEFAULT_TITLE;
        /**
         * Colour ranges of the SmoothGrad rows: false (default) one range for every channel of a method (so FLAIR and
         * MPRAGE can be compared by colour); true one range per channel.
         */
        public boolean perChannelRanges = false;
        /** Told (figures done, figures in all) as the lesion figures are drawn. */
        public Progress progress = (done, total) -> { };

        /** The one check of these options, for every interface, before any work. @throws io.github.ies.request.InvalidRequest naming the setting */
        public Options validate() {
            analysis.validate();
            if (maxLesions < 0) throw new io.github.ies.request.InvalidRequest("{max_lesions} must be >= 0, got " + maxLesions);
            return this;
        }
    }

    /** Progress of the lesion figures. */
    public interface Progress {
        void progress(long done, long total);
    }

    /**
     * The map rows of a lesion figure, in registry order ({@link SaliencyMethods}): method, channel (null: every input
     * channel), label; one per method with lesion maps.
     */
    private static List<String[]> rows() {
        List<String[]> out = new ArrayList<>();
        for (SaliencyMethod m : SaliencyMethods.all()) {
            if (!m.perLesion()) continue;
            out.add(new String[] {m.key, m.kind == SaliencyMethod.Kind.PER_CHANNEL ? null : ExplainLayout.LAYER, m.displayName});
        }
        return out;
    }

    /** One explain folder as read for the report. */
    private static final class Folder {
        Path dir;
        JsonObject run, metrics;
        /** lesions.csv as typed rows, and as text (the lesion table of the page shows the cells as the CSV has them). */
        LesionRows rows;
        LesionTable table;
        List<Integer> explainedRows = new ArrayList<>();
        Map<String, Path> inputFiles = new LinkedHashMap<>();
        /** The methods the folder's run computed (run.json's parameters.methods); null: unknown (no record), any map found. */
        java.util.Set<String> methods;

        /** True when the folder's run computed {@code method}: maps of other methods are an older run's and are not shown. */
        boolean ran(String method) {
            return methods == null || methods.contains(method);
        }
    }

    public static String build(List<Path> dirs, Options o, Consumer<String> log) throws Exception {
        Consumer<String> say = log == null ? s -> { } : log;
        List<Folder> folders = new ArrayList<>();
        for (Path dir : dirs) folders.add(read(dir, o));
        Map<String, Double> ranges = signedRanges(folders);
        StringBuilder h = new StringBuilder();
        head(h, o.title);
        h.append("<h1>").append(esc(o.title)).append("</h1>\n<p class=sub>Generated ").append(Instant.now().toString(), 0, 19).append("Z by IES for Fiji from ")
                .append(dirs.size()).append(" explain folder(s). Instance-level saliency (Spagnolo et al.): SmoothGrad with max and mean aggregation, "
                        + "instance Grad-CAM++. Views are radiological (the patient's right on the left; letters at the edges).</p>\n");
        long total = 0, done = 0;
        for (Folder f : folders) total += Math.min(o.maxLesions, f.explainedRows.size());
        for (Folder f : folders) {
            summary(h, f, folders.size() > 1);
            lesionTable(h, f);
            int[] d = {0};
            long base = done;
            long all = total;
            lesionFigures(h, f, o, ranges, say, n -> {
                o.progress.progress(base + n, all);
                d[0] = n;
            });
            done += d[0];
        }
        analysis(h, dirs, o, say);
        h.append("<h2 id=parameters>Parameters</h2>\n");
        for (Folder f : folders) {
            h.append("<details><summary>").append(esc(f.dir.toString())).append(": run.json (parameters, model, environment, per-lesion timings)</summary><pre>")
                    .append(esc(f.run == null ? "no run.json" : pretty(f.run))).append("</pre></details>\n");
            if (f.metrics != null) {
                h.append("<details><summary>").append(esc(f.dir.toString())).append(": metrics.json</summary><pre>").append(esc(pretty(f.metrics)))
                        .append("</pre></details>\n");
            }
        }
        h.append(SCRIPT).append("</body></html>\n");
        return h.toString();
    }

    private static Folder read(Path dir, Options o) throws IOException {
        Folder f = new Folder();
        f.dir = dir;
        ExplainLayout l = new ExplainLayout(dir);
        if (!Files.isRegularFile(l.lesions())) throw new IOException(dir + ": no lesions.csv (not an 'ies explain' output folder?)");
        f.table = LesionTable.read(l.lesions());
        try {
            f.rows = CohortAnalysis.lesionRows(f.table, dir);
        } catch (IllegalArgumentException e) {
            throw new IOException(l.lesions() + ": " + e.getMessage(), e);
        }
        if (Files.isRegularFile(l.run())) f.run = JsonParser.parseString(Files.readString(l.run(), StandardCharsets.UTF_8)).getAsJsonObject();
        JsonObject rp = f.run == null || !f.run.has("parameters") || !f.run.get("parameters").isJsonObject() ? null : f.run.getAsJsonObject("parameters");
        // only what the folder's run made: its methods, and metrics.json only when it had a ground truth (folders of older
        // versions may still hold an earlier run's files beside the last one's)
        if (rp != null && rp.has("methods") && rp.get("methods").isJsonArray()) {
            f.methods = new java.util.HashSet<>();
            for (JsonElement e : rp.getAsJsonArray("methods")) f.methods.add(e.getAsString());
        }
        boolean hadTruth = rp == null;
        for (String k : new String[] {"gt", "ground_truth", "segmentation"}) hadTruth |= rp != null && rp.has(k) && !rp.get(k).isJsonNull();
        if (hadTruth && Files.isRegularFile(l.metrics())) f.metrics = JsonParser.parseString(Files.readString(l.metrics(), StandardCharsets.UTF_8)).getAsJsonObject();
        for (int r = 0; r < f.rows.size(); r++) if (f.rows.get(r).explained()) f.explainedRows.add(r);
        JsonObject p = f.run == null ? null : f.run.getAsJsonObject("parameters");
        if (p != null && p.has("inputs") && p.get("inputs").isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : p.getAsJsonObject("inputs").entrySet()) {
                Path in = Path.of(e.getValue().getAsString().replaceFirst("^image '(.*)'$", "$1"));
                if (!in.isAbsolute() && !Files.isRegularFile(in)) in = dir.resolve(in);
                f.inputFiles.put(e.getKey(), in);
            }
        }
        for (Map.Entry<String, Path> e : o.inputs.entrySet()) {
            String key = null;
            for (String k : f.inputFiles.keySet()) if (k.equalsIgnoreCase(e.getKey())) key = k;
            f.inputFiles.put(key != null ? key : e.getKey(), e.getValue());
        }
        return f;
    }

    /**
     * Per SmoothGrad column prefix and per method (key {@code method}: over its channels), the largest |peak| over
     * every folder: the display ranges of those maps.
     */
    private static Map<String, Double> signedRanges(List<Folder> folders) {
        Map<String, Double> r = new HashMap<>();
        for (Folder f : folders) {
            for (PeakKey k : f.rows.peakKeys()) {
                for (int row : f.explainedRows) {
                    Peak p = f.rows.get(row).peak(k);
                    if (p == null) continue;
                    for (double v : new double[] {Peak.decimal(p.pos()), Peak.decimal(p.neg())}) {
                        if (Double.isFinite(v)) {
                            r.merge(k.columnPrefix(), Math.abs(v), Math::max);
                            r.merge(k.method(), Math.abs(v), Math::max);
                        }
                    }
                }
            }
        }
        return r;
    }

    private static void head(StringBuilder h, String title) {
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"generator\" content=\"").append(GENERATOR)
                .append(HtmlReport.class.getPackage().getImplementationVersion() == null ? "" : " " + HtmlReport.class.getPackage().getImplementationVersion())
                .append("\"><title>").append(esc(title)).append("</title>\n<style>")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em 2em;max-width:1500px;color:#222}"
                        + "h1{margin-bottom:.2em}p.sub{color:#555;margin-top:0}"
                        + "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}"
                        + "th{background:#eee}td.l,th.l{text-align:left}table.sortable th{cursor:pointer}table.sortable th:hover{background:#dde}"
                        + "th[data-dir=asc]::after{content:' \\25B2'}th[data-dir=desc]::after{content:' \\25BC'}"
                        + ".scroll{overflow-x:auto;max-width:100%;border:1px solid #ddd}"
                        + ".scroll td:first-child,.scroll th:first-child{position:sticky;left:0;background:#fafafa}"
                        + "table.summary td{text-align:left;vertical-align:top}table.summary td:first-child{font-weight:bold;background:#f4f4f4}"
                        + ".lesions{display:flex;flex-wrap:wrap;gap:14px}.lesions figure{margin:0}.lesions figcaption{font-size:13px;font-weight:bold}"
                        + "pre{background:#f6f6f6;padding:.5em;font-size:12px;overflow:auto}details{margin:.4em 0}summary{cursor:pointer}"
                        + "img{max-width:100%}p.caveat{font-size:12px;max-width:520px;margin:.3em 0;color:#7a4b00}.cat-TP{color:#1a7f37}.cat-FP{color:#cf222e}.cat-FN{color:#9a6700}.cat-TN{color:#555}")
                .append("</style></head><body>\n");
    }

    private static final String SCRIPT = "<script>\n"
            + "document.querySelectorAll('table.sortable').forEach(function(t){\n"
            + " t.querySelectorAll('thead th').forEach(function(th,i){th.addEventListener('click',function(){\n"
            + "  var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute('data-dir')!=='asc';\n"
            + "  t.querySelectorAll('thead th').forEach(function(x){x.removeAttribute('data-dir')});th.setAttribute('data-dir',asc?'asc':'desc');\n"
            + "  function key(r){var c=r.cells[i];return c.hasAttribute('data-v')?c.getAttribute('data-v'):c.textContent}\n"
            + "  rows.sort(function(a,c){var x=key(a),y=key(c),nx=parseFloat(x),ny=parseFloat(y);\n"
            + "   var d=(isNaN(nx)||isNaN(ny))?(x<y?-1:x>y?1:0):(nx-ny);if(isNaN(nx)&&!isNaN(ny))d=1;if(!isNaN(nx)&&isNaN(ny))d=-1;return asc?d:-d});\n"
            + "  rows.forEach(function(r){b.appendChild(r)})})})});\n"
            + "</script>\n";

    private static void summary(StringBuilder h, Folder f, boolean several) {
        String name = f.dir.toAbsolutePath().normalize().getFileName() == null ? f.dir.toString() : f.dir.toAbsolutePath().normalize().getFileName().toString();
        h.append("<h2 id=\"").append(esc(anchor(f.dir))).append("\">").append(esc(name)).append("</h2>\n<table class=summary>\n");
        row(h, "Folder", esc(f.dir.toString()));
        StringBuilder subj = new StringBuilder();
        for (Map.Entry<String, Path> e : f.inputFiles.entrySet()) {
            subj.append(esc(e.getKey())).append(": <code>").append(esc(e.getValue().toString())).append("</code><br>");
        }
        JsonObject p = f.run == null ? null : f.run.getAsJsonObject("parameters");
        if (p != null) {
            for (String k : new String[] {"gt", "ground_truth", "brain_mask", "labels", "segmentation"}) {
                if (p.has(k) && !p.get(k).isJsonNull()) subj.append(esc(k)).append(": <code>").append(esc(p.get(k).getAsString())).append("</code><br>");
            }
        }
        row(h, "Subject", subj.length() == 0 ? "unknown (no run.json)" : subj.toString());
        JsonObject m = f.run == null ? null : f.run.getAsJsonObject("model");
        if (m != null) {
            String sha = str(m, "model_sha256");
            row(h, "Model", esc(str(m, "name")) + " (SHA-256 " + esc(sha.length() > 12 ? sha.substring(0, 12) + "..." : sha) + "; explained layer <code>"
                    + esc(str(m, "feature_layer")) + "</code>; threshold " + esc(str(m, "bundle_threshold")) + ")"
                    + (p != null && p.has("model") ? "<br><code>" + esc(p.get("model").getAsString()) + "</code>" : ""));
        }
        if (p != null && p.has("methods")) {
            row(h, "Explanation", esc(String.format(Locale.ROOT, "%s; N = %s noisy copies, noise level %s, seed %s, %s context", p.get("methods").toString()
                    .replaceAll("[\\[\\]\"]", "").replace(",", ", "), str(p, "samples"), str(p, "noise_level"), str(p, "seed"), str(p, "context")))
                    + (f.run.has("finished") ? "; " + esc(str(f.run, "finished")) : "") + (f.run.has("ies_version") ? " (" + esc(str(f.run, "ies_version")) + ")" : ""));
        }
        if (f.metrics != null && f.metrics.has("dice")) {
            JsonObject x = f.metrics;
            row(h, "Segmentation", String.format(Locale.ROOT, "Dice %s, nDSC %s; lesions: TP %s, FP %s, FN %s; precision %s, recall %s, F1 %s",
                    num(x, "dice"), num(x, "ndsc"), str(x, "lesion_tp"), str(x, "lesion_fp"), str(x, "lesion_fn"), num(x, "lesion_precision"),
                    num(x, "lesion_recall"), num(x, "lesion_f1")));
        }
        Map<String, int[]> counts = new LinkedHashMap<>();
        for (String c : List.of("TP", "FP", "FN", "TN")) counts.put(c, new int[2]);
        for (int r = 0; r < f.table.rowCount(); r++) {
            String c = f.rows.get(r).category();
            counts.computeIfAbsent(c.isEmpty() ? "no category" : c, k -> new int[2])[0]++;
            if (f.explainedRows.contains(r)) counts.get(c.isEmpty() ? "no category" : c)[1]++;
        }
        StringBuilder cs = new StringBuilder();
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            if (e.getValue()[0] == 0) continue;
            cs.append(cs.length() > 0 ? "; " : "").append("<span class=\"").append(catClass(e.getKey())).append("\">").append(esc(e.getKey()))
                    .append("</span> ").append(e.getValue()[0]).append(" (").append(e.getValue()[1]).append(" explained)");
        }
        row(h, "Instances", cs.length() == 0 ? "none" : cs.toString());
        if (f.run != null && f.run.has("warnings") && f.run.getAsJsonArray("warnings").size() > 0) {
            StringBuilder w = new StringBuilder();
            for (JsonElement e : f.run.getAsJsonArray("warnings")) w.append(esc(e.getAsString())).append("<br>");
            row(h, "Warnings", w.toString());
        }
        h.append("</table>\n");
    }

    private static void row(StringBuilder h, String k, String vHtml) {
        h.append("<tr><td>").append(esc(k)).append("</td><td>").append(vHtml).append("</td></tr>\n");
    }

    /** The table's columns for display: id, category, size, the peaks, then the rest. */
    static List<String> displayColumns(LesionTable t) {
        List<String> out = new ArrayList<>();
        for (String c : List.of(LesionColumns.ID, LesionColumns.CATEGORY, LesionColumns.VOXELS, LesionColumns.VOLUME)) if (t.hasColumn(c)) out.add(c);
        for (String c : t.columns()) if (LesionColumns.isPeakOrError(c) && !out.contains(c)) out.add(c);
        for (String c : t.columns()) if (!out.contains(c)) out.add(c);
        return out;
    }

    /** Short header of a column: sg_max_flair+ for smoothgrad_max_flair_peak_pos, as ies explain prints them. */
    static String shortName(String c) {
        return c.replace("smoothgrad_", "sg_").replace("gradcampp", "gcam").replace("_peak_pos", "+").replace("_peak_neg", "-");
    }

    private static void lesionTable(StringBuilder h, Folder f) {
        LesionTable t = f.table;
        h.append("<h3>Lesion table (").append(t.rowCount()).append(" instances, ").append(f.explainedRows.size())
                .append(" explained)</h3>\n<p class=sub>Click a column to sort. <code>sg_max_flair+</code> = <code>smoothgrad_max_flair_peak_pos</code> "
                        + "(the map's maximum), <code>-</code> = <code>_peak_neg</code> (its minimum); hover a header for its lesions.csv name. "
                        + "Values to 4 significant digits (the CSV has them all).</p>\n");
        List<Integer> explained = f.explainedRows, others = new ArrayList<>();
        for (int r = 0; r < t.rowCount(); r++) if (!explained.contains(r)) others.add(r);
        if (!explained.isEmpty()) rows(h, f, explained);
        if (!others.isEmpty()) {
            h.append(explained.isEmpty() ? "<div>" : "<details><summary>").append(others.size())
                    .append(" instance(s) of the table not explained").append(explained.isEmpty() ? "</div>\n" : "</summary>\n");
            rows(h, f, others);
            if (!explained.isEmpty()) h.append("</details>\n");
        }
    }

    private static void rows(StringBuilder h, Folder f, List<Integer> rows) {
        LesionTable t = f.table;
        List<String> cols = displayColumns(t);
        h.append("<div class=scroll><table class=sortable><thead><tr>");
        for (String c : cols) {
            boolean text = c.equals(LesionColumns.CATEGORY);
            String sn = shortName(c);
            int u = sn.lastIndexOf('_');
            String head = sn.length() > 8 && u > 0 ? esc(sn.substring(0, u)) + "_<br>" + esc(sn.substring(u + 1)) : esc(sn);
            h.append("<th").append(text ? " class=l" : "").append(" title=\"").append(esc(c)).append("\">").append(head).append("</th>");
        }
        h.append("</tr></thead><tbody>\n");
        String a = anchor(f.dir);
        for (int r : rows) {
            h.append("<tr>");
            boolean explained = f.explainedRows.contains(r);
            for (String c : cols) {
                String v = t.get(r, c);
                if (c.equals(LesionColumns.ID)) {
                    int id = f.rows.get(r).id();
                    h.append("<td data-v=\"").append(id).append("\">").append(explained ? "<a href=\"#" + esc(a) + "-lesion-" + id + "\">" + id + "</a>" : id)
                            .append("</td>");
                } else if (c.equals(LesionColumns.CATEGORY)) {
                    h.append("<td class=\"l ").append(catClass(v)).append("\">").append(esc(v)).append("</td>");
                } else {
                    h.append("<td data-v=\"").append(esc(v)).append("\">").append(esc(short4(v))).append("</td>");
                }
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n");
    }

    private static void lesionFigures(StringBuilder h, Folder f, Options o, Map<String, Double> ranges, Consumer<String> say,
            java.util.function.IntConsumer progress) throws IOException {
        if (f.explainedRows.isEmpty()) return;
        Map<String, Volume> anatomy = new LinkedHashMap<>();
        Map<String, double[]> windows = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Path> e : f.inputFiles.entrySet()) {
            if (Files.isRegularFile(e.getValue())) {
                Volume v = Nifti.read(e.getValue());
                anatomy.put(ExplainLayout.channelKey(e.getKey()), v);
                windows.put(ExplainLayout.channelKey(e.getKey()), window(v));
            } else {
                missing.add(e.getKey() + " (" + e.getValue() + ")");
            }
        }
        h.append("<h3>Lesions</h3>\n");
        if (anatomy.isEmpty()) {
            h.append("<p>No lesion figures: the input images ").append(esc(missing.isEmpty() ? "are not named in run.json" : "were not found: " + missing))
                    .append(" (give them with --input NAME=FILE).</p>\n");
            return;
        }
        Volume ref = anatomy.values().iterator().next();
        DisplayOrientation or = DisplayOrientation.of(ref.geometry());
        double negative = negativeFraction(f.run);
        h.append("<p class=sub>Each figure: a whole-brain axial overview, then one row per map in three orthogonal slices, <b>every row through the "
                + "same point, the lesion's centroid</b> (voxel and world mm in the overview; ticks at the edges point at it; each row's label gives its "
                + "map's own peak), on the anatomy of its channel (Grad-CAM++: the first input), ").append(esc(or.describe())).append("; magenta: the "
                + "lesion's outline. SmoothGrad: blue (negative) to cyan, red (positive) to yellow; SmoothGrad-max one range for all lesions and "
                + (o.perChannelRanges ? "each channel its own" : "both channels") + ", SmoothGrad-mean one range per lesion" + (o.perChannelRanges
                ? " and channel" : " common to its channels") + "; Grad-CAM++: red to yellow from 0 to the lesion's own peak. Values below ")
                .append((int) (100 * MapColours.TRANSPARENT_BELOW)).append("% of the range are not drawn, opaque from ").append((int) (100 * MapColours.OPAQUE_FROM))
                .append("%. Units and meaning: <a href=\"#about-maps\">what the maps show</a>.</p>\n");
        aboutMaps(h, negative);
        h.append("<div class=lesions>\n");
        ExplainLayout layout = new ExplainLayout(f.dir);
        Map<String, Volume> labelCache = new HashMap<>();
        int shown = 0;
        for (int r : f.explainedRows) {
            if (shown >= o.maxLesions) {
                h.append("</div><p>").append(f.explainedRows.size() - shown).append(" more explained lesion(s) not shown (--max-lesions ")
                        .append(o.maxLesions).append(").</p><div>\n");
                break;
            }
            LesionTable t = f.table;
            LesionRow row = f.rows.get(r);
            int id = row.id();
            String cat = row.category();
            Path lp = CohortAnalysis.labelImage(f.dir, cat);
            Volume lab = null;
            if (lp != null) {
                lab = labelCache.get(lp.toString());
                if (lab == null) {
                    lab = Nifti.read(lp);
                    labelCache.put(lp.toString(), lab);
                }
            }
            boolean[] lesion = null;
            if (lab != null && lab.sameGrid(ref)) {
                lesion = new boolean[lab.size()];
                for (int v = 0; v < lesion.length; v++) lesion[v] = lab.data()[v] == id;
            }
            int[] centroid = row.centreVoxel() == null ? new int[] {ref.dim(0) / 2, ref.dim(1) / 2, ref.dim(2) / 2} : row.centreVoxel();
            double fov = 64;
            if (row.bboxMin() != null && row.bboxMax() != null) {
                double[] sp = ref.spacing();
                for (int a = 0; a < 3; a++) {
                    double ext = row.extent(a) * sp[a];
                    if (Double.isFinite(ext)) fov = Math.max(fov, ext + 24);
                }
            }
            List<LesionFigure.Row> rows = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (String[] spec : rows()) {
                if (!f.ran(spec[0])) continue;
                List<String> chans = spec[1] != null ? List.of(spec[1]) : new ArrayList<>(anatomy.keySet());
                SaliencyMethod method = SaliencyMethods.fromKey(spec[0]);
                Map<String, Volume> maps = new LinkedHashMap<>();
                double lesionMax = 0;
                for (String ch : chans) {
                    Path mp = layout.existingMap(id, spec[0], ch, false);
                    if (!Files.isRegularFile(mp)) continue;
                    Volume map = Nifti.read(mp);
                    if (!map.sameGrid(ref)) continue;
                    maps.put(ch, map);
                    lesionMax = Math.max(lesionMax, maxAbs(map));
                }
                for (Map.Entry<String, Volume> me : maps.entrySet()) {
                    String ch = me.getKey();
                    Volume map = me.getValue();
                    PeakKey key = new PeakKey(spec[0], ch);
                    boolean signed = key.hasNegative();
                    Volume an = anatomy.getOrDefault(ch, ref);
                    double[] win = windows.getOrDefault(ch, windows.get(anatomy.keySet().iterator().next()));
                    double range;
                    String note;
                    String caveat = null;
                    boolean perLesion = !signed || method == SaliencyMethods.SMOOTHGRAD_MEAN;
                    if (!perLesion) {
                        range = ranges.getOrDefault(o.perChannelRanges ? key.columnPrefix() : key.method(), 1.0);
                        note = o.perChannelRanges ? "all lesions" : "all lesions,\nboth channels";
                    } else {
                        range = o.perChannelRanges || !signed ? maxAbs(map) : lesionMax;
                        if (range == 0) range = 1;
                        note = signed && !o.perChannelRanges && maps.size() > 1 ? "this lesion,\nboth channels" : "this lesion";
                    }
                    boolean zero = maxAbs(map) == 0;
                    if (!signed && negative > 0) {
                        caveat = String.format(Locale.ROOT, "caveat: %.0f%% negative activations (see note)", 100 * negative);
                    }
                    if (!signed && zero) {
                        notes.add(esc(spec[2]) + " is <b>zero everywhere</b> for this lesion: no cell of the explained layer has a positive weighted "
                                + "sum of activations (the method's ReLUs drop every term), so the method found no positive evidence. It does not mean "
                                + "the network ignored the lesion: the SmoothGrad rows show its input gradients. <a href=\"#about-gradcampp\">Why</a>.");
                    } else if (!signed && negative > 0) {
                        notes.add(esc(spec[2]) + String.format(Locale.ROOT, ": %.0f%% of the explained layer's activations are negative in this run, "
                                + "but the method's closed-form weights assume non-negative activations; its map can sit beside the lesion or be zero. "
                                + "<a href=\"#about-gradcampp\">Why</a>.", 100 * negative));
                    }
                    String label = spec[2] + (signed ? " " + ch.toUpperCase(Locale.ROOT) : "");
                    String unit = method == null ? null : MapUnits.unit(method).replace(" / ", " /\n");
                    rows.add(new LesionFigure.Row(label, an, win, map, range, signed, note, unit, caveat));
                }
            }
            if (rows.isEmpty()) continue;
            BufferedImage img = LesionFigure.render(rows, lesion, centroid, "the lesion's centroid (rounded)", fov);
            String title = String.format(Locale.ROOT, "lesion %s%s%s%s", ExplainLayout.paddedId(id), cat.isEmpty() ? "" : " (" + cat + ")",
                    t.hasColumn(LesionColumns.VOXELS) ? ": " + t.get(r, LesionColumns.VOXELS) + " voxels" : "",
                    t.hasColumn(LesionColumns.VOLUME) ? ", " + short4(t.get(r, LesionColumns.VOLUME)) + " mm3" : "");
            h.append("<figure id=\"").append(esc(anchor(f.dir))).append("-lesion-").append(id).append("\"><figcaption class=\"").append(catClass(cat))
                    .append("\">").append(esc(title)).append("</figcaption><img alt=\"").append(esc(title)).append("\" width=").append(img.getWidth())
                    .append(" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(Figures.png(img))).append("\">");
            for (String n : notes) h.append("<p class=caveat>").append(n).append("</p>");
            h.append("</figure>\n");
            shown++;
            progress.accept(shown);
        }
        h.append("</div>\n");
        say.accept(f.dir + ": " + shown + " lesion figure(s)");
    }

    /** The largest |value| of a map. */
    private static double maxAbs(Volume v) {
        double m = 0;
        for (float x : v.data()) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** run.json's measured fraction of negative activations of the explained layer (Grad-CAM++ ran), else NaN. */
    static double negativeFraction(JsonObject run) {
        if (run == null || !run.has("feature_activations") || !run.get("feature_activations").isJsonObject()) return Double.NaN;
        JsonObject fa = run.getAsJsonObject("feature_activations");
        JsonElement e = fa.get("negative_fraction");
        return e == null || !e.isJsonPrimitive() ? Double.NaN : e.getAsDouble();
    }

    /** What the maps show: values and units, ranges, and (when Grad-CAM++ ran on negative activations) why its maps mislead. */
    private static void aboutMaps(StringBuilder h, double negative) {
        h.append("<details id=about-maps><summary>What the maps show (units, ranges, Grad-CAM++ on this network)</summary><ul>"
                + "<li><b>SmoothGrad-max</b> (").append(esc(MapUnits.unit(SaliencyMethods.SMOOTHGRAD_MAX))).append("): per voxel of the input, the "
                + "derivative of the lesion-class logit of the lesion's voxel that depends on it most (the signed value of largest magnitude over the "
                + "lesion's voxels) with respect to the network's normalised input (z-scored per channel for the demo model: one input unit is one "
                + "standard deviation of that channel's intensities), averaged over N noisy copies. Positive (red-yellow): raising the intensity there "
                + "raises the logit.</li>"
                + "<li><b>SmoothGrad-mean</b> (").append(esc(MapUnits.unit(SaliencyMethods.SMOOTHGRAD_MEAN))).append("): the derivative of the "
                + "<i>mean</i> logit over the lesion's voxels; it shrinks roughly as 1/(lesion voxels), so each lesion gets its own range.</li>"
                + "<li><b>Grad-CAM++</b> (").append(esc(MapUnits.unit(SaliencyMethods.GRADCAMPP))).append("): ReLU(sum<sub>k</sub> w<sub>k</sub> "
                + "A<sub>k</sub>) on the explained layer (half resolution), with w = alpha ReLU(dY/dA) and Y the summed lesion logit; a first-order "
                + "share of Y per layer cell, upsampled to the input grid. Never negative.</li>"
                + "<li><b>Channel share</b> (lesion table, <code>smoothgrad_max_&lt;channel&gt;_share</code>): the sum of |SmoothGrad-max| of that "
                + "channel over the lesion's bounding box divided by the sum over all channels; the channels add up to 1.</li></ul>");
        h.append("<p id=about-gradcampp><b>Grad-CAM++ on this network.</b> ");
        if (Double.isNaN(negative)) {
            h.append("This run's run.json does not record the signs of the explained layer's activations (Grad-CAM++ did not run, or an older run).");
        } else {
            h.append(String.format(Locale.ROOT, "In this run %.1f%% of the explained layer's activations were negative. ", 100 * negative));
            h.append(negative > 0 ? "Grad-CAM++'s closed-form weights alpha = 1/(2 + g S<sub>k</sub>) were derived for non-negative activations "
                    + "(a ReLU layer); with negative activations (here the layer ends in a PReLU) S<sub>k</sub> is negative, alpha changes sign, and "
                    + "the positive terms that survive the ReLUs come from cells where both the gradient and the activation flip sign. The map then "
                    + "tends to sit beside the lesion, and it is <b>zero everywhere</b> when no cell near the lesion has a positive weighted sum: the "
                    + "method found no positive evidence, which does not mean the network ignored the lesion. Read it as where, at the layer's "
                    + "resolution, features with a positive gradient sit near the lesion, not as the lesion's outline; see docs/saliency.md, "
                    + "\"Where the Grad-CAM++ map sits, and why\"."
                    : "The activations are non-negative, as Grad-CAM++'s closed-form weights assume.");
        }
        h.append("</p></details>\n");
    }

    /** The CSS class of a category's text: {@code cat-TP} ... ; {@code cat-none} for no category. */
    static String catClass(String category) {
        return "cat-" + (category == null || category.isEmpty() || category.equals("no category") ? "none" : esc(category).replaceAll("[^A-Za-z0-9_-]", ""));
    }

    /** The grey window of an anatomy image: its 1st and 99th percentiles over the nonzero voxels. */
    static double[] window(Volume v) {
        float[] d = v.data();
        int n = 0;
        for (float x : d) if (x != 0) n++;
        if (n == 0) return new double[] {0, 1};
        float[] s = new float[n];
        int k = 0;
        for (float x : d) if (x != 0) s[k++] = x;
        java.util.Arrays.sort(s);
        return new double[] {s[(int) (0.01 * (n - 1))], s[(int) (0.99 * (n - 1))]};
    }

    private static void analysis(StringBuilder h, List<Path> dirs, Options o, Consumer<String> say) throws Exception {
        CohortAnalysis.Result r = new CohortAnalysis(o.analysis).run(dirs, say);
        h.append("<h2>Analysis</h2>\n<p>Peaks (max) and troughs (min) of each instance's maps, by category; median with the distribution-free 95% CI "
                + "(order statistics); two-sided Mann-Whitney U (normal approximation, continuity and tie corrected), rank-biserial r = 2U/(n<sub>a</sub>n<sub>b</sub>) - 1. "
                + "Grad-CAM++ maps are a ReLU (never negative): only their maxima are compared. Channel contributions: SmoothGrad-max values outside (-")
                .append(o.analysis.threshold).append(", ").append(o.analysis.threshold).append("), perilesional shells of ")
                .append(LesionTable.round(r.binMm, 4)).append(" mm up to ").append(LesionTable.round(o.analysis.maxMm, 4)).append(" mm.</p>\n");
        // the analysis' warnings (small groups first) before its numbers, so that no p-value is read without them
        for (String w : r.warnings) h.append("<p class=warning><b>Warning:</b> ").append(esc(w)).append("</p>\n");
        h.append("<h3>Group summary</h3><table class=sortable><thead><tr><th class=l>method</th><th class=l>channel</th><th class=l>statistic</th>"
                + "<th class=l>group</th><th>n</th><th>median</th><th>95% CI</th></tr></thead><tbody>\n");
        for (String[] mc : r.methodChannels) for (String stat : CohortAnalysis.statistics(mc)) {
            for (Map.Entry<String, double[]> e : CohortAnalysis.peakValues(r, mc[0], mc[1], stat).entrySet()) {
                if (e.getValue().length == 0) continue;
                Statistics.Median m = Statistics.median(e.getValue());
                h.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td>%d</td><td>%.4g</td><td>%s</td></tr>%n",
                        esc(mc[0]), esc(mc[1]), stat, esc(e.getKey()), m.n, m.median,
                        Double.isNaN(m.lo) ? "n &lt; 6" : String.format(Locale.ROOT, "[%.4g, %.4g]", m.lo, m.hi)));
            }
        }
        h.append("</tbody></table>\n<h3>Group tests</h3><table class=sortable><thead><tr><th class=l>method</th><th class=l>channel</th><th class=l>statistic</th>"
                + "<th class=l>a</th><th class=l>b</th><th>n<sub>a</sub></th><th>n<sub>b</sub></th><th>U</th><th>p</th><th>r</th></tr></thead><tbody>\n");
        for (CohortAnalysis.GroupTest t : CohortAnalysis.groupTests(r)) {
            Statistics.MannWhitney mw = t.test;
            h.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td><td class=l>%s</td>"
                    + "<td>%d</td><td>%d</td>", esc(t.method), esc(t.channel), t.statistic, esc(t.groupA), esc(t.groupB), t.nA, t.nB));
            if (mw != null) h.append(String.format(Locale.ROOT, "<td>%.1f</td><td>%.3g</td><td>%.3f</td></tr>%n", mw.u, mw.pValue, mw.rankBiserial));
            else h.append("<td colspan=3 class=l>").append(esc(t.note)).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n<h3>Figures</h3>\n");
        Path tmp = Files.createTempDirectory("ies-report-");
        try {
            for (Path f : CohortFigures.write(r, tmp)) {
                h.append("<figure><img alt=\"").append(esc(f.getFileName().toString())).append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(Files.readAllBytes(f))).append("\"><figcaption>")
                        .append(esc(CohortFigures.caption(f, r.minGroupSize))).append("</figcaption></figure>\n");
            }
        } finally {
            try (var s = Files.walk(tmp)) {
                for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
            }
        }
    }

    private static String anchor(Path dir) {
        Path n = dir.toAbsolutePath().normalize().getFileName();
        return (n == null ? "folder" : n.toString()).replaceAll("[^A-Za-z0-9_-]+", "-");
    }

    private static String str(JsonObject o, String k) {
        JsonElement e = o.get(k);
        return e == null || e.isJsonNull() ? "-" : e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    private static String num(JsonObject o, String k) {
        JsonElement e = o.get(k);
        if (e == null || e.isJsonNull() || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) return "-";
        return LesionTable.round(e.getAsDouble(), 4);
    }

    static String pretty(JsonElement e) {
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(e);
    }

    /**
     * A number's text to 4 significant digits in one format: plain from 0.01 to 1e5 ({@code 0.2043}, {@code 12.5}),
     * scientific outside ({@code 4.739e-5}, {@code 1.144e-4}); integers and text stay as they are.
     */
    static String short4(String s) {
        try {
            if (s.contains(".") || s.contains("E") || s.contains("e")) return num4(Double.parseDouble(s));
        } catch (NumberFormatException ignored) {
            // text
        }
        return s;
    }

    static String num4(double v) {
        if (!Double.isFinite(v)) return "";
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 0.01 && a < 1e5) {
            return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
        }
        String t = String.format(Locale.ROOT, "%.3e", v);
        int e = t.indexOf('e');
        String mant = t.substring(0, e).replaceAll("\\.?0+$", "");
        return mant + "e" + Integer.parseInt(t.substring(e + 1));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
