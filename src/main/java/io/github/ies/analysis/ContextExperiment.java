package io.github.ies.analysis;

import io.github.ies.instances.Connectivity;
import io.github.ies.instances.Labeling;
import io.github.ies.io.Crops;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.Segmenter;
import io.github.ies.model.SlidingWindow;
import io.github.ies.model.TorchModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The perilesional-context experiment (paper section 3.5): for every lesion with a volume in [minVoxels,
 * maxVoxels], the normalised input is zeroed except the lesion dilated k = 0..K times with the 18-connected
 * structuring element; at each step the lesion's mean lesion-class probability and whether any lesion voxel exceeds
 * the threshold are recorded.
 *
 * <p><b>Exactness.</b> The sliding-window output at a voxel depends only on the windows that contain it. The
 * experiment therefore runs only the windows of the whole-volume window grid ({@link SlidingWindow#windows}) that
 * contain a lesion voxel, on the zeroed whole-volume input, and blends them at the lesion voxels with the same
 * importance map in the same window order as {@link SlidingWindow#run}: the lesion's probabilities are those of a
 * whole-volume sliding-window inference of the zeroed input (up to the floating-point effect of a different batch
 * composition inside the network), at a fraction of its cost.
 */
public final class ContextExperiment {

    /** Parameters. */
    public static final class Options {
        public int minVoxels = 90, maxVoxels = 120, steps = 25;
        /** null: the bundle's threshold. */
        public Double threshold = null;
        /** Windows per network call. */
        public int batchSize = 4;
    }

    /** One selected lesion. */
    public static final class Lesion {
        public final int id, voxels;
        final int[] tensorIndex; // lesion voxels as (i*d1 + j)*d2 + k

        Lesion(int id, int voxels, int[] tensorIndex) {
            this.id = id;
            this.voxels = voxels;
            this.tensorIndex = tensorIndex;
        }
    }

    /** The outcome. */
    public static final class Result implements ContextCurve {
        public final List<Lesion> lesions = new ArrayList<>();
        /** Per step: the guaranteed context distance k x min(spacing) (mm). */
        public double[] distanceMm;
        /** [step][lesion] mean lesion probability over the lesion's voxels. */
        public double[][] meanScore;
        /** [step][lesion] any lesion voxel above the threshold. */
        public boolean[][] detected;
        /** [step][lesion] max lesion probability. */
        public double[][] maxScore;
        public double threshold;
        public int windowsRun;
        /** Per input channel, the normalised value set outside the context (see {@code ChannelNormalization.zeroValue}). */
        public float[] fill;
        /** The grid the experiment ran on, when not the input's, and ids lost on the way there. */
        public final List<String> warnings = new ArrayList<>();

        @Override public double[] distances() { return distanceMm; }
        @Override public int lesionCount() { return lesions.size(); }
        @Override public double score(int s, int l) { return meanScore[s][l]; }
        @Override public boolean detected(int s, int l) { return detected[s][l]; }
        @Override public double threshold() { return threshold; }

        /** CSV: step, distance_mm, mean_score, std_score, n_detected, n_lesions, lesion_ID (mean score) ... */
        public String csv() {
            StringBuilder sb = new StringBuilder("step,distance_mm,mean_score,std_score,n_detected,n_lesions");
            for (Lesion l : lesions) sb.append(",lesion_").append(l.id);
            sb.append("\r\n");
            for (int s = 0; s < steps(); s++) {
                sb.append(s).append(',').append(fmt(distanceMm[s])).append(',').append(fmt(mean(s))).append(',').append(fmt(std(s)))
                        .append(',').append(nDetected(s)).append(',').append(lesions.size());
                for (int l = 0; l < lesions.size(); l++) sb.append(',').append(fmt(meanScore[s][l]));
                sb.append("\r\n");
            }
            return sb.toString();
        }

        /** CSV of detection per lesion and step (1/0) and the max score. */
        public String detailCsv() {
            StringBuilder sb = new StringBuilder("step,distance_mm,lesion,voxels,mean_score,max_score,detected\r\n");
            for (int s = 0; s < steps(); s++) for (int l = 0; l < lesions.size(); l++) {
                sb.append(s).append(',').append(fmt(distanceMm[s])).append(',').append(lesions.get(l).id).append(',')
                        .append(lesions.get(l).voxels).append(',').append(fmt(meanScore[s][l])).append(',').append(fmt(maxScore[s][l]))
                        .append(',').append(detected[s][l] ? 1 : 0).append("\r\n");
            }
            return sb.toString();
        }
    }

    static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }

    private ContextExperiment() {}

    /** The lesions of a label volume (ids as given) whose voxel count lies in [min, max]. */
    public static List<int[]> select(Volume labels, int min, int max) {
        float[] l = labels.data();
        int maxId = 0;
        for (float v : l) {
            if (v < 0 || v != Math.rint(v)) throw new IllegalArgumentException("label image has a non-integer or negative value " + v);
            maxId = Math.max(maxId, (int) v);
        }
        int[] count = new int[maxId + 1];
        for (float v : l) count[(int) v]++;
        List<int[]> out = new ArrayList<>();
        for (int id = 1; id <= maxId; id++) if (count[id] >= min && count[id] <= max) out.add(new int[] {id, count[id]});
        return out;
    }

    /** Connected components (18-connected) of a binary ground truth as a label volume. */
    public static Volume componentsOf(Volume gt) {
        Labeling lab = io.github.ies.instances.ConnectedComponents.label(gt, Connectivity.of(18));
        return lab.toVolume(gt.geometry(), 0);
    }

    /**
     * Runs the experiment. {@code channels} in the bundle's input order, {@code labels} an instance label volume on the
     * same grid. When the bundle declares a grid the inputs are not on, the experiment runs on that grid
     * ({@link ExperimentGrid}): the lesions' voxel counts (and so {@link Options#minVoxels}/{@link Options#maxVoxels})
     * and the distances are the model grid's.
     */
    public static Result run(Segmenter segmenter, Volume[] nativeChannels, Volume nativeLabels, Options o, ProgressListener progress)
            throws Exception {
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        ModelBundle bundle = segmenter.bundle();
        TorchModel model = segmenter.model();
        if (!nativeLabels.sameGrid(nativeChannels[0])) {
            throw new IllegalArgumentException("label image grid " + Arrays.toString(nativeLabels.dims()) + " differs from the inputs' "
                    + Arrays.toString(nativeChannels[0].dims()));
        }
        if (o.steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + o.steps);
        Result r = new Result();
        ExperimentGrid eg = ExperimentGrid.of(bundle, nativeChannels[0], r.warnings);
        Volume[] channels = eg.images(nativeChannels);
        Volume labels = eg.labels(nativeLabels, "label image", r.warnings);
        int[] dims = channels[0].dims();
        int d0 = dims[0], d1 = dims[1], d2 = dims[2];
        List<int[]> sel = select(labels, o.minVoxels, o.maxVoxels);
        if (sel.isEmpty()) {
            throw new IllegalArgumentException("no lesion with " + o.minVoxels + " to " + o.maxVoxels + " voxels in the label image"
                    + (eg.identity() ? "" : " (voxels of the model's grid " + Arrays.toString(labels.dims()) + ")"));
        }
        r.threshold = o.threshold != null ? o.threshold : bundle.threshold();
        float[] x = Segmenter.normalize(bundle, channels); // [C, i, j, k]
        // outside the context: what the normalisation makes of an empty (all-zero) background voxel; 0 for the
        // paper's "zscore-nonzero", the image's -mean / std under whole-image "zscore" (0 there is mid-grey tissue)
        float[] fill = io.github.ies.model.ChannelNormalization.zeroValue(bundle.normalizations(), channels);
        r.fill = fill.clone();
        int cin = channels.length;
        int[] p = bundle.patchSize();
        SlidingWindow sw = new SlidingWindow(p, bundle.overlap(), bundle.blending());
        int[] size = sw.paddedSize(dims), pad = sw.padBefore(dims);
        List<int[]> wins = sw.windows(dims);
        float[] imp = SlidingWindow.importanceMap(p, bundle.blending());
        int pvox = p[0] * p[1] * p[2];
        float[] lab = labels.data();
        List<boolean[]> masks = new ArrayList<>();
        for (int[] s : sel) {
            boolean[] m = new boolean[lab.length];
            List<Integer> ti = new ArrayList<>();
            for (int v = 0; v < lab.length; v++) {
                if (lab[v] != s[0]) continue;
                m[v] = true;
                int i = v % d0, j = (v / d0) % d1, k = v / (d0 * d1);
                ti.add((i * d1 + j) * d2 + k);
            }
            masks.add(m);
            r.lesions.add(new Lesion(s[0], s[1], ti.stream().mapToInt(Integer::intValue).toArray()));
        }
        int steps = o.steps + 1, nl = r.lesions.size();
        r.distanceMm = new double[steps];
        double minSp = Arrays.stream(channels[0].spacing()).min().getAsDouble();
        for (int s = 0; s < steps; s++) r.distanceMm[s] = s * minSp;
        r.meanScore = new double[steps][nl];
        r.maxScore = new double[steps][nl];
        r.detected = new boolean[steps][nl];
        int done = 0, total = steps * nl;
        for (int l = 0; l < nl; l++) {
            Lesion les = r.lesions.get(l);
            // windows holding a lesion voxel (padded coordinates), in grid order
            List<int[]> use = new ArrayList<>();
            for (int[] w : wins) {
                boolean hit = false;
                for (int t : les.tensorIndex) {
                    int a = t / (d1 * d2) + pad[0], b = (t / d2) % d1 + pad[1], c = t % d2 + pad[2];
                    if (a >= w[0] && a < w[0] + p[0] && b >= w[1] && b < w[1] + p[1] && c >= w[2] && c < w[2] + p[2]) { hit = true; break; }
                }
                if (hit) use.add(w);
            }
            boolean[] region = masks.get(l);
            for (int s = 0; s < steps; s++) {
                if (s > 0) region = Operators.dilate18(region, dims);
                listener.checkCancelled();
                // the inputs kept on the region only (x in C order, the region in NIfTI order)
                float[] xm = new float[x.length];
                for (int c = 0; c < cin; c++) if (fill[c] != 0f) Arrays.fill(xm, c * d0 * d1 * d2, (c + 1) * d0 * d1 * d2, fill[c]);
                for (int c = 0; c < cin; c++) {
                    Crops.paste(Crops.wrap(x, c * d0 * d1 * d2, dims, Crops.Order.C), Crops.wrap(region, dims, Crops.Order.NIFTI), new long[3],
                            Crops.wrap(xm, c * d0 * d1 * d2, dims, Crops.Order.C));
                }
                int nv = les.tensorIndex.length;
                float[] out = null, count = new float[nv];
                int kch = -1;
                for (int w0 = 0; w0 < use.size(); w0 += Math.max(1, o.batchSize)) {
                    int b = Math.min(Math.max(1, o.batchSize), use.size() - w0);
                    float[] batch = new float[b * cin * pvox];
                    for (int bi = 0; bi < b; bi++) extract(xm, cin, dims, pad, use.get(w0 + bi), p, batch, bi * cin * pvox);
                    float[] pred = model.forward(batch, new long[] {b, cin, p[0], p[1], p[2]});
                    int kk = pred.length / (b * pvox);
                    if (out == null) { kch = kk; out = new float[kch * nv]; }
                    r.windowsRun += b;
                    for (int bi = 0; bi < b; bi++) {
                        int[] w = use.get(w0 + bi);
                        for (int q = 0; q < nv; q++) {
                            int t = les.tensorIndex[q];
                            int a = t / (d1 * d2) + pad[0] - w[0], bb = (t / d2) % d1 + pad[1] - w[1], c = t % d2 + pad[2] - w[2];
                            if (a < 0 || a >= p[0] || bb < 0 || bb >= p[1] || c < 0 || c >= p[2]) continue;
                            int pi = (a * p[1] + bb) * p[2] + c;
                            for (int ch = 0; ch < kch; ch++) out[ch * nv + q] += pred[(bi * kch + ch) * pvox + pi] * imp[pi];
                            count[q] += imp[pi];
                        }
                    }
                }
                for (int ch = 0; ch < kch; ch++) for (int q = 0; q < nv; q++) out[ch * nv + q] = out[ch * nv + q] / count[q];
                float[] prob = bundle.activation().lesionProbability(out, kch, bundle.lesionChannel());
                double sum = 0, mx = Double.NEGATIVE_INFINITY;
                boolean det = false;
                for (float v : prob) { sum += v; mx = Math.max(mx, v); det |= v > r.threshold; }
                r.meanScore[s][l] = sum / nv;
                r.maxScore[s][l] = mx;
                r.detected[s][l] = det;
                listener.progress("context", ++done, total);
            }
        }
        return r;
    }

    /** Copies the window at origin o (padded coordinates) of xm [C, i, j, k], zero outside the volume, into dst. */
    private static void extract(float[] xm, int cin, int[] dims, int[] pad, int[] o, int[] p, float[] dst, int off) {
        int vox = dims[0] * dims[1] * dims[2], pvox = p[0] * p[1] * p[2];
        int[] origin = {o[0] - pad[0], o[1] - pad[1], o[2] - pad[2]};
        for (int c = 0; c < cin; c++) Crops.crop(xm, c * vox, dims, Crops.Order.C, origin, dst, off + c * pvox, p, Crops.Order.C);
    }
}
