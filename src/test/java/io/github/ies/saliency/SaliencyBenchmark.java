package io.github.ies.saliency;

import ai.djl.Device;
import io.github.ies.instances.ConnectedComponents;
import io.github.ies.instances.Connectivity;
import io.github.ies.instances.Labeling;
import io.github.ies.io.Crops;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.Segmenter;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code scripts/bench-saliency}: SmoothGrad max aggregation, the authors' naive algorithm (whole volume, one
 * backward pass per lesion voxel) against the engine in each context, on one subject, in one process.
 *
 * <pre>
 * bench-saliency [--model DIR] [--flair F] [--mprage M] [--gt MASK] [--lesions 8,11] [--samples 2] [--threads 2]
 *                [--seed 1] [--margin 8] [--local-margin 16] [--batch-size 0] [--skip-naive] [--batch-probe]
 * </pre>
 * Defaults: the demo model and subject ({@code test-images/}); lesions: the two ground-truth components (18-connected)
 * closest to 25 voxels. Errors are against the engine's {@code full} context (itself checked against the naive maps):
 * relative L2 = ||m - m_full|| / ||m_full|| over the whole grid (zero outside the computed region) and both channels;
 * peak error = the largest relative difference of a channel's max or min.
 */
public final class SaliencyBenchmark {

    private SaliencyBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: scripts/bench-saliency [--model DIR] [--flair F] [--mprage M] [--gt MASK] [--lesions 8,11] [--samples 2]\n"
                    + "       [--threads 2] [--seed 1] [--margin 8] [--local-margin 16] [--batch-size 0] [--workers 0] [--split equal-cost|halves] [--repeat 3]\n"
                    + "       [--repeat-naive] [--whole-volume] [--skip-naive] [--batch-probe] [--lesion-voxels 25]\n"
                    + "       [--contexts full,patch,local] [--naive-estimate] [--extrapolate-samples 50]\n"
                    + "Lesions: the two ground-truth components closest to --lesion-voxels voxels, unless --lesions.\n"
                    + "--naive-estimate times one whole-volume forward and 3 backward passes per lesion instead of the naive loop\n"
                    + "and estimates it as N x (F + |L| x B); --extrapolate-samples M adds each time scaled to M copies.\n"
                    + "Times are medians over --repeat runs of each engine mode (the naive baseline runs once unless --repeat-naive);\n"
                    + "--whole-volume adds the engine in the full context without the receptive-field box.\n"
                    + "Naive per-voxel SmoothGrad-max in the full context against the engine in the full, patch and local contexts.");
            return;
        }
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (k.equals("--skip-naive") || k.equals("--batch-probe") || k.equals("--whole-volume") || k.equals("--repeat-naive")
                    || k.equals("--naive-estimate")) a.put(k, "true");
            else if (i + 1 < args.length) a.put(k, args[++i]);
            else throw new IllegalArgumentException("missing value for " + k);
        }
        Path model = Path.of(a.getOrDefault("--model", "test-images/models/demo-unet"));
        Path flair = Path.of(a.getOrDefault("--flair", "test-images/demo/flair.nii.gz"));
        Path mprage = Path.of(a.getOrDefault("--mprage", "test-images/demo/mprage.nii.gz"));
        Path gtPath = Path.of(a.getOrDefault("--gt", "test-images/demo/lesions.nii.gz"));
        int samples = Integer.parseInt(a.getOrDefault("--samples", "2"));
        int threads = Integer.parseInt(a.getOrDefault("--threads", "2"));
        long seed = Long.parseLong(a.getOrDefault("--seed", "1"));
        int localMargin = Integer.parseInt(a.getOrDefault("--local-margin", "16"));
        int margin = Integer.parseInt(a.getOrDefault("--margin", "8"));
        int batchSize = Integer.parseInt(a.getOrDefault("--batch-size", "0"));
        int workers = Integer.parseInt(a.getOrDefault("--workers", "0"));
        // how each copy's work is split between workers: equal-cost (the engine's) or halves (before issue 25)
        VjpScheduler.strategy = a.getOrDefault("--split", "equal-cost").equals("halves") ? VjpScheduler.Strategy.HALVES : VjpScheduler.Strategy.EQUAL_COST;
        int repeat = Integer.parseInt(a.getOrDefault("--repeat", "3"));
        int lesionVoxels = Integer.parseInt(a.getOrDefault("--lesion-voxels", "25"));
        int paperSamples = Integer.parseInt(a.getOrDefault("--extrapolate-samples", "0"));
        List<SaliencyContext> contexts = new ArrayList<>();
        for (String c : a.getOrDefault("--contexts", "full,patch,local").split(",")) {
            SaliencyContext ctx = SaliencyContext.fromKey(c);
            if (ctx == null) throw new IllegalArgumentException("--contexts: unknown context " + c);
            contexts.add(ctx);
        }

        TorchRuntime.configure(threads);
        ModelBundle bundle = ModelBundle.load(model);
        Volume f = Nifti.read(flair), m = Nifti.read(mprage), gt = Nifti.read(gtPath);
        int[] nd = f.dims();
        int[] dims = nd.clone();
        float[] x = Segmenter.normalize(bundle, f, m);
        Labeling lab = ConnectedComponents.label(gt, Connectivity.of(18));
        List<Integer> ids = new ArrayList<>();
        if (a.containsKey("--lesions")) {
            for (String s : a.get("--lesions").split(",")) ids.add(Integer.parseInt(s.trim()));
        } else {
            List<Integer> all = new ArrayList<>();
            for (int id = 1; id <= lab.count(); id++) all.add(id);
            all.sort((p, q) -> Integer.compare(Math.abs(lab.voxels(p) - lesionVoxels), Math.abs(lab.voxels(q) - lesionVoxels)));
            ids.addAll(all.subList(0, Math.min(2, all.size())));
        }
        List<Target> targets = new ArrayList<>();
        for (int id : ids) {
            boolean[] mask = new boolean[lab.labels().length];
            for (int i = 0; i < mask.length; i++) mask[i] = lab.labels()[i] == id;
            targets.add(Target.ofNifti(id, mask, nd));
        }
        System.out.printf(Locale.ROOT, "subject %s %dx%dx%d, model %s (patch %s), lesions %s (voxels %s), N = %d, %d threads, PyTorch %s%n",
                flair, nd[0], nd[1], nd[2], bundle.name(), java.util.Arrays.toString(bundle.patchSize()), ids,
                targets.stream().map(t -> Integer.toString(t.voxelCount())).toList(), samples, TorchRuntime.threads(),
                TorchRuntime.pytorchVersion());

        try (TorchModel tm = TorchModel.load(bundle, Device.cpu(), true)) {
            SaliencySettings base = SaliencySettings.builder().methods(SaliencyMethods.SMOOTHGRAD_MAX).samples(samples).seed(seed)
                    .localMargin(localMargin).margin(margin).batchSize(batchSize).workers(workers).build();
            if (a.containsKey("--batch-probe")) batchProbe(tm, base, x, dims, targets.get(0));

            Map<String, List<Double>> runs = new LinkedHashMap<>();
            Map<String, Map<Integer, float[][]>> maps = new LinkedHashMap<>();
            Map<String, SaliencySettings> modes = new LinkedHashMap<>();
            if (a.containsKey("--whole-volume")) {
                modes.put("engine full, whole volume", opts(base, SaliencyContext.FULL).toBuilder().receptiveFieldCrop(false).build());
            }
            for (SaliencyContext c : contexts) modes.put("engine " + c.key, opts(base, c));
            for (SaliencyContext c : contexts) {
                // the once-per-run checks, timed apart: the gradient self-check of every shape the lesions use (cached
                // per JVM afterwards), then the receptive-field check
                SaliencyEngine e = new SaliencyEngine(tm, opts(base, c).toBuilder().backendCheck(true).recheck(true).build());   // timed: not from the disk cache
                long t0 = System.nanoTime();
                e.explain(x, dims, targets, lm -> { }, null);
                double withChecks = (System.nanoTime() - t0) / 1e9;
                double checks = 0;
                for (io.github.ies.model.GradientCheck.Result r : e.backendChecks()) checks += r.seconds;
                System.out.printf(Locale.ROOT, "gradient self-check, %s context: %d shapes, %.2f s (%s kernels), in a %.2f s run of the lesions%n",
                        c.key, e.backendChecks().size(), checks, e.kernels().key, withChecks);
                // the timed runs (check off) use the kernels the check chose
                if (e.kernels() == io.github.ies.model.GradientCheck.Kernels.REFERENCE) System.setProperty("ies.kernels", "reference");
                SaliencyEngine rc = new SaliencyEngine(tm, opts(base, c).toBuilder().checkReceptiveField(true).build());
                t0 = System.nanoTime();
                rc.explain(x, dims, List.of(targets.get(0)), lm -> { }, null);
                double total = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "receptive-field check, %s context (once per run; included in this %.2f s run of one lesion): %s%n",
                        c.key, total, rc.receptiveFieldCheck());
            }
            Map<String, Double> estimated = new LinkedHashMap<>();
            if (a.containsKey("--naive-estimate")) {
                SaliencyEngine e = new SaliencyEngine(tm, opts(base, SaliencyContext.FULL));
                double sum = 0;
                for (Target t : targets) {
                    double[] fb = NaiveSmoothGrad.passSeconds(e, tm, x, dims, t, 3);
                    double per = samples * (fb[0] + t.voxelCount() * fb[1]);
                    System.out.printf(Locale.ROOT, "naive estimate, lesion %d (%d voxels): forward %.2f s, backward %.2f s -> N x (F + |L| x B) = %.1f s%n",
                            t.id, t.voxelCount(), fb[0], fb[1], per);
                    sum += per;
                }
                estimated.put("naive (full), estimated from pass times", sum / targets.size());
            }
            for (int rep = 0; rep < repeat; rep++) {
                if (!a.containsKey("--skip-naive") && (rep == 0 || a.containsKey("--repeat-naive"))) {
                    SaliencyEngine e = new SaliencyEngine(tm, opts(base, SaliencyContext.FULL));
                    long t0 = System.nanoTime();
                    Map<Integer, float[][]> nm = new LinkedHashMap<>();
                    for (Target t : targets) nm.put(t.id, NaiveSmoothGrad.maxAggregation(e, tm, x, dims, t));
                    double s1 = (System.nanoTime() - t0) / 1e9 / targets.size();
                    runs.computeIfAbsent("naive (full)", k -> new ArrayList<>()).add(s1);
                    maps.put("naive (full)", nm);
                    System.out.printf(Locale.ROOT, "naive: %.2f s per lesion%n", s1);
                }
                for (Map.Entry<String, SaliencySettings> mode : modes.entrySet()) {
                    String name = mode.getKey();
                    SaliencyEngine e = new SaliencyEngine(tm, mode.getValue());
                    Map<Integer, float[][]> em = new LinkedHashMap<>();
                    long t0 = System.nanoTime();
                    e.explain(x, dims, targets, lm -> {
                        float[][] full = new float[lm.maps.get(SaliencyMethods.SMOOTHGRAD_MAX).length][];
                        for (int ch = 0; ch < full.length; ch++) full[ch] = paste(lm.maps.get(SaliencyMethods.SMOOTHGRAD_MAX)[ch], lm.smoothGradRegion, dims);
                        em.put(lm.id, full);
                    }, null);
                    double s1 = (System.nanoTime() - t0) / 1e9 / targets.size();
                    runs.computeIfAbsent(name, k -> new ArrayList<>()).add(s1);
                    maps.put(name, em);
                    StringBuilder boxes = new StringBuilder();
                    for (Target t : targets) boxes.append(' ').append(java.util.Arrays.toString(e.smoothGradBox(t, e.contextBox(t, dims)).size()));
                    Box b0 = e.smoothGradBox(targets.get(0), e.contextBox(targets.get(0), dims));
                    System.out.printf(Locale.ROOT, "%s: %.2f s per lesion (alignment %d, receptive field %s, SmoothGrad boxes%s, batch %d, workers %d)%n",
                            name, s1, e.alignment(), rfString(e.receptiveField()), boxes, e.batchSize(b0),
                            e.workers(b0, targets.get(0).voxelCount()));
                }
            }
            Map<String, Double> seconds = new LinkedHashMap<>();
            for (Map.Entry<String, List<Double>> r : runs.entrySet()) seconds.put(r.getKey(), median(r.getValue()));
            if (!estimated.isEmpty()) {
                System.out.println();
                double naiveEst = estimated.values().iterator().next();
                System.out.println("| mode | s / lesion | speed-up vs estimated naive |" + (paperSamples > 0 ? " s / lesion at N = " + paperSamples + " |" : ""));
                System.out.println("|---|---|---|" + (paperSamples > 0 ? "---|" : ""));
                System.out.printf(Locale.ROOT, "| naive (full), estimated | %.1f | 1.0x |%s%n", naiveEst,
                        paperSamples > 0 ? String.format(Locale.ROOT, " %.0f |", naiveEst * paperSamples / samples) : "");
                for (Map.Entry<String, Double> e : seconds.entrySet()) {
                    if (e.getKey().startsWith("naive")) continue;
                    System.out.printf(Locale.ROOT, "| %s | %.2f | %.1fx |%s%n", e.getKey(), e.getValue(), naiveEst / e.getValue(),
                            paperSamples > 0 ? String.format(Locale.ROOT, " %.0f |", e.getValue() * paperSamples / samples) : "");
                }
            }
            Map<Integer, float[][]> ref = maps.get("engine full");
            if (ref == null) return;
            Double naive = seconds.get("naive (full)");
            System.out.println();
            System.out.printf(Locale.ROOT, "%nmedian of %d run(s) per mode (naive: %d)%n", repeat, runs.getOrDefault("naive (full)", List.of()).size());
            System.out.println("| mode | s / lesion | speed-up vs naive | rel. L2 error vs full | peak error vs full |");
            System.out.println("|---|---|---|---|---|");
            for (Map.Entry<String, Map<Integer, float[][]>> e : maps.entrySet()) {
                double l2 = 0, peak = 0;
                for (Target t : targets) {
                    float[][] got = e.getValue().get(t.id), want = ref.get(t.id);
                    for (int ch = 0; ch < want.length; ch++) {
                        l2 = Math.max(l2, relL2(got[ch], want[ch]));
                        peak = Math.max(peak, peakErr(got[ch], want[ch]));
                    }
                }
                System.out.printf(Locale.ROOT, "| %s | %.2f | %s | %.2e | %.2e |%n", e.getKey(), seconds.get(e.getKey()),
                        naive == null ? "-" : String.format(Locale.ROOT, "%.1fx", naive / seconds.get(e.getKey())), l2, peak);
            }
        }
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        java.util.Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static String rfString(int[][] rf) {
        return rf == null ? "none (whole context box)" : "below " + java.util.Arrays.toString(rf[0]) + " above " + java.util.Arrays.toString(rf[1]);
    }

    /**
     * The base settings in a context, for the timed runs: the once-per-run checks (receptive-field box on the data,
     * gradient self-check) are timed separately, as they do not grow with the lesions.
     */
    private static SaliencySettings opts(SaliencySettings b, SaliencyContext c) {
        return b.toBuilder().context(c).checkReceptiveField(false).backendCheck(false).build();
    }

    /** Seconds for one lesion in local and patch context with batch sizes 1, 4, 8 and with/without a kept graph. */
    private static void batchProbe(TorchModel tm, SaliencySettings base, float[] x, int[] dims, Target t) throws Exception {
        System.out.println("| context | batch | keep graph | s (lesion " + t.id + ", " + t.voxelCount() + " voxels, N = " + base.samples + ") |");
        System.out.println("|---|---|---|---|");
        for (SaliencyContext c : new SaliencyContext[] {SaliencyContext.LOCAL, SaliencyContext.PATCH}) {
            for (int b : new int[] {1, 4, 8}) {
                for (boolean keep : new boolean[] {true, false}) {
                    SaliencySettings o = opts(base, c).toBuilder().batchSize(b).keepGraph(keep).build();
                    long t0 = System.nanoTime();
                    new SaliencyEngine(tm, o).explain(x, dims, List.of(t), lm -> { }, null);
                    System.out.printf(Locale.ROOT, "| %s | %d | %b | %.2f |%n", c.key, b, keep, (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        System.out.println();
    }

    static float[] paste(float[] crop, Box region, int[] d) {
        return Crops.paste(crop, region.size(), Crops.Order.C, region.origin(), d);
    }

    static double relL2(float[] got, float[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            double dlt = got[i] - want[i];
            num += dlt * dlt;
            den += (double) want[i] * want[i];
        }
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }

    static double peakErr(float[] got, float[] want) {
        double gmax = Double.NEGATIVE_INFINITY, gmin = Double.POSITIVE_INFINITY, wmax = gmax, wmin = gmin;
        for (int i = 0; i < want.length; i++) {
            gmax = Math.max(gmax, got[i]);
            gmin = Math.min(gmin, got[i]);
            wmax = Math.max(wmax, want[i]);
            wmin = Math.min(wmin, want[i]);
        }
        double e = 0;
        if (wmax != 0) e = Math.max(e, Math.abs(gmax - wmax) / Math.abs(wmax));
        if (wmin != 0) e = Math.max(e, Math.abs(gmin - wmin) / Math.abs(wmin));
        return e;
    }
}
