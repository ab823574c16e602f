package io.github.ies.saliency;

import io.github.ies.model.GradientCheck;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.TorchModel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Instance-level saliency (paper sections 2.3-2.4) for any voxel sets of one subject, through the bundle's
 * TorchScript model in eval mode: the entry point of the saliency core.
 *
 * <p>Definitions (y = raw lesion-class logits f(x)[lesion_channel], L the instance's voxels, C input channels):
 * <ul>
 * <li>noise: N copies x_n = x + sigma e_n, e_n standard normal per voxel and channel (seeded, see
 * {@link NoiseSource#seeded}); sigma = noise_level x (max - min) of the first normalised channel over the volume;
 * noise_level 0 gives plain gradients;</li>
 * <li>SmoothGrad mean (eq. 2): (1/N) sum_n d/dx [(1/|L|) sum_{j in L} y_j(x_n)] (one VJP per copy);</li>
 * <li>SmoothGrad max (eq. 3): (1/N) sum_n M_n with M_n(i) = g_{j*}(i), g_j = d y_j(x_n)/dx and j* = argmax_j |g_j(i)|
 * (|L| VJPs per copy);</li>
 * <li>Grad-CAM++ instance / class: {@link GradCamPlusPlus} on the bundle's feature layer of Y = sum_{l in L} y_l, or
 * of the sum of the logits whose probability exceeds the threshold, upsampled to the input grid; clean input.</li>
 * </ul>
 *
 * <p>The parts: {@link NetworkProbe} (alignment, receptive field), {@link ContextGeometry} (context, receptive-field
 * and cell boxes), {@link BackendGuard} (the gradient self-check and finite gradients), {@link ReceptiveFieldCheck},
 * {@link SmoothGradRunner} with {@link VjpScheduler} (copies, per-cell tasks, workers, batches), and
 * {@link GradCamRunner}: the computations of the methods in {@link SaliencyMethods}. This class groups the targets by
 * context box (a group shares forward passes), runs each selected method's computation once per group (methods that
 * share a computation share the run: SmoothGrad max and mean, one set of noisy copies) and hands each lesion's maps
 * to the {@link Sink}, one lesion at a time.
 */
public final class SaliencyEngine {

    /** Receives each instance's maps once they are complete. */
    public interface Sink {
        void accept(LesionMaps maps) throws IOException;
    }

    /** Largest SmoothGrad crop for which the automatic rule runs one single-threaded worker per PyTorch thread. */
    public static final int WORKER_CROP_VOXELS = SaliencySettings.WORKER_CROP_VOXELS;

    private final Session s;
    private final String alignmentSource;
    private final String rfSource;
    private final SmoothGradRunner smoothGrad;
    /** The selected methods' runners, in the order a group runs them ({@link SaliencyMethods#runRank}), with their methods. */
    private final Map<SaliencyMethod.Runner, Set<SaliencyMethod>> runners = new LinkedHashMap<>();
    /** The runner of each computation started so far (one per computation). */
    private final Map<SaliencyMethod.Computation, SaliencyMethod.Runner> started = new LinkedHashMap<>();
    private String rfCheck;

    /** {@code model} must be loaded with {@code trainParam = true}; its parameters are frozen here. */
    public SaliencyEngine(TorchModel model, SaliencySettings settings) {
        for (SaliencyMethod m : settings.methods) m.computation.check(model.bundle());
        // no parameter gradients: only input (and delta) gradients are needed, and weight gradients cost as much again
        model.freeze();
        List<String> log = new ArrayList<>();
        NetworkProbe.Result probe = NetworkProbe.of(model, settings.float64, log);
        this.alignmentSource = probe.alignmentSource;
        this.rfSource = settings.receptiveFieldCrop ? probe.receptiveFieldSource : "turned off";
        ContextGeometry geometry = new ContextGeometry(probe.alignment, settings.receptiveFieldCrop ? probe.receptiveField : null,
                settings, model.bundle().patchSize());
        this.s = new Session(model, settings, geometry, log);
        this.smoothGrad = new SmoothGradRunner(s);
        List<SaliencyMethod> byRank = new ArrayList<>(settings.methods);
        byRank.sort(Comparator.comparingInt(m -> SaliencyMethods.runRank(m.computation)));
        for (SaliencyMethod m : byRank) {
            SaliencyMethod.Runner r = runner(m);
            if (m.perLesion()) runners.computeIfAbsent(r, k -> SaliencyMethods.sorted(List.of())).add(m);
        }
    }

    /** Test hook: replaces the seeded noise. */
    void setNoise(NoiseSource n) { s.noise = n; }

    public SaliencySettings settings() { return s.o; }

    /** Notes on adaptive choices and checks made during the run, for run.json and the user. */
    public List<String> log() { return s.log; }

    public int alignment() { return s.geometry.align; }

    /** Where the alignment came from: "bundle", "probed" or the patch-size rule with the reason. */
    public String alignmentSource() { return alignmentSource; }

    /** The receptive-field bound {below, above} in use, or null (unbounded, unknown, turned off or failed its check). */
    public int[][] receptiveField() { return s.geometry.receptiveField(); }

    /** Where the receptive-field bound came from ("bundle", "probed", "probed: unbounded", "turned off"). */
    public String receptiveFieldSource() { return rfSource; }

    /** How the receptive-field box was checked on the data of the last {@link #explain} call (null: not checked). */
    public String receptiveFieldCheck() { return rfCheck; }

    /** The backend self-check results so far, one per input shape and batch size (in order of first use). */
    public List<GradientCheck.Result> backendChecks() { return s.guard.checks(); }

    /** The kernels the gradients are computed with. */
    public GradientCheck.Kernels kernels() { return s.guard.kernels(); }

    /** See {@link BackendGuard#ensureSound}. */
    boolean ensureSound(Box box, float[] x, int[] dims, int batch) { return s.guard.ensureSound(box, x, dims, batch); }

    /** Zero padding per axis that the {@code full} context adds at the high end (none for multiples of the alignment). */
    public int[] fullPadding(int[] dims) { return s.geometry.fullPadding(dims); }

    /** The context box of a target (see {@link ContextGeometry#contextBox}). */
    public Box contextBox(Target t, int[] dims) { return s.geometry.contextBox(t, dims); }

    /** The box SmoothGrad runs on for a target in a context box (see {@link ContextGeometry#smoothGradBox}). */
    public Box smoothGradBox(Target t, Box context) { return s.geometry.smoothGradBox(t, context); }

    /** sigma = noise_level x (max - min) of the first channel of {@code x [C, dims]}. */
    public double sigma(float[] x, int[] dims) { return s.sigma(x, dims); }

    /** VJPs per backward pass for a box (see {@link SmoothGradRunner#batchSize}). */
    public int batchSize(Box box) { return smoothGrad.batchSize(box); }

    /** Parallel workers for one copy's products on a box (see {@link VjpScheduler#workers}). */
    public int workers(Box box, int items) { return VjpScheduler.workers(s, box, items); }

    /** The progress steps {@link #explain} reports for {@code targets} lesions (its stage's total). */
    public long steps(int targets) {
        long steps = 0;
        for (SaliencyMethod.Runner r : runners.keySet()) steps += r.steps();
        return (long) targets * steps;
    }

    /**
     * Explains the targets on the normalised input {@code x [C, dims]} (C order). Maps go to {@code sink} one lesion
     * at a time, in the order of the first target of each context group.
     */
    public void explain(float[] x, int[] dims, List<Target> targets, Sink sink, ProgressListener progress) throws IOException {
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        if (x.length != s.channels * dims[0] * dims[1] * dims[2]) {
            throw new IllegalArgumentException("input has " + x.length + " values, expected " + s.channels + " x " + Arrays.toString(dims));
        }
        double sigma = s.sigma(x, dims);
        boolean sg = s.o.perChannel();
        if (s.geometry.bounded() && s.o.checkReceptiveField && !targets.isEmpty() && sg) {
            rfCheck = ReceptiveFieldCheck.run(s, x, dims, targets.get(0));
        }
        // groups of targets that share a context box: they share the Grad-CAM++ forward pass, and SmoothGrad plans
        // the per-cell tasks of the whole group at once (lesions whose cells coincide share those forward passes)
        Map<Box, List<Target>> groups = new LinkedHashMap<>();
        for (Target t : targets) groups.computeIfAbsent(contextBox(t, dims), b -> new ArrayList<>()).add(t);
        long total = steps(targets.size());
        long[] done = {0};
        for (Map.Entry<Box, List<Target>> g : groups.entrySet()) {
            Box box = g.getKey();
            List<Target> all = g.getValue();
            for (int from = 0; from < all.size(); ) {
                // as many targets as the accumulator memory budget allows (at least one)
                List<Box> sgBoxes = new ArrayList<>();
                int to = from;
                long bytes = 0;
                while (to < all.size()) {
                    Box sb = sg ? smoothGradBox(all.get(to), box) : box;
                    long more = 0;
                    for (Map.Entry<SaliencyMethod.Runner, Set<SaliencyMethod>> r : runners.entrySet()) more += r.getKey().bytes(sb, r.getValue());
                    if (to > from && bytes + more > s.o.memoryBudgetBytes) break;
                    bytes += more;
                    sgBoxes.add(sb);
                    to++;
                }
                explainGroup(box, all.subList(from, to), sgBoxes, x, dims, sigma, sink, listener, done, total);
                from = to;
            }
        }
    }

    /** One group of targets sharing a context box: each computation (Grad-CAM++, then SmoothGrad, ...), then each lesion's maps to the sink. */
    private void explainGroup(Box box, List<Target> group, List<Box> sgBoxes, float[] x, int[] dims, double sigma, Sink sink,
            ProgressListener listener, long[] done, long total) throws IOException {
        Box region = box.clip(dims);
        List<LesionMaps> out = new ArrayList<>();
        for (int t = 0; t < group.size(); t++) {
            out.add(new LesionMaps(group.get(t).id, group.get(t).voxels.length, box, region, sgBoxes.get(t).clip(dims)));
        }
        double[] secs = new double[group.size()];
        LesionGroup g = new LesionGroup(box, region, group, sgBoxes, out, x, dims, sigma, listener, done, total);
        for (Map.Entry<SaliencyMethod.Runner, Set<SaliencyMethod>> r : runners.entrySet()) {
            long t0 = System.nanoTime();
            r.getKey().lesions(g, r.getValue());
            // shared work split in proportion to each lesion's weight (SmoothGrad: its VJPs per copy)
            double sec = (System.nanoTime() - t0) / 1e9, weights = 0;
            for (Target t : group) weights += r.getKey().weight(t);
            for (int t = 0; t < secs.length; t++) secs[t] += sec * r.getKey().weight(group.get(t)) / weights;
        }
        for (int t = 0; t < out.size(); t++) {
            out.get(t).seconds = secs[t];
            sink.accept(out.get(t));
        }
    }

    /**
     * Class-level Grad-CAM++ (eqs. 4-7) over the whole volume: Y = sum of the lesion-class logits of the voxels whose
     * probability exceeds the threshold (the settings', else the bundle's). A C-order map on {@code dims}, all zero
     * when no voxel exceeds the threshold.
     */
    public float[] classGradCam(float[] x, int[] dims) {
        return volumeMap(SaliencyMethods.CLASS_GRADCAMPP, x, dims);
    }

    /** A selected {@link SaliencyMethod.Kind#VOLUME} method's map of {@code x [C, dims]}: C order on {@code dims}. */
    public float[] volumeMap(SaliencyMethod m, float[] x, int[] dims) {
        return runner(m).volume(m, x, dims);
    }

    /** The runner of a method's computation, started on first use. */
    private SaliencyMethod.Runner runner(SaliencyMethod m) {
        return started.computeIfAbsent(m.computation, c -> c == SaliencyMethods.SMOOTHGRAD_MAX.computation ? smoothGrad : c.start(s));
    }

    /**
     * The signs of the explained layer's activations over the Grad-CAM++ forward passes so far (each lesion group's
     * context box once, the whole volume for the class map); none counted when Grad-CAM++ did not run.
     */
    public ActivationSigns featureActivations() { return s.featureSigns; }

    /** A one-line description of the parameters (for logs). */
    public String describe() {
        List<String> names = new ArrayList<>();   // as constant names: SMOOTHGRAD_MAX for smoothgrad-max
        for (SaliencyMethod m : s.o.methods) names.add(m.key.toUpperCase(Locale.ROOT).replace('-', '_'));
        return String.format(Locale.ROOT, "methods %s, N %d, noise %.3g, seed %d, context %s, alignment %d, keepGraph %b",
                names, s.o.samples, s.o.noiseLevel, s.o.seed, s.o.context.key, alignment(), s.o.keepGraph);
    }
}
