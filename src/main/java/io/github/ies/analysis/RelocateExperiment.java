package io.github.ies.analysis;

import io.github.ies.io.ExplainLayout;
import io.github.ies.instances.LesionColumns;
import io.github.ies.instances.LesionRows;
import io.github.ies.instances.Peak;
import io.github.ies.instances.PeakKey;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.SegmentationResult;
import io.github.ies.model.Segmenter;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.pipeline.ExplainPipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The relocation sanity checks (paper section 3.4): a lesion's voxels pasted (a) into healthy white matter at a
 * lesion-free location, (b) into the background outside the head, (c) into the background with its perilesional
 * shell of d mm; each modified volume is segmented and the pasted lesion explained. The lesion in place is run the
 * same way as the reference ("original").
 */
public final class RelocateExperiment {

    private RelocateExperiment() {}

    public static final String ORIGINAL = "original", WM = "white_matter", BACKGROUND = "background", BACKGROUND_SHELL = "background_shell";
    /** The case folders a run may write into its output folder. */
    public static final List<String> CASES = List.of(ORIGINAL, WM, BACKGROUND, BACKGROUND_SHELL);

    /**
     * Refuses an output folder holding a folder named like a case that an earlier relocation run did not write (no
     * {@value #CASE_MARKER}, or {@code pasted.nii.gz} and {@code explain/run.json}, in it): the run would write over it.
     * Call before any work.
     */
    public static void checkOutput(Path out) {
        for (String c : CASES) {
            Path d = out.resolve(c);
            if (Files.exists(d, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !isCase(d)) {
                throw new IllegalArgumentException("output folder " + out + ": " + d.getFileName() + " exists and is not a case folder of an "
                        + "earlier relocation run (the experiment writes its '" + c + "' case there); choose another output folder, "
                        + "nothing was changed");
            }
        }
    }

    /** True for a case folder an earlier relocation run wrote (which a new run may replace). */
    public static boolean isCase(Path d) {
        if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return false;
        return Files.isRegularFile(d.resolve(CASE_MARKER), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                || (Files.isRegularFile(d.resolve(ExplainLayout.PASTED)) && Files.isRegularFile(d.resolve(ExplainLayout.EXPLAIN).resolve(ExplainLayout.RUN)));
    }

    /**
     * Moves a run staged in {@code staging} into its output folder: an earlier run's case folders are removed first
     * (the folder then holds exactly this run's cases; anything else is refused, as {@link #checkOutput} did before the
     * run), then everything is committed, run.json first. The command line and Fiji's Relocate Lesion publish this way.
     */
    public static void publish(io.github.ies.io.OutputFolder folder, Path staging, Path out) throws java.io.IOException {
        for (String c : CASES) {
            Path d = out.resolve(c);
            if (!Files.exists(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
            if (!isCase(d)) throw new java.io.IOException(d + " is not a case folder of an earlier relocation run; left as it is");
            io.github.ies.io.OutputFolder.deleteTree(d);
        }
        folder.commit(staging);
    }

    /** Written first into each case folder, so that a run stopped half-way leaves a folder the next run may replace. */
    public static final String CASE_MARKER = ".ies-relocate-case";

    /** Parameters. */
    public static final class Options {
        /** Lesion id; null: the most conspicuous (highest mean lesion probability in place, then the larger). */
        public Integer lesionId;
        /** Smallest lesion (voxels) considered for the automatic choice. */
        public int minVoxelsAuto = 20;
        /** Target centroid (i, j, k) for the white-matter case; null: random. */
        public int[] wmTarget;
        /** Target centroid for the background cases; null: random. */
        public int[] backgroundTarget;
        public double shellMm = 3.0;
        /** Voxels of clearance around the pasted region (from other lesions in WM; from the head in the background). */
        public int clearance = 1;
        public long seed = 1;
        public int tries = 200000;
        public io.github.ies.saliency.SaliencySettings saliency = io.github.ies.saliency.SaliencySettings.builder().build();
        public String device = "auto";
        public int threads = 0;
    }

    /** One case. */
    public static final class Case {
        public String name;
        public int[] offset = {0, 0, 0};
        public int lesionVoxels, pastedVoxels;
        public double meanScore, maxScore;
        public boolean detected;
        public int[] centroid;
        public final Map<String, Double> peaks = new LinkedHashMap<>();
    }

    /** The outcome. */
    public static final class Result {
        public int lesionId;
        public double threshold;
        public final List<Case> cases = new ArrayList<>();
        public final List<String> warnings = new ArrayList<>();

        public String csv() {
            List<String> peakCols = new ArrayList<>();
            for (Case c : cases) for (String k : c.peaks.keySet()) if (!peakCols.contains(k)) peakCols.add(k);
            StringBuilder sb = new StringBuilder("case,lesion_id,lesion_voxels,pasted_voxels,offset_i,offset_j,offset_k,centroid_i,centroid_j,"
                    + "centroid_k,mean_score,max_score,detected");
            for (String k : peakCols) sb.append(',').append(k);
            sb.append("\r\n");
            for (Case c : cases) {
                sb.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.6g,%.6g,%d", c.name, lesionId, c.lesionVoxels, c.pastedVoxels,
                        c.offset[0], c.offset[1], c.offset[2], c.centroid[0], c.centroid[1], c.centroid[2], c.meanScore, c.maxScore,
                        c.detected ? 1 : 0));
                for (String k : peakCols) {
                    Double v = c.peaks.get(k);
                    sb.append(',').append(v == null || !Double.isFinite(v) ? "" : String.format(Locale.ROOT, "%.6g", v));
                }
                sb.append("\r\n");
            }
            return sb.toString();
        }
    }

    /** Rounded centroid (i, j, k) of a mask. */
    public static int[] centroid(boolean[] m, int[] dims) {
        double[] s = new double[3];
        int n = 0;
        for (int v = 0; v < m.length; v++) {
            if (!m[v]) continue;
            s[0] += v % dims[0];
            s[1] += (v / dims[0]) % dims[1];
            s[2] += v / (dims[0] * dims[1]);
            n++;
        }
        if (n == 0) throw new IllegalArgumentException("empty mask has no centroid");
        return new int[] {(int) Math.round(s[0] / n), (int) Math.round(s[1] / n), (int) Math.round(s[2] / n)};
    }

    /**
     * An offset moving {@code region} so that its (rounded) centroid lands on {@code target} (or, when target is null,
     * on a random voxel of {@code allowed}, seeded) and every moved voxel lies in {@code allowed}; null when no such
     * placement was found within {@code tries} random candidates (or the given target does not fit).
     */
    public static int[] place(boolean[] region, int[] dims, boolean[] allowed, int[] target, long seed, int tries) {
        int[] c = centroid(region, dims);
        int[] vox = new int[Operators.count(region)];
        int n = 0;
        for (int v = 0; v < region.length; v++) if (region[v]) vox[n++] = v;
        if (target != null) {
            int[] off = {target[0] - c[0], target[1] - c[1], target[2] - c[2]};
            return fits(vox, dims, allowed, off) ? off : null;
        }
        int[] cand = new int[Operators.count(allowed)];
        n = 0;
        for (int v = 0; v < allowed.length; v++) if (allowed[v]) cand[n++] = v;
        if (cand.length == 0) return null;
        SplittableRandom r = new SplittableRandom(seed);
        for (int t = 0; t < tries; t++) {
            int v = cand[r.nextInt(cand.length)];
            int[] off = {v % dims[0] - c[0], (v / dims[0]) % dims[1] - c[1], v / (dims[0] * dims[1]) - c[2]};
            if (fits(vox, dims, allowed, off)) return off;
        }
        return null;
    }

    private static boolean fits(int[] vox, int[] dims, boolean[] allowed, int[] off) {
        for (int v : vox) {
            int i = v % dims[0] + off[0], j = (v / dims[0]) % dims[1] + off[1], k = v / (dims[0] * dims[1]) + off[2];
            if (i < 0 || j < 0 || k < 0 || i >= dims[0] || j >= dims[1] || k >= dims[2]) return false;
            if (!allowed[i + dims[0] * (j + dims[1] * k)]) return false;
        }
        return true;
    }

    /** Voxels where {@code allowed} holds and the 18-connected erosion by {@code clearance} steps keeps them (away from its border). */
    public static boolean[] eroded(boolean[] allowed, int[] dims, int clearance) {
        boolean[] not = new boolean[allowed.length];
        for (int v = 0; v < not.length; v++) not[v] = !allowed[v];
        boolean[] grown = Operators.dilate18(not, dims, clearance);
        boolean[] out = new boolean[allowed.length];
        for (int v = 0; v < out.length; v++) out[v] = !grown[v];
        // the volume border counts as outside
        int ni = dims[0], nj = dims[1], nk = dims[2];
        for (int v = 0; v < out.length; v++) {
            int i = v % ni, j = (v / ni) % nj, k = v / (ni * nj);
            if (i < clearance || j < clearance || k < clearance || i >= ni - clearance || j >= nj - clearance || k >= nk - clearance) out[v] = false;
        }
        return out;
    }

    /**
     * Runs the four cases. {@code labels}: instance labels (lesions); {@code wm}: healthy white matter (may be null:
     * case (a) skipped with a warning); {@code background}: voxels outside the head. Writes per case into
     * {@code out/<case>/}: the modified inputs, {@code pasted.nii.gz}, {@code probability.nii.gz} and the explanation
     * ({@code explain/}, as ies explain --labels). When the bundle declares a grid the inputs are not on, everything
     * runs and is written on that grid ({@link ExperimentGrid}), and a warning says so.
     */
    public static Result run(ModelBundle bundle, Path bundlePath, Volume[] nativeChannels, Volume nativeLabels, boolean[] nativeWm,
            boolean[] nativeBackground, Options o, Path out, Consumer<String> log) throws Exception {
        Consumer<String> say = log == null ? s -> { } : log;
        checkOutput(out);
        Result res = new Result();
        // on the model's declared grid, as segment and explain run the model; the cases' volumes are written there
        ExperimentGrid eg = ExperimentGrid.of(bundle, nativeChannels[0], res.warnings);
        Volume[] channels = eg.images(nativeChannels);
        Volume labels = eg.labels(nativeLabels, "label image", res.warnings);
        boolean[] wm = eg.mask(nativeWm, nativeChannels[0]);
        boolean[] background = eg.mask(nativeBackground, nativeChannels[0]);
        int[] dims = channels[0].dims();
        Segmenter.Options so = new Segmenter.Options();
        so.device = o.device;
        so.threads = o.threads;
        float[] lab = labels.data();
        try (Segmenter seg = new Segmenter(bundle, so)) {
            SegmentationResult base = seg.segment(channels, null, null);
            res.threshold = base.threshold();
            float[] prob = base.probability().data();
            // the lesion
            int id;
            if (o.lesionId != null) {
                id = o.lesionId;
                boolean any = false;
                for (float v : lab) if (v == id) { any = true; break; }
                if (!any) throw new IllegalArgumentException("no lesion with id " + id + " in the label image" + (eg.identity() ? "" : " on the model's grid"));
            } else {
                Map<Integer, double[]> stat = new LinkedHashMap<>();
                for (int v = 0; v < lab.length; v++) {
                    if (lab[v] <= 0) continue;
                    double[] s = stat.computeIfAbsent((int) lab[v], k -> new double[2]);
                    s[0] += prob[v];
                    s[1]++;
                }
                if (stat.isEmpty()) throw new IllegalArgumentException("the label image has no lesion");
                id = -1;
                double best = -1, bestN = -1;
                for (Map.Entry<Integer, double[]> e : stat.entrySet()) {
                    if (e.getValue()[1] < o.minVoxelsAuto) continue;
                    double m = e.getValue()[0] / e.getValue()[1];
                    if (m > best || (m == best && e.getValue()[1] > bestN)) { best = m; bestN = e.getValue()[1]; id = e.getKey(); }
                }
                if (id < 0) throw new IllegalArgumentException("no lesion of at least " + o.minVoxelsAuto + " voxels (give --lesion ID)");
                say.accept(String.format(Locale.ROOT, "most conspicuous lesion: %d (mean score %.3f, %d voxels)", id, best, (int) bestN));
            }
            res.lesionId = id;
            boolean[] lesion = new boolean[lab.length];
            boolean[] anyLesion = new boolean[lab.length];
            for (int v = 0; v < lab.length; v++) { lesion[v] = lab[v] == id; anyLesion[v] = lab[v] > 0; }
            boolean[] withShell = Operators.withShell(lesion, dims, channels[0].spacing(), o.shellMm);
            // allowed locations
            boolean[] bgAllowed = eroded(background, dims, o.clearance);
            Map<String, boolean[]> regions = new LinkedHashMap<>();
            Map<String, int[]> offsets = new LinkedHashMap<>();
            regions.put(ORIGINAL, lesion);
            offsets.put(ORIGINAL, new int[] {0, 0, 0});
            if (wm != null) {
                boolean[] far = Operators.dilate18(anyLesion, dims, o.clearance + 1);
                boolean[] wmOk = eroded(wm, dims, o.clearance);
                for (int v = 0; v < wmOk.length; v++) wmOk[v] &= !far[v];
                int[] off = place(lesion, dims, wmOk, eg.voxel(o.wmTarget), o.seed, o.tries);
                if (off == null) res.warnings.add("no lesion-free white-matter location holds lesion " + id + (o.wmTarget != null ? " at the given target" : ""));
                else { regions.put(WM, lesion); offsets.put(WM, off); }
            } else res.warnings.add("no white-matter mask (--tissues or --wm-mask): case (a) skipped");
            int[] offB = place(withShell, dims, bgAllowed, eg.voxel(o.backgroundTarget), o.seed + 1, o.tries);
            if (offB == null) {
                res.warnings.add("no background location outside the head holds lesion " + id + " with its " + o.shellMm + " mm shell");
            } else {
                regions.put(BACKGROUND, lesion);
                offsets.put(BACKGROUND, offB);
                regions.put(BACKGROUND_SHELL, withShell);
                offsets.put(BACKGROUND_SHELL, offB);
            }
            for (Map.Entry<String, boolean[]> e : regions.entrySet()) {
                String name = e.getKey();
                int[] off = offsets.get(name);
                Case c = new Case();
                c.name = name;
                c.offset = off;
                boolean[] pasted = Operators.shift(lesion, dims, off);
                c.lesionVoxels = Operators.count(lesion);
                c.pastedVoxels = Operators.count(e.getValue());
                c.centroid = centroid(pasted, dims);
                Volume[] mod = name.equals(ORIGINAL) ? channels : Operators.paste(channels, e.getValue(), off, null);
                Path prev = out.resolve(name);
                if (isCase(prev)) io.github.ies.io.OutputFolder.deleteTree(prev);     // an earlier run's case (checked above)
                Path dir = Files.createDirectories(prev);
                Files.writeString(dir.resolve(CASE_MARKER), "a case folder of ies experiment relocate / Relocate Lesion\n");
                Map<String, Path> files = new LinkedHashMap<>();
                for (int ch = 0; ch < mod.length; ch++) {
                    String key = bundle.inputs().get(ch);
                    Path f = dir.resolve(ExplainLayout.channelFile(key));
                    Nifti.write(mod[ch], f, NiftiDataType.FLOAT32);
                    files.put(key, f);
                }
                Volume pl = mod[0].zerosLike();
                for (int v = 0; v < pasted.length; v++) if (pasted[v]) pl.data()[v] = 1;
                Path plPath = dir.resolve(ExplainLayout.PASTED);
                Nifti.write(pl, plPath, NiftiDataType.UINT8);
                SegmentationResult sr = name.equals(ORIGINAL) ? base : seg.segment(mod, null, null);
                Nifti.write(sr.probability(), dir.resolve(ExplainLayout.PROBABILITY), NiftiDataType.FLOAT32);
                float[] p = sr.probability().data();
                double sum = 0, mx = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < pasted.length; v++) if (pasted[v]) { sum += p[v]; mx = Math.max(mx, p[v]); }
                c.meanScore = sum / Operators.count(pasted);
                c.maxScore = mx;
                c.detected = mx > sr.threshold();
                ExplainJob.Request q = new ExplainJob.Request();
                q.model = bundlePath;
                q.inputs = files;
                q.out = dir.resolve(ExplainLayout.EXPLAIN);
                q.labels = plPath;
                q.settings = o.saliency;
                q.device = o.device;
                q.threads = o.threads;
                q.command = "experiment relocate";
                q.kind = io.github.ies.io.OutputKind.RELOCATE;
                ExplainPipeline.Result er = ExplainJob.run(q, null, null);
                res.warnings.addAll(er.warnings);
                LesionRows t = LesionRows.read(q.out.resolve(ExplainLayout.LESIONS), List.of(), List.of());
                for (PeakKey k : t.peakKeys()) {
                    Peak pk = t.get(0).peak(k);
                    c.peaks.put(LesionColumns.peakColumn(k, true, false), Peak.decimal(pk == null ? Float.NaN : pk.pos()));
                    if (k.hasNegative()) c.peaks.put(LesionColumns.peakColumn(k, false, false), Peak.decimal(pk == null ? Float.NaN : pk.neg()));
                }
                res.cases.add(c);
                say.accept(String.format(Locale.ROOT, "%s: offset %s, mean score %.3f, max %.3f, %s", name, Arrays.toString(off), c.meanScore,
                        c.maxScore, c.detected ? "detected" : "not detected"));
            }
        }
        return res;
    }
}
