package io.github.ies.analysis;

import io.github.ies.request.InvalidRequest;

import io.github.ies.io.ExplainLayout;
import io.github.ies.instances.Categories;
import io.github.ies.instances.LesionColumns;
import io.github.ies.instances.LesionRow;
import io.github.ies.instances.LesionRows;
import io.github.ies.instances.LesionTable;
import io.github.ies.instances.Peak;
import io.github.ies.instances.PeakKey;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import io.github.ies.saliency.SaliencyMethods;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The paper's analyses 1-2 (sections 3.2-3.3) over one or many {@code ies explain} output folders:
 * <ol>
 * <li><b>Channel contributions</b>: for each explained instance, the SmoothGrad-max map values of each input channel
 * outside (-t, t); pooled per group (category) and channel: median with its 95% order-statistic CI, fractions
 * positive and negative, for all values, for the positive and the negative ones, and by region: inside the instance
 * and in shells by distance (mm) from it.</li>
 * <li><b>Peak statistics</b>: the peak (max) and trough (min) columns of lesions.csv per group, method and channel;
 * median and CI per group; two-sided Mann-Whitney U for every pair of groups with the rank-biserial correlation.</li>
 * </ol>
 */
public final class CohortAnalysis {

    /** Parameters. */
    public static final class Options {
        public static final double DEFAULT_THRESHOLD = 0.1, DEFAULT_MAX_MM = 10;
        /**
         * The fewest lesions a group needs before it is tested (docs/analysis.md, "Group size"): with 5 and 5 the
         * smallest two-sided Mann-Whitney p-value is 2/C(10, 5) = 0.008; with 4 and 4 it is 0.029 and with 3 and 3 it is
         * 0.10, so that no outcome could be significant; a smaller group gets its median, not a test.
         */
        public static final int DEFAULT_MIN_GROUP_SIZE = 5;
        /** Values in (-threshold, threshold) are discarded (paper: 0.1). */
        public double threshold = DEFAULT_THRESHOLD;
        /**
         * Width of the distance bins of the perilesional shells (mm); null: the voxel size (the smallest spacing of the
         * first folder's maps), so that no bin is empty by construction (a 1 mm bin on 2 mm voxels would be).
         */
        public Double binMm;
        /** Outer limit of the shells (mm); farther values go to the region "beyond". */
        public double maxMm = DEFAULT_MAX_MM;
        /** The method whose maps are read for the contributions (file key). */
        public String method = "smoothgrad-max";
        /** Groups of fewer lesions (instances) than this are not tested (no p-value, no rank-biserial r; a note instead). */
        public int minGroupSize = DEFAULT_MIN_GROUP_SIZE;

        /** The one check of these options, for every interface, before any work. @throws InvalidRequest naming the setting */
        public Options validate() {
            if (!(threshold >= 0) || Double.isInfinite(threshold)) throw new InvalidRequest("{threshold} must be >= 0, got " + threshold);
            if ((binMm != null && !(binMm > 0)) || !(maxMm > 0)) throw new InvalidRequest("{bin_mm} and {max_mm} must be > 0");
            if (minGroupSize < 2) throw new InvalidRequest("{min_group_size} must be >= 2, got " + minGroupSize);
            return this;
        }
    }

    /** Group order of tables and figures: the paper's categories first, then others as found. */
    public static final List<String> GROUP_ORDER = List.of(Categories.TP, Categories.FP, Categories.FN, Categories.TN);
    /** Group name of rows without a category (no ground truth given to ies explain). */
    public static final String UNCATEGORISED = "all";

    /** One instance's peaks (from lesions.csv). */
    public static final class PeakRow {
        public String source, group, method, channel;
        public int id;
        public double peakPos, peakNeg;
    }

    /** Pooled values of one group and channel, kept per region. */
    public static final class Pool {
        public final String group, channel;
        public int instances;
        /** region name (all, inside, shell_a-b_mm, beyond) to values (outside (-t, t)). */
        public final Map<String, DoubleList> regions = new LinkedHashMap<>();

        Pool(String group, String channel) {
            this.group = group;
            this.channel = channel;
        }
    }

    /** Everything computed. */
    public static final class Result {
        /** The shell bin width used (mm): {@link Options#binMm} or the voxel size. */
        public double binMm;
        public final List<PeakRow> peaks = new ArrayList<>();
        /** key group + "\t" + channel. */
        public final Map<String, Pool> pools = new LinkedHashMap<>();
        public final List<String> groups = new ArrayList<>();
        public final List<String> channels = new ArrayList<>();
        /** method_channel column prefixes found, e.g. smoothgrad_max_flair. */
        public final List<String[]> methodChannels = new ArrayList<>();
        public final List<String> regionNames = new ArrayList<>();
        public final List<String> warnings = new ArrayList<>();
        /** Explained instances (rows with peaks) and those of them with maps. */
        public int instances, instancesWithMaps;
        /** Explained instances (lesions) per group, in group order. */
        public final Map<String, Integer> groupSizes = new LinkedHashMap<>();
        /** The groups with fewer lesions than {@link Options#minGroupSize} (not tested). */
        public final List<String> smallGroups = new ArrayList<>();
        /** {@link Options#minGroupSize} of this run. */
        public int minGroupSize = Options.DEFAULT_MIN_GROUP_SIZE;
    }

    /** Status of a group test: tested, or not tested because a group has fewer lesions than the minimum. */
    public static final String TESTED = "tested", TOO_FEW = "too_few_lesions";

    /** One pair of groups of one method, channel and statistic: its test, or why there is none. */
    public static final class GroupTest {
        public final String method, channel, statistic, groupA, groupB;
        public final int nA, nB;
        /** The test; null when {@link #status} is {@link #TOO_FEW}. */
        public final Statistics.MannWhitney test;
        public final String status, note;

        GroupTest(String[] mc, String stat, String a, String b, int nA, int nB, Statistics.MannWhitney test, String status, String note) {
            this.method = mc[0];
            this.channel = mc[1];
            this.statistic = stat;
            this.groupA = a;
            this.groupB = b;
            this.nA = nA;
            this.nB = nB;
            this.test = test;
            this.status = status;
            this.note = note;
        }
    }

    /**
     * Every pair of groups of every method, channel and statistic with values in both: a two-sided Mann-Whitney test
     * when both have at least {@link Result#minGroupSize} values (one per lesion), else no test and a note saying why.
     */
    public static List<GroupTest> groupTests(Result r) {
        List<GroupTest> out = new ArrayList<>();
        int min = r.minGroupSize;
        for (String[] mc : r.methodChannels) {
            for (String stat : statistics(mc)) {
                Map<String, double[]> byGroup = peakValues(r, mc[0], mc[1], stat);
                List<String> gs = new ArrayList<>(byGroup.keySet());
                for (int a = 0; a < gs.size(); a++) for (int b = a + 1; b < gs.size(); b++) {
                    double[] x = byGroup.get(gs.get(a)), y = byGroup.get(gs.get(b));
                    if (x.length == 0 || y.length == 0) continue;
                    if (x.length < min || y.length < min) {
                        out.add(new GroupTest(mc, stat, gs.get(a), gs.get(b), x.length, y.length, null, TOO_FEW,
                                String.format(Locale.ROOT, "not tested: %s has %d and %s %d lesion(s); min_group_size is %d",
                                        gs.get(a), x.length, gs.get(b), y.length, min)));
                    } else {
                        Statistics.MannWhitney t = Statistics.mannWhitney(x, y);
                        out.add(new GroupTest(mc, stat, gs.get(a), gs.get(b), t.nA, t.nB, t, TESTED, ""));
                    }
                }
            }
        }
        return out;
    }

    /** A growable array of doubles. */
    public static final class DoubleList {
        private double[] a = new double[64];
        private int n;

        public void add(double v) {
            if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
            a[n++] = v;
        }

        public int size() { return n; }
        public double[] toArray() { return Arrays.copyOf(a, n); }
    }


    private final Options options;
    /** The bin width of this run (resolved from the maps when {@link Options#binMm} is null). */
    private double binMm;

    public CohortAnalysis(Options options) {
        this.options = options.validate();
        binMm = options.binMm == null ? Double.NaN : options.binMm;
    }

    /** Region names in order: all, inside, shell bins, beyond (the bins of {@code binMm} up to the shell limit). */
    public List<String> regionNames(double binMm) {
        List<String> r = new ArrayList<>(List.of("all", "inside"));
        int bins = (int) Math.ceil(options.maxMm / binMm - 1e-9);
        for (int b = 0; b < bins; b++) r.add(shellName(b, binMm));
        r.add("beyond");
        return r;
    }

    private String shellName(int b, double binMm) {
        return String.format(Locale.ROOT, "shell_%s-%s_mm", num(b * binMm), num(Math.min(options.maxMm, (b + 1) * binMm)));
    }

    /** The outer edge (mm) of each region of {@link #regionNames}: 0 for "inside", the bin's upper edge for shells. */
    public static double[] shellUpperMm(List<String> regionNames) {
        double[] x = new double[regionNames.size()];
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("shell_([0-9.]+)-([0-9.]+)_mm");
        for (int i = 0; i < x.length; i++) {
            java.util.regex.Matcher m = p.matcher(regionNames.get(i));
            x[i] = m.matches() ? Double.parseDouble(m.group(2)) : 0;
        }
        return x;
    }

    /**
     * The voxel size of a set of explain folders: the smallest spacing of the first map (or label image) found, for
     * the default bin width; 1 mm when none is found.
     */
    static double voxelSizeMm(List<Path> dirs) throws IOException {
        for (Path dir : dirs) {
            ExplainLayout layout = new ExplainLayout(dir);
            List<Path> candidates = new ArrayList<>();
            for (String f : mapFiles(layout.saliency()).keySet()) candidates.add(layout.saliency().resolve(f));
            candidates.add(layout.labels());
            for (Path c : candidates) {
                if (!Files.isRegularFile(c)) continue;
                double[] sp = Nifti.readHeader(c).geometry().spacing;
                return Math.min(sp[0], Math.min(sp[1], sp[2]));
            }
        }
        return 1.0;
    }

    /** The statistics of a method/channel pair's peaks: {@code peak_pos} and {@code peak_neg}, only the first for a layer map (a ReLU). */
    public static List<String> statistics(String[] methodChannel) {
        return new PeakKey(methodChannel[0], methodChannel[1]).hasNegative() ? List.of("peak_pos", "peak_neg") : List.of("peak_pos");
    }

    /**
     * The label image holding an instance of a category in an explain folder: the folder's own file
     * ({@link ExplainLayout#labelFileFor}), else, for predicted or user instances, the label image {@code run.json}
     * names ({@code parameters.labels}, from {@code ies explain --labels} of a version that did not copy it); null when
     * neither exists.
     */
    public static Path labelImage(Path dir, String category) throws IOException {
        Path own = dir.resolve(ExplainLayout.labelFileFor(category));
        if (Files.isRegularFile(own)) return own;
        if (!ExplainLayout.LABELS.equals(ExplainLayout.labelFileFor(category))) return null;
        Path run = new ExplainLayout(dir).run();
        if (!Files.isRegularFile(run)) return null;
        try {
            com.google.gson.JsonObject p = com.google.gson.JsonParser.parseString(Files.readString(run)).getAsJsonObject().getAsJsonObject("parameters");
            if (p == null || !p.has("labels") || p.get("labels").isJsonNull()) return null;
            Path l = Path.of(p.get("labels").getAsString());
            if (!l.isAbsolute() && !Files.isRegularFile(l)) l = dir.resolve(l);
            return Files.isRegularFile(l) ? l : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    static String group(String category) {
        return category == null || category.isEmpty() ? UNCATEGORISED : category;
    }

    /** Runs both analyses over the folders. */
    public Result run(List<Path> explainDirs, Consumer<String> log) throws IOException {
        return run(explainDirs, log, null);
    }

    /** Runs both analyses over the folders, reporting progress per instance (stage "analyze"). */
    public Result run(List<Path> explainDirs, Consumer<String> log, io.github.ies.model.ProgressListener progress) throws IOException {
        Consumer<String> say = log == null ? s -> { } : log;
        io.github.ies.model.ProgressListener pl = progress == null ? io.github.ies.model.ProgressListener.NONE : progress;
        Result res = new Result();
        if (Double.isNaN(binMm)) binMm = voxelSizeMm(explainDirs);
        res.binMm = binMm;
        res.regionNames.addAll(regionNames(binMm));
        List<LesionRows> tables = new ArrayList<>();
        long total = 0, done = 0;
        for (Path dir : explainDirs) {
            Path csv = new ExplainLayout(dir).lesions();
            if (!Files.isRegularFile(csv)) throw new IOException(dir + ": no lesions.csv (not an 'ies explain' output folder?)");
            LesionTable text = LesionTable.read(csv);
            if (!text.hasColumn(LesionColumns.ID) || !text.hasColumn(LesionColumns.CATEGORY)) {
                throw new IOException(csv + ": needs columns 'id' and 'category'");
            }
            LesionRows t = lesionRows(text, dir);
            tables.add(t);
            total += t.size();
        }
        Set<String> groups = new LinkedHashSet<>(), channels = new LinkedHashSet<>();
        Map<String, String[]> mcs = new LinkedHashMap<>();
        for (int d = 0; d < explainDirs.size(); d++) {
            Path dir = explainDirs.get(d);
            ExplainLayout layout = new ExplainLayout(dir);
            Path csv = layout.lesions();
            LesionRows t = tables.get(d);
            if (t.peakKeys().isEmpty()) throw new IOException(csv + ": no <method>_<channel>_peak_pos columns (run ies explain)");
            Map<String, String[]> dirMaps = mapFiles(layout.saliency());
            Map<String, Volume> labelCache = new HashMap<>();
            for (LesionRow row : t.rows()) {
                pl.checkCancelled();
                pl.progress("analyze", done++, total);
                int id = row.id();
                String g = group(row.category());
                if (!row.explained()) continue;            // a row of the table that was not explained: nothing to analyse
                groups.add(g);
                res.instances++;
                for (PeakKey k : t.peakKeys()) {
                    Peak p = row.peak(k);
                    if (p == null || Float.isNaN(p.pos())) continue;
                    if (k.hasNegative() && Float.isNaN(p.neg())) continue;
                    String[] mc = {k.method(), k.channel()};
                    mcs.putIfAbsent(k.columnPrefix(), mc);
                    PeakRow pr = new PeakRow();
                    pr.source = dir.toString();
                    pr.group = g;
                    pr.id = id;
                    pr.method = mc[0];
                    pr.channel = mc[1];
                    pr.peakPos = Peak.decimal(p.pos());
                    pr.peakNeg = k.hasNegative() ? Peak.decimal(p.neg()) : Double.NaN;  // a ReLU map: older folders' always-0 column is not a statistic
                    res.peaks.add(pr);
                }
                // contributions from the maps of the chosen method
                boolean any = false;
                for (Map.Entry<String, String[]> e : dirMaps.entrySet()) {
                    String[] f = e.getValue(); // id, method, channel
                    if (!f[0].equals(Integer.toString(id)) || !f[1].equals(options.method)) continue;
                    Volume map = Nifti.read(layout.saliency().resolve(e.getKey()));
                    String lf = ExplainLayout.labelFileFor(row.category());
                    Volume labels = labelCache.get(lf);
                    if (labels == null) {
                        Path lp = labelImage(dir, row.category());
                        if (lp == null) {
                            throw new IOException(dir + ": instance " + id + " (" + g + ") needs " + lf + ", not found in the folder"
                                    + (ExplainLayout.LABELS.equals(lf) ? " and run.json names no label image that exists" : ""));
                        }
                        labels = Nifti.read(lp);
                        labelCache.put(lf, labels);
                    }
                    if (!Arrays.equals(labels.dims(), map.dims())) {
                        throw new IOException(dir + ": " + e.getKey() + " dims " + Arrays.toString(map.dims()) + " differ from " + lf + " "
                                + Arrays.toString(labels.dims()));
                    }
                    channels.add(f[2]);
                    Pool pool = res.pools.computeIfAbsent(g + "\t" + f[2], k -> newPool(g, f[2]));
                    pool.instances++;
                    collect(map, labels, id, pool, res, dir, e.getKey());
                    any = true;
                }
                if (any) res.instancesWithMaps++;
            }
            say.accept(dir + ": " + t.size() + " instance(s)");
        }
        pl.progress("analyze", total, total);
        res.groups.addAll(ordered(groups));
        res.minGroupSize = options.minGroupSize;
        for (String g : res.groups) res.groupSizes.put(g, 0);
        for (LesionRows t : tables) for (LesionRow row : t.rows()) if (row.explained()) res.groupSizes.merge(group(row.category()), 1, Integer::sum);
        for (Map.Entry<String, Integer> e : res.groupSizes.entrySet()) if (e.getValue() < options.minGroupSize) res.smallGroups.add(e.getKey());
        if (!res.smallGroups.isEmpty()) {
            StringBuilder w = new StringBuilder();
            for (String g : res.smallGroups) w.append(w.length() > 0 ? ", " : "").append(g).append(" ").append(res.groupSizes.get(g));
            res.warnings.add(0, "small groups: " + w + " lesion(s), fewer than min_group_size " + options.minGroupSize
                    + ": no Mann-Whitney test (p-value, r) for a pair with one of them (group_tests.csv status '" + TOO_FEW
                    + "'); their medians are descriptive only");
        }
        res.channels.addAll(channels);
        res.methodChannels.addAll(mcs.values());
        if (res.instancesWithMaps == 0) res.warnings.add("no " + options.method + " maps found: channel contributions are empty");
        return res;
    }

    private Pool newPool(String g, String c) {
        Pool p = new Pool(g, c);
        for (String r : regionNames(binMm)) p.regions.put(r, new DoubleList());
        return p;
    }

    static List<String> ordered(Set<String> groups) {
        List<String> out = new ArrayList<>();
        for (String g : GROUP_ORDER) if (groups.contains(g)) out.add(g);
        for (String g : groups) if (!out.contains(g)) out.add(g);
        return out;
    }

    /** Map file name (not a standard error; {@link ExplainLayout#parseMapName}) to {id, method, channel}. */
    static Map<String, String[]> mapFiles(Path saliency) throws IOException {
        Map<String, String[]> out = new LinkedHashMap<>();
        if (!Files.isDirectory(saliency)) return out;
        try (Stream<Path> s = Files.list(saliency)) {
            for (Path f : (Iterable<Path>) s.sorted()::iterator) {
                String n = f.getFileName().toString();
                ExplainLayout.MapName m = ExplainLayout.parseMapName(n);
                if (m != null && !m.standardError()) out.put(n, new String[] {Integer.toString(m.id()), m.method(), m.channel()});
            }
        }
        return out;
    }

    /**
     * A folder's lesions.csv as typed rows: its peak columns split into method and channel by the folder's map files
     * (their keys), else by the method keys.
     */
    public static LesionRows lesionRows(LesionTable text, Path dir) throws IOException {
        List<PeakKey> known = new ArrayList<>();
        for (String[] f : mapFiles(new ExplainLayout(dir).saliency()).values()) known.add(new PeakKey(f[1], f[2]));
        return LesionRows.of(text, known, SaliencyMethods.lesionKeys());
    }

    private void collect(Volume map, Volume labels, int id, Pool pool, Result res, Path dir, String name) {
        int[] d = map.dims();
        float[] m = map.data(), l = labels.data();
        boolean[] inst = new boolean[m.length];
        int nInst = 0;
        for (int v = 0; v < m.length; v++) if (l[v] == id) { inst[v] = true; nInst++; }
        if (nInst == 0) {
            res.warnings.add(dir + ": " + name + ": instance " + id + " has no voxel in its label file; its values count as 'all' only");
        }
        // the crop holding the instance and every non-zero map value (distances from the instance are exact inside it)
        boolean[] any = new boolean[m.length];
        for (int v = 0; v < m.length; v++) any[v] = inst[v] || m[v] != 0;
        int[] b = Operators.bbox(any, d);
        if (b == null) return;
        int ci = b[3] - b[0] + 1, cj = b[4] - b[1] + 1, ck = b[5] - b[2] + 1;
        boolean[] cInst = new boolean[ci * cj * ck];
        for (int k = 0; k < ck; k++) for (int j = 0; j < cj; j++) for (int i = 0; i < ci; i++) {
            cInst[i + ci * (j + cj * k)] = inst[map.index(i + b[0], j + b[1], k + b[2])];
        }
        double[] dist = nInst == 0 ? null : Operators.distanceMm(cInst, new int[] {ci, cj, ck}, map.spacing());
        DoubleList all = pool.regions.get("all"), inside = pool.regions.get("inside"), beyond = pool.regions.get("beyond");
        int bins = pool.regions.size() - 3;
        List<DoubleList> shells = new ArrayList<>(pool.regions.values()).subList(2, 2 + bins);
        double t = options.threshold;
        for (int k = 0; k < ck; k++) for (int j = 0; j < cj; j++) for (int i = 0; i < ci; i++) {
            double v = m[map.index(i + b[0], j + b[1], k + b[2])];
            if (!(v <= -t || v >= t) || (t == 0 && v == 0)) continue;
            all.add(v);
            if (dist == null) continue;
            double dm = dist[i + ci * (j + cj * k)];
            if (dm == 0) inside.add(v);
            else if (dm > options.maxMm) beyond.add(v);
            else shells.get(Math.min(bins - 1, (int) Math.ceil(dm / binMm - 1e-9) - 1)).add(v);
        }
    }

    // ---------------------------------------------------------------- tables

    /**
     * The columns of group_tests.csv: {@code status} is {@value #TESTED} or {@value #TOO_FEW} (then u, p_value and
     * rank_biserial are empty and {@code note} says which group is too small).
     */
    public static final String GROUP_TESTS_HEADER = "method,channel,statistic,group_a,group_b,n_a,n_b,u,p_value,rank_biserial,status,note";

    /** Writes peaks.csv, group_summary.csv, group_tests.csv and channel_contributions.csv into out. */
    public static void writeTables(Result r, Path out) throws IOException {
        Files.createDirectories(out);
        StringBuilder peaks = new StringBuilder("source,id,group,method,channel,peak_pos,peak_neg\r\n");
        for (PeakRow p : r.peaks) {
            peaks.append(csv(p.source)).append(',').append(p.id).append(',').append(p.group).append(',').append(p.method).append(',')
                    .append(p.channel).append(',').append(peak(p.peakPos)).append(',').append(peak(p.peakNeg)).append("\r\n");
        }
        write(out.resolve("peaks.csv"), peaks);
        StringBuilder sum = new StringBuilder("method,channel,statistic,group,n,median,ci_lo,ci_hi,ci_coverage\r\n");
        StringBuilder tests = new StringBuilder(GROUP_TESTS_HEADER + "\r\n");
        for (String[] mc : r.methodChannels) {
            for (String stat : statistics(mc)) {
                Map<String, double[]> byGroup = peakValues(r, mc[0], mc[1], stat);
                for (Map.Entry<String, double[]> e : byGroup.entrySet()) {
                    Statistics.Median m = Statistics.median(e.getValue());
                    sum.append(String.join(",", mc[0], mc[1], stat, e.getKey(), Integer.toString(m.n), fmt(m.median), fmt(m.lo), fmt(m.hi),
                            fmt(m.coverage))).append("\r\n");
                }
            }
        }
        for (GroupTest t : groupTests(r)) {
            boolean tested = t.test != null;
            tests.append(String.join(",", t.method, t.channel, t.statistic, t.groupA, t.groupB, Integer.toString(t.nA), Integer.toString(t.nB),
                    tested ? fmt(t.test.u) : "", tested ? fmt(t.test.pValue) : "", tested ? fmt(t.test.rankBiserial) : "", t.status, csv(t.note)))
                    .append("\r\n");
        }
        write(out.resolve(ExplainLayout.GROUP_SUMMARY), sum);
        write(out.resolve(ExplainLayout.GROUP_TESTS), tests);
        StringBuilder con = new StringBuilder("channel,group,region,sign,n_instances,n_values,median,ci_lo,ci_hi,fraction_positive,fraction_negative\r\n");
        for (String c : r.channels) for (String g : r.groups) {
            Pool p = r.pools.get(g + "\t" + c);
            if (p == null) continue;
            for (Map.Entry<String, DoubleList> e : p.regions.entrySet()) {
                double[] v = e.getValue().toArray();
                for (String sign : List.of("any", "positive", "negative")) {
                    double[] s = sign.equals("any") ? v : Arrays.stream(v).filter(x -> sign.equals("positive") ? x > 0 : x < 0).toArray();
                    Statistics.Median m = Statistics.median(s);
                    double[] f = Statistics.signFractions(s);
                    con.append(String.join(",", c, g, e.getKey(), sign, Integer.toString(p.instances), Integer.toString(s.length), fmt(m.median),
                            fmt(m.lo), fmt(m.hi), fmt(f[0]), fmt(f[1]))).append("\r\n");
                }
            }
        }
        write(out.resolve(ExplainLayout.CHANNEL_CONTRIBUTIONS), con);
    }

    /** Peak values of one method, channel and statistic ("peak_pos" or "peak_neg") per group, in group order (undefined ones left out). */
    public static Map<String, double[]> peakValues(Result r, String method, String channel, String stat) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String g : r.groups) {
            out.put(g, r.peaks.stream().filter(p -> p.group.equals(g) && p.method.equals(method) && p.channel.equals(channel))
                    .mapToDouble(p -> stat.equals("peak_pos") ? p.peakPos : p.peakNeg).filter(v -> !Double.isNaN(v)).toArray());
        }
        return out;
    }

    /** A statistic: {@value LesionTable#SIGNIFICANT_DIGITS} significant digits (empty when undefined). */
    static String fmt(double v) {
        return LesionTable.round(v, LesionTable.SIGNIFICANT_DIGITS);
    }

    /** A map peak (a float32 value): the shortest text that reads back as the same float; empty when undefined. */
    static String peak(double v) {
        return Double.isFinite(v) ? Float.toString((float) v) : "";
    }

    static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    static void write(Path p, CharSequence text) throws IOException {
        Nifti.writeAtomically(p, os -> os.write(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
