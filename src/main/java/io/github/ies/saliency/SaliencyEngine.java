package io.github.ies.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.ies.model.Autograd;
import io.github.ies.model.GradientCheck;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.TorchModel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Instance-level saliency (paper sections 2.3-2.4) for any voxel sets of one subject, through the bundle's
 * TorchScript model in eval mode.
 *
 * <p>Definitions (y = raw lesion-class logits f(x)[lesion_channel], L the instance's voxels, C input channels):
 * <ul>
 * <li>noise: N copies x_n = x + sigma e_n, e_n standard normal per voxel and channel (seeded, see
 * {@link NoiseSource#seeded}); sigma = noise_level x (max - min) of the first normalised channel over the volume;
 * noise_level 0 gives plain gradients;</li>
 * <li>SmoothGrad mean (eq. 2): (1/N) sum_n d/dx [(1/|L|) sum_{j in L} y_j(x_n)] (one VJP per copy);</li>
 * <li>SmoothGrad max (eq. 3): (1/N) sum_n M_n with M_n(i) = g_{j*}(i), g_j = d y_j(x_n)/dx and j* = argmax_j |g_j(i)|
 * (|L| VJPs per copy);</li>
 * <li>Grad-CAM++ instance / class: {@link GradCamPlusPlus} on the bundle's feature layer (gradients with respect to
 * the {@code delta} leaf of {@code forward_features}) of Y = sum_{l in L} y_l, or of the sum of the logits whose
 * probability exceeds the threshold, trilinearly upsampled ({@link Resample}) to the input grid. Computed on the
 * clean (noise-free) input.</li>
 * </ul>
 *
 * <p>Contexts (the input the network sees): {@code full} the whole volume (zero-padded at the high end to a multiple
 * of the network's alignment, as a whole-volume forward pass needs), {@code patch} a box of the bundle's patch size
 * grown (in steps of the alignment) to hold the lesion's bounding box plus {@code margin} on each side, centred on the
 * lesion and shifted to lie inside the volume (zero-padded when the volume is smaller), {@code local} the same with
 * only the bounding box plus {@code localMargin} (no minimum size).
 *
 * <p>SmoothGrad runs on the lesion's receptive-field box inside the context box ({@link #smoothGradBox}: identical
 * results), split per alignment cell into tasks with their own (smaller) boxes. On the CPU with a kept graph (the
 * default), each task runs one forward pass per noisy copy and one backward pass per lesion voxel (one-hot
 * cotangent, input gradient zeroed in between), the max aggregation folded in PyTorch; tasks are spread over
 * single-threaded workers for small boxes and folded in task order. Otherwise (GPU, or no kept graph) the crop is
 * replicated along the batch dimension and each element back-propagates its own cotangent (B VJPs per backward
 * pass). Lesions with the same context and SmoothGrad boxes share their forward passes, within an accumulator memory
 * budget. Each forward pass and VJP runs in its own NDManager sub-scope; progress and cancellation are checked
 * between VJPs. Maps are kept as crops and handed to the {@link Sink} one lesion at a time.
 */
public final class SaliencyEngine {

    /** Explanation methods. */
    public enum Method {
        SMOOTHGRAD_MAX("smoothgrad-max"), SMOOTHGRAD_MEAN("smoothgrad-mean"), GRADCAMPP("gradcampp"),
        CLASS_GRADCAMPP("class-gradcampp");

        public final String key;

        Method(String key) { this.key = key; }

        public static Method fromKey(String s) {
            for (Method m : values()) if (m.key.equalsIgnoreCase(s.trim())) return m;
            return null;
        }

        public boolean smoothGrad() { return this == SMOOTHGRAD_MAX || this == SMOOTHGRAD_MEAN; }
    }

    /** What the network sees while one instance is explained. */
    public enum Context {
        FULL("full"), PATCH("patch"), LOCAL("local");

        public final String key;

        Context(String key) { this.key = key; }

        public static Context fromKey(String s) {
            for (Context c : values()) if (c.key.equalsIgnoreCase(s.trim())) return c;
            return null;
        }
    }

    /** Parameters. */
    public static final class Options {
        public Set<Method> methods = EnumSet.allOf(Method.class);
        /** N, the number of noisy copies. */
        public int samples = 50;
        public double noiseLevel = 0.05;
        public long seed = 1;
        public Context context = Context.PATCH;
        /** Voxels added on each side of the lesion's bounding box in {@code patch} context. */
        public int margin = 8;
        /** Voxels added on each side of the lesion's bounding box in {@code local} context. */
        public int localMargin = 16;
        /** VJPs per backward pass (replicated batch); 0: chosen from the context size. */
        public int batchSize = 0;
        /** One forward pass per noisy copy for all its backward passes (else one forward pass per batch). */
        public boolean keepGraph = true;
        /** Also the per-voxel standard error of the SmoothGrad maps over the copies. */
        public boolean uncertainty = false;
        /** Threshold for class-level Grad-CAM++; null: the bundle's. */
        public Double threshold = null;
        /** Run the network in float64 (the model must be a float64 TorchScript module; for tests). */
        public boolean float64 = false;
        /** Memory for the SmoothGrad accumulators of lesions that share a context, and the batch-size heuristic. */
        public long memoryBudgetBytes = 1L << 30;
        /**
         * Compute SmoothGrad on the lesion's receptive-field box inside the context (identical results, see
         * {@link SaliencyEngine#smoothGradBox}); false runs the whole context box (for benchmarks and checks).
         */
        public boolean receptiveFieldCrop = true;
        /**
         * Before explaining, check the receptive-field box on the data: the gradients of the first target's first
         * and last voxels computed on their cell boxes equal those computed on the whole context box (relative
         * 1e-4); otherwise warn and run SmoothGrad on whole context boxes. Costs one forward and two backward passes
         * on the context box (and on two cell boxes), once per {@link SaliencyEngine#explain} call.
         */
        public boolean checkReceptiveField = true;
        /**
         * Parallel workers for the VJPs of one noisy copy on the CPU, each with its own forward pass and one
         * PyTorch thread; 0: automatic (the PyTorch thread count for crops up to {@link #WORKER_CROP_VOXELS} voxels,
         * else 1, see docs/saliency.md).
         */
        public int workers = 0;
        /**
         * Check the gradient backend on every input shape before using it ({@link GradientCheck}): the kernels and
         * batching it proves sound are used, and a shape with no sound kernels stops the run. Off only in benchmarks
         * that measure the check itself.
         */
        public boolean backendCheck = true;
    }

    /** Largest SmoothGrad crop for which the automatic rule runs one single-threaded worker per PyTorch thread. */
    public static final int WORKER_CROP_VOXELS = 96 * 96 * 96;

    /** A voxel set to explain. */
    public static final class Target {
        public final int id;
        /** Flat C-order indices ((i * dims[1] + j) * dims[2] + k) of the voxels. */
        final int[] voxels;
        final int[] bboxMin = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        final int[] bboxMax = {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE};

        /** {@code voxels}: flat C-order indices on a grid of {@code dims} (see {@link #ofNifti} for NIfTI order). */
        public Target(int id, int[] voxels, int[] dims) {
            if (voxels.length == 0) throw new IllegalArgumentException("instance " + id + " has no voxel");
            this.id = id;
            this.voxels = voxels.clone();
            for (int v : voxels) {
                int k = v % dims[2], j = (v / dims[2]) % dims[1], i = v / (dims[1] * dims[2]);
                if (i >= dims[0] || v < 0) throw new IllegalArgumentException("voxel index " + v + " outside " + Arrays.toString(dims));
                int[] p = {i, j, k};
                for (int d = 0; d < 3; d++) {
                    bboxMin[d] = Math.min(bboxMin[d], p[d]);
                    bboxMax[d] = Math.max(bboxMax[d], p[d]);
                }
            }
        }

        /** A target from a NIfTI-order mask (i fastest, as {@code Volume.data()}). */
        public static Target ofNifti(int id, boolean[] mask, int[] dims) {
            int n = 0;
            for (boolean b : mask) if (b) n++;
            int[] v = new int[n];
            int p = 0;
            for (int k = 0; k < dims[2]; k++) {
                for (int j = 0; j < dims[1]; j++) {
                    for (int i = 0; i < dims[0]; i++) {
                        if (mask[i + dims[0] * (j + dims[1] * k)]) v[p++] = (i * dims[1] + j) * dims[2] + k;
                    }
                }
            }
            Arrays.sort(v);
            return new Target(id, v, dims);
        }

        public int voxelCount() { return voxels.length; }
    }

    /** The maps of one instance, as crops on {@link #region} (C order, k fastest). */
    public static final class LesionMaps {
        public final int id;
        public final int voxels;
        /** The context box (may extend past the volume). */
        public final Box context;
        /** The context box inside the volume (Grad-CAM++ is computed on it; its map is stored on {@link #regionOf}). */
        public final Box region;
        /**
         * The region of the SmoothGrad maps: the lesion's receptive-field box inside the context box and the volume
         * ({@link SaliencyEngine#smoothGradBox}); the gradients are exactly zero outside it.
         */
        public final Box smoothGradRegion;
        /** Per method, one crop per input channel (SmoothGrad) or one crop (Grad-CAM++). */
        public final Map<Method, float[][]> maps = new EnumMap<>(Method.class);
        /** Per SmoothGrad method with uncertainty: the standard error crops per channel. */
        public final Map<Method, float[][]> standardErrors = new EnumMap<>(Method.class);
        /** Seconds spent on this instance (shared work split evenly between the lesions sharing it). */
        public double seconds;

        LesionMaps(int id, int voxels, Box context, Box region, Box smoothGradRegion) {
            this.id = id;
            this.voxels = voxels;
            this.context = context;
            this.region = region;
            this.smoothGradRegion = smoothGradRegion;
        }

        /**
         * The region of the instance Grad-CAM++ map: the bounding box of its nonzero voxels inside {@link #region}
         * (the map is zero elsewhere; one voxel when it is all zero); null before the map is computed.
         */
        Box gradCamRegion;

        /** The region a method's crops live on. */
        public Box regionOf(Method m) {
            if (m.smoothGrad()) return smoothGradRegion;
            return gradCamRegion != null ? gradCamRegion : region;
        }
    }

    /** Receives each instance's maps once they are complete. */
    public interface Sink {
        void accept(LesionMaps maps) throws IOException;
    }

    private final TorchModel model;
    private final ModelBundle bundle;
    private final Options o;
    private final int channels;
    private final int align;
    private final String alignmentSource;
    private final String rfSource;
    private final int lesionChannel;
    /** {below, above}: the receptive-field bound (see {@link #receptiveField()}); null when unbounded or unknown. */
    private int[][] rf;
    /** The outcome of the last receptive-field check (see {@link #checkReceptiveField}), null before any. */
    private String rfCheck;
    private NoiseSource noise;
    /** The kernels every gradient of this engine is computed with (see {@link #ensureSound}). */
    private GradientCheck.Kernels kernels = GradientCheck.Kernels.DEFAULT;
    /** Backend self-check results of this engine's shapes, by shape and batch size. */
    private final Map<String, GradientCheck.Result> checks = new LinkedHashMap<>();
    private final Map<List<Integer>, long[]> featureShapes = new HashMap<>();
    private int outputChannels = -1;
    private final List<String> log = new ArrayList<>();

    /** {@code model} must be loaded with {@code trainParam = true}; its parameters are frozen here. */
    public SaliencyEngine(TorchModel model, Options options) {
        this.model = model;
        this.bundle = model.bundle();
        this.o = options;
        if (o.samples < 1) throw new IllegalArgumentException("samples must be >= 1, got " + o.samples);
        if (!(o.noiseLevel >= 0) || Double.isInfinite(o.noiseLevel)) {
            throw new IllegalArgumentException("noise level must be >= 0, got " + o.noiseLevel);
        }
        if (o.margin < 0 || o.localMargin < 0) throw new IllegalArgumentException("margins must be >= 0");
        if (o.batchSize < 0) throw new IllegalArgumentException("batch size must be >= 0 (0: automatic), got " + o.batchSize);
        if (o.methods.isEmpty()) throw new IllegalArgumentException("no method selected");
        if ((o.methods.contains(Method.GRADCAMPP) || o.methods.contains(Method.CLASS_GRADCAMPP)) && !bundle.features()) {
            throw new IllegalArgumentException(bundle.source() + ": Grad-CAM++ needs a bundle exported with forward_features "
                    + "(\"features\": true in ies-model.json)");
        }
        this.channels = bundle.inputCount();
        this.lesionChannel = bundle.lesionChannel();
        this.noise = NoiseSource.seeded(o.seed);
        // no parameter gradients: only input (and delta) gradients are needed, and weight gradients cost as much again
        model.freeze();
        NetworkProbe.Result probe = NetworkProbe.of(model, o.float64, log);
        this.align = probe.alignment;
        this.alignmentSource = probe.alignmentSource;
        this.rf = o.receptiveFieldCrop ? probe.receptiveField : null;
        this.rfSource = o.receptiveFieldCrop ? probe.receptiveFieldSource : "turned off";
    }

    /** Where the alignment came from: "bundle", "probed" or the patch-size rule with the reason. */
    public String alignmentSource() { return alignmentSource; }

    /** Where the receptive-field bound came from ("bundle", "probed", "probed: unbounded", "turned off"). */
    public String receptiveFieldSource() { return rfSource; }

    /** Test hook: replaces the seeded noise. */
    void setNoise(NoiseSource n) { this.noise = n; }

    public Options options() { return o; }

    /** Notes on adaptive choices made during the run (batch sizes after out-of-memory, group sizes). */
    public List<String> log() { return log; }

    /** The backend self-check results so far, one per input shape and batch size (in order of first use). */
    public List<GradientCheck.Result> backendChecks() { return new ArrayList<>(checks.values()); }

    /** The kernels the gradients are computed with. */
    public GradientCheck.Kernels kernels() { return kernels; }

    /**
     * Runs the backend self-check ({@link GradientCheck}, cached per shape) on the clean input of {@code box} for
     * batches of {@code batch}, and settles the kernels: oneDNN (the default) while it is sound on every shape of
     * this engine, else libtorch's reference kernels (for the whole engine, when they are sound on every shape so
     * far). Returns whether batches of {@code batch} are sound (always true for 1).
     *
     * @throws GradientException when no kernels give sound gradients for this shape (no map is computed from it)
     */
    boolean ensureSound(Box box, float[] x, int[] dims, int batch) {
        if (!o.backendCheck) return true;
        String key = Arrays.toString(box.size) + "x" + batch;
        GradientCheck.Result r = checks.get(key);
        if (r == null) {
            r = GradientCheck.run(model, box.extract(x, channels, dims), box.size, batch, o.float64);
            checks.put(key, r);
            if (r.failed() || !r.notes.isEmpty()) {
                log.add("gradient self-check, " + r.summary() + ": " + String.join("; ", r.notes));
            }
            if (!r.sound()) {
                throw new GradientException(bundle.name() + ": the gradient self-check failed on input shape " + Arrays.toString(r.shape)
                        + " (" + String.join("; ", r.notes) + "); no saliency map is computed with this backend. Try another "
                        + "device, or report it with the run.json of a run with --context full");
            }
            if (!r.sound(kernels)) {
                GradientCheck.Kernels other = kernels == GradientCheck.Kernels.DEFAULT ? GradientCheck.Kernels.REFERENCE : GradientCheck.Kernels.DEFAULT;
                for (GradientCheck.Result earlier : checks.values()) {
                    if (!earlier.sound(other)) {
                        throw new GradientException(bundle.name() + ": no kernels give sound gradients on every input shape of this run ("
                                + earlier.summary() + "; " + r.summary() + ")");
                    }
                }
                kernels = other;
                log.add("gradient self-check: " + (other == GradientCheck.Kernels.REFERENCE
                        ? "oneDNN's gradients failed on input shape " + Arrays.toString(r.shape) + "; this run uses libtorch's reference CPU kernels (oneDNN off)"
                        : "the reference kernels failed on input shape " + Arrays.toString(r.shape) + "; this run uses the default kernels"));
            }
            if (batch > 1 && !Boolean.TRUE.equals(r.batched)) {
                log.add("gradient self-check: batched gradients are unsound on input shape " + Arrays.toString(r.shape)
                        + " (batch " + batch + "); one VJP per backward pass instead");
            }
        }
        return batch == 1 || Boolean.TRUE.equals(r.batched);
    }

    /** An autograd scope on the calling thread with the settled kernels. */
    private Autograd autograd() { return Autograd.open(model, true, kernels.oneDnn()); }

    /** Throws a {@link GradientException} naming the lesion and the copy when a gradient holds NaN or Inf. */
    private void requireFinite(float[] g, Target t, int copy, Box box) {
        for (float v : g) {
            if (!Float.isFinite(v)) throw nonFinite(t, copy, box);
        }
    }

    private GradientException nonFinite(Target t, int copy, Box box) {
        String where = copy < 0 ? "the clean input" : "noisy copy " + (copy + 1) + " of " + o.samples;
        return new GradientException("lesion " + t.id + ", " + where + ": the gradient has NaN or Inf values (input box "
                + Arrays.toString(box.size) + ", " + kernels.key + " kernels, model " + bundle.name() + "); no maps are written. "
                + "The backend self-check passed on this shape, so the network itself gives non-finite gradients here: check the input for extreme values");
    }

    /** How the receptive-field box was checked on the data of the last {@link #explain} call (null: not checked). */
    public String receptiveFieldCheck() { return rfCheck; }

    /** The receptive-field box of one alignment cell (the cell holding voxel p, global coordinates) inside a box. */
    private Box cellBox(int[] p, Box inside) {
        int[] lo = new int[3], size = new int[3];
        for (int d = 0; d < 3; d++) {
            int c = alignDown(p[d], align);
            int a = Math.max(c - alignUp(rf[0][d], align), inside.origin[d]);
            int b = Math.min(c + align + alignUp(rf[1][d], align), inside.origin[d] + inside.size[d]);
            lo[d] = a;
            size[d] = b - a;
        }
        return new Box(lo, size);
    }

    /**
     * Compares, on the clean input, the gradients of the lesion logits of the first target's first and last voxels
     * computed on their cell boxes with those computed on the whole context box. A mismatch (a receptive field the
     * probe or the bundle underestimated) turns the boxes off for this engine, with a warning in {@link #log()}.
     */
    private void checkReceptiveField(float[] x, int[] dims, Target t) {
        Box ctx = contextBox(t, dims);
        int[][] pts = new int[2][];
        for (int q = 0; q < 2; q++) {
            int idx = t.voxels[q == 0 ? 0 : t.voxels.length - 1];
            pts[q] = new int[] {idx / (dims[1] * dims[2]), (idx / dims[2]) % dims[1], idx % dims[2]};
        }
        if (cellBox(pts[0], ctx).equals(ctx) && cellBox(pts[1], ctx).equals(ctx)) {
            rfCheck = "not needed: the receptive-field box of lesion " + t.id + " is its whole context box";
            return;
        }
        ensureSound(ctx, x, dims, 1);
        for (int[] p : pts) ensureSound(cellBox(p, ctx), x, dims, 1);
        int nv = ctx.voxels();
        double worst = 0, scale = 0;
        try (Autograd ag = autograd(); NDManager m = model.manager().newSubManager()) {
            NDArray in = leaf(m, ctx.extract(x, channels, dims), 1, ctx);
            in.setRequiresGradient(true);
            NDArray y = model.forward(in, true);
            for (int q = 0; q < 2; q++) {
                int[] p = pts[q];
                float[] cot = new float[(int) y.getShape().size()];
                cot[lesionChannel * nv + ctx.local(p[0], p[1], p[2])] = 1f;
                if (q > 0) ag.zeroGrad(in);
                ag.backward(y, cotangent(m, cot, y.getShape()), q == 0);
                float[] whole = floats(ag.gradient(in));
                requireFinite(whole, t, -1, ctx);
                Box u = cellBox(p, ctx);
                float[] part;
                try (NDManager mu = model.manager().newSubManager()) {
                    NDArray iu = leaf(mu, u.extract(x, channels, dims), 1, u);
                    iu.setRequiresGradient(true);
                    NDArray yu = model.forward(iu, true);
                    float[] cu = new float[(int) yu.getShape().size()];
                    cu[lesionChannel * u.voxels() + u.local(p[0], p[1], p[2])] = 1f;
                    ag.backward(yu, cotangent(mu, cu, yu.getShape()), false);
                    part = floats(ag.gradient(iu));
                    requireFinite(part, t, -1, u);
                }
                for (int c = 0; c < channels; c++) {
                    for (int a = 0; a < ctx.size[0]; a++)
                        for (int b = 0; b < ctx.size[1]; b++)
                            for (int l = 0; l < ctx.size[2]; l++) {
                                float w = whole[c * nv + (a * ctx.size[1] + b) * ctx.size[2] + l];
                                int ul = u.local(ctx.origin[0] + a, ctx.origin[1] + b, ctx.origin[2] + l);
                                float v = ul < 0 ? 0f : part[c * u.voxels() + ul];
                                worst = Math.max(worst, Math.abs(w - v));
                                scale = Math.max(scale, Math.abs(w));
                            }
                }
            }
        }
        if (worst <= 1e-4 * Math.max(scale, 1e-30)) {
            rfCheck = String.format(Locale.ROOT, "passed: lesion %d, 2 voxels, cell box against context box %s, max |diff| %.2g of max |gradient| %.3g",
                    t.id, Arrays.toString(ctx.size), worst, scale);
        } else {
            rfCheck = String.format(Locale.ROOT, "FAILED: lesion %d, max |diff| %.3g of max |gradient| %.3g; receptive-field boxes turned off",
                    t.id, worst, scale);
            log.add("receptive-field box check failed on lesion " + t.id + " (max |diff| " + String.format(Locale.ROOT, "%.3g", worst)
                    + " of " + String.format(Locale.ROOT, "%.3g", scale) + "): the bound " + Arrays.toString(rf[0]) + "/"
                    + Arrays.toString(rf[1]) + " is too small for this network; SmoothGrad runs on whole context boxes");
            rf = null;
        }
    }

    /** The receptive-field bound {below, above} in use (see {@link #probeReceptiveField}), or null (none). */
    public int[][] receptiveField() {
        return rf == null ? null : new int[][] {rf[0].clone(), rf[1].clone()};
    }

    /**
     * The box SmoothGrad runs on for a target in a context box: the target's receptive-field box (its bounding box
     * widened to alignment cells, plus the receptive-field bound rounded up to the alignment, on each side)
     * intersected with the context box; the context box itself when the bound is unknown.
     *
     * <p>Identical results (not an approximation): the box's origin and size are multiples of the alignment, so the
     * network's grids at every level line up with the context's; every face of the box either is a face of the
     * context box (same zero padding there) or lies beyond every lesion voxel's receptive field, so each activation
     * that y_j (j in the lesion) depends on is computed from the same input values as in the context box, and the
     * gradient of y_j is zero outside the box in both. Checked against the whole-volume computation in the tests.
     */
    public Box smoothGradBox(Target t, Box context) {
        if (rf == null) return context;
        int[] origin = new int[3], size = new int[3];
        for (int d = 0; d < 3; d++) {
            int lo = alignDown(t.bboxMin[d], align) - alignUp(rf[0][d], align);
            int hi = alignUp(t.bboxMax[d] + 1, align) + alignUp(rf[1][d], align);
            lo = Math.max(lo, context.origin[d]);
            hi = Math.min(hi, context.origin[d] + context.size[d]);
            origin[d] = lo;
            size[d] = hi - lo;
        }
        return new Box(origin, size);
    }

    private float[] forwardNoGrad(float[] x, int[] size) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray in = leaf(m, x, 1, new Box(new int[3], size));
            return floats(model.forward(in, false));
        }
    }

    public int alignment() { return align; }

    /**
     * Voxels of zero padding per axis (at the high end) that the {@code full} context adds to a volume of {@code dims}:
     * none when every dimension is a multiple of the alignment, else the least that makes it one.
     */
    public int[] fullPadding(int[] dims) {
        int[] p = new int[3];
        for (int d = 0; d < 3; d++) p[d] = roundUp(dims[d], align) - dims[d];
        return p;
    }

    /** sigma = noise_level x (max - min) of the first channel of {@code x [C, dims]}. */
    public double sigma(float[] x, int[] dims) {
        int n = dims[0] * dims[1] * dims[2];
        double mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            mn = Math.min(mn, x[i]);
            mx = Math.max(mx, x[i]);
        }
        return o.noiseLevel * (mx - mn);
    }

    private static int roundUp(int v, int a) { return (v + a - 1) / a * a; }

    private static int alignDown(int v, int a) { return Math.floorDiv(v, a) * a; }

    private static int alignUp(int v, int a) { return -Math.floorDiv(-v, a) * a; }

    /**
     * The context box of a target. Origins are multiples of the alignment: a strided network is translation
     * equivariant only by multiples of its total stride, so an unaligned crop changes the logits even where the
     * receptive field lies inside it. Within that constraint the box is centred on the lesion, kept inside the volume
     * where it fits, and always holds the lesion's bounding box plus the margin.
     */
    public Box contextBox(Target t, int[] dims) {
        int[] origin = new int[3], size = new int[3];
        for (int d = 0; d < 3; d++) {
            if (o.context == Context.FULL) {
                origin[d] = 0;
                size[d] = roundUp(dims[d], align);
                continue;
            }
            int m = o.context == Context.PATCH ? o.margin : o.localMargin;
            int needLo = t.bboxMin[d] - m, needHi = t.bboxMax[d] + m + 1;       // [needLo, needHi) must be inside
            int s = roundUp(needHi - alignDown(needLo, align), align);
            if (o.context == Context.PATCH) s = Math.max(s, roundUp(bundle.patchSize()[d], align));
            int lo = alignDown((needLo + needHi - s) / 2, align);               // centred
            if (s <= dims[d]) lo = Math.min(lo, alignDown(dims[d] - s, align)); // inside the volume where it fits
            lo = Math.max(lo, 0);
            lo = Math.max(lo, alignUp(needHi - s, align));                     // the lesion and margin always inside
            lo = Math.min(lo, alignDown(needLo, align));
            origin[d] = lo;
            size[d] = s;
        }
        return new Box(origin, size);
    }

    /**
     * Explains the targets on the normalised input {@code x [C, dims]} (C order). Maps go to {@code sink} one lesion
     * at a time, in the order of the first target of each context group.
     */
    public void explain(float[] x, int[] dims, List<Target> targets, Sink sink, ProgressListener progress) throws IOException {
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        if (x.length != channels * dims[0] * dims[1] * dims[2]) {
            throw new IllegalArgumentException("input has " + x.length + " values, expected " + channels + " x " + Arrays.toString(dims));
        }
        double sigma = sigma(x, dims);
        if (rf != null && o.checkReceptiveField && !targets.isEmpty()
                && (o.methods.contains(Method.SMOOTHGRAD_MAX) || o.methods.contains(Method.SMOOTHGRAD_MEAN))) {
            checkReceptiveField(x, dims, targets.get(0));
        }
        boolean sg = o.methods.contains(Method.SMOOTHGRAD_MAX) || o.methods.contains(Method.SMOOTHGRAD_MEAN);
        boolean gc = o.methods.contains(Method.GRADCAMPP);
        // groups of targets that share a context box: they share the Grad-CAM++ forward pass, and SmoothGrad plans
        // the per-cell tasks of the whole group at once (lesions whose cells coincide share those forward passes)
        Map<Box, List<Target>> groups = new LinkedHashMap<>();
        for (Target t : targets) groups.computeIfAbsent(contextBox(t, dims), b -> new ArrayList<>()).add(t);
        long total = (long) targets.size() * ((sg ? o.samples : 0) + (gc ? 1 : 0));
        long[] done = {0};
        {
            for (Map.Entry<Box, List<Target>> g : groups.entrySet()) {
                Box box = g.getKey();
                Box region = box.clip(dims);
                List<Target> all = g.getValue();
                int s = 0;
                while (s < all.size()) {
                    // as many targets as the accumulator memory budget allows (at least one)
                    int e = s;
                    long bytes = 0;
                    List<Box> sgBoxes = new ArrayList<>();
                    while (e < all.size()) {
                        Box sb = sg ? smoothGradBox(all.get(e), box) : box;
                        long more = sg ? accumulatorBytes(sb) : 0;
                        if (e > s && bytes + more > o.memoryBudgetBytes) break;
                        bytes += more;
                        sgBoxes.add(sb);
                        e++;
                    }
                    List<Target> group = all.subList(s, e);
                    s = e;
                    List<LesionMaps> out = new ArrayList<>();
                    for (int t = 0; t < group.size(); t++) {
                        out.add(new LesionMaps(group.get(t).id, group.get(t).voxels.length, box, region, sgBoxes.get(t).clip(dims)));
                    }
                    double[] secs = new double[group.size()];
                    if (gc) {
                        long t0 = System.nanoTime();
                        int gb = Math.min(batchSize(box), group.size());
                        ensureSound(box, x, dims, 1);
                        if (gb > 1 && !ensureSound(box, x, dims, gb)) gb = 1;
                        int rest = group.size() % Math.max(gb, 1);
                        if (gb > 1 && rest > 1 && !ensureSound(box, x, dims, rest)) gb = 1;
                        instanceGradCam(box, region, box.extract(x, channels, dims), group, out, dims, gb);
                        double each = (System.nanoTime() - t0) / 1e9 / group.size();
                        for (int t = 0; t < secs.length; t++) secs[t] += each;
                        done[0] += group.size();
                        listener.progress("explain", done[0], total);
                    }
                    if (sg) {
                        long t0 = System.nanoTime();
                        smoothGrad(box, sgBoxes, x, sigma, group, out, dims, listener, done, total);
                        // shared work split in proportion to each lesion's VJPs per copy
                        double sec = (System.nanoTime() - t0) / 1e9, vjps = 0;
                        for (Target t : group) vjps += t.voxels.length + 1;
                        for (int t = 0; t < secs.length; t++) secs[t] += sec * (group.get(t).voxels.length + 1) / vjps;
                    }
                    for (int t = 0; t < out.size(); t++) {
                        out.get(t).seconds = secs[t];
                        sink.accept(out.get(t));
                    }
                }
            }
        }
    }

    private long accumulatorBytes(Box box) {
        int sgMethods = (o.methods.contains(Method.SMOOTHGRAD_MAX) ? 1 : 0) + (o.methods.contains(Method.SMOOTHGRAD_MEAN) ? 1 : 0);
        return (long) box.voxels() * channels * sgMethods * (o.uncertainty ? 20 : 12) + 4L * box.voxels() * (1 + channels * sgMethods);
    }

    /**
     * Batch size for a context box: the option; else 1 on the CPU with a kept graph (each extra batch element costs
     * a full forward and backward pass of the crop, and one forward pass already serves every backward pass of a
     * copy: measured faster in every context on the demo, see docs/saliency.md); else (GPU, or no kept graph) from
     * a rough activation-memory estimate, 1 to 8.
     */
    public int batchSize(Box box) {
        if (o.batchSize > 0) return o.batchSize;
        if (o.keepGraph && !model.device().isGpu()) return 1;
        long perElement = (long) box.voxels() * 512L;
        return (int) Math.max(1, Math.min(8, o.memoryBudgetBytes * 2 / perElement));
    }

    private NDArray leaf(NDManager m, float[] crop, int batch, Box box) {
        int n = crop.length;
        float[] rep = new float[n * batch];
        for (int b = 0; b < batch; b++) System.arraycopy(crop, 0, rep, b * n, n);
        NDArray a = m.create(rep, new Shape(batch, channels, box.size[0], box.size[1], box.size[2]));
        if (o.float64) a = a.toType(DataType.FLOAT64, false);
        return a;
    }

    private NDArray cotangent(NDManager m, float[] cot, Shape shape) {
        NDArray a = m.create(cot, shape);
        if (o.float64) a = a.toType(DataType.FLOAT64, false);
        return a;
    }

    private static float[] floats(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    // ---------------------------------------------------------------- SmoothGrad

    /**
     * SmoothGrad for a group of targets sharing a context box {@code ctx}; target t's maps live on its SmoothGrad box
     * {@code sgBoxes[t]}. Work items: {target, voxel index in the target's box} for max aggregation, {target, -1}
     * for the mean.
     */
    private void smoothGrad(Box ctx, List<Box> sgBoxes, float[] x, double sigma, List<Target> group, List<LesionMaps> out,
            int[] dims, ProgressListener listener, long[] done, long total) {
        boolean doMax = o.methods.contains(Method.SMOOTHGRAD_MAX), doMean = o.methods.contains(Method.SMOOTHGRAD_MEAN);
        int g = group.size();
        SmoothGradAccumulator[][] accMax = new SmoothGradAccumulator[g][], accMean = new SmoothGradAccumulator[g][];
        List<int[]> items = new ArrayList<>();
        Box largestBox = sgBoxes.get(0);
        for (int t = 0; t < g; t++) {
            Target tg = group.get(t);
            Box bt = sgBoxes.get(t);
            if (bt.voxels() > largestBox.voxels()) largestBox = bt;
            for (int idx : tg.voxels) {
                int[] p = coords(idx, dims);
                if (bt.local(p[0], p[1], p[2]) < 0) throw new IllegalStateException("instance " + tg.id + " is not inside its box " + bt);
            }
            if (doMax) {
                accMax[t] = new SmoothGradAccumulator[channels];
                for (int idx : tg.voxels) {
                    int[] p = coords(idx, dims);
                    items.add(new int[] {t, bt.local(p[0], p[1], p[2])});
                }
            }
            if (doMean) {
                accMean[t] = new SmoothGradAccumulator[channels];
                items.add(new int[] {t, -1});
            }
        }
        int batch = Math.min(batchSize(largestBox), items.size());
        if (batch > 1 && !batchesSound(x, dims, items, batch, sgBoxes)) batch = 1;
        List<Task> tasks = batch == 1 && o.keepGraph ? planTasks(ctx, sgBoxes, items) : null;
        int w = tasks == null ? 1 : workers(largest(tasks), items.size());
        if (tasks != null) {
            tasks = balance(tasks, w);
            for (Task t : tasks) ensureSound(t.unit, x, dims, 1);
        }
        while (true) {
            try {
                for (int t = 0; t < g; t++) {
                    int nv = sgBoxes.get(t).voxels();
                    for (int c = 0; c < channels; c++) {
                        if (doMax) accMax[t][c] = new SmoothGradAccumulator(nv, o.uncertainty);
                        if (doMean) accMean[t][c] = new SmoothGradAccumulator(nv, o.uncertainty);
                    }
                }
                long done0 = done[0];
                for (int n = 0; n < o.samples; n++) {
                    float[][][] copy = tasks != null ? runTasks(x, dims, n, sigma, tasks, group, sgBoxes, w, listener)
                            : runCopyBatched(x, dims, n, sigma, items, batch, group, sgBoxes, listener);
                    for (int t = 0; t < g; t++) {
                        int nv = sgBoxes.get(t).voxels();
                        for (int c = 0; c < channels; c++) {
                            if (doMax) accMax[t][c].addCopy(copy[0][t], c * nv);
                            if (doMean) accMean[t][c].addCopy(copy[1][t], c * nv);
                        }
                    }
                    done[0] = done0 + (long) (n + 1) * g;
                    listener.progress("explain", done[0], total);
                }
                break;
            } catch (RuntimeException ex) {
                // out of memory: halve the batch and redo this group from scratch (accumulators are rebuilt)
                if (!TorchModel.isOutOfMemory(ex) || batch == 1) throw ex;
                if (model.device().isGpu()) Autograd.emptyGpuCache();
                log.add("out of memory with a batch of " + batch + " on a box of " + Arrays.toString(largestBox.size)
                        + ": retrying with " + batch / 2);
                batch /= 2;
                if (batch > 1 && !batchesSound(x, dims, items, batch, sgBoxes)) batch = 1;
            }
        }
        for (int t = 0; t < g; t++) {
            LesionMaps m = out.get(t);
            Box bt = sgBoxes.get(t);
            if (doMax) put(m, Method.SMOOTHGRAD_MAX, accMax[t], bt, m.smoothGradRegion);
            if (doMean) put(m, Method.SMOOTHGRAD_MEAN, accMean[t], bt, m.smoothGradRegion);
        }
    }

    /**
     * The backend self-check of every batch shape the batched path uses for these items (full batches and, without
     * a kept graph, the smaller last one, per SmoothGrad box); also checks batch 1 on each box, the fallback.
     */
    private boolean batchesSound(float[] x, int[] dims, List<int[]> items, int batch, List<Box> sgBoxes) {
        Map<Box, Integer> counts = new LinkedHashMap<>();
        for (int[] it : items) counts.merge(sgBoxes.get(it[0]), 1, Integer::sum);
        boolean ok = true;
        for (Map.Entry<Box, Integer> e : counts.entrySet()) {
            ensureSound(e.getKey(), x, dims, 1);
            int b = Math.min(batch, e.getValue());
            if (b > 1 && !ensureSound(e.getKey(), x, dims, b)) ok = false;
            int rest = o.keepGraph ? 0 : e.getValue() % b;
            if (ok && rest > 1 && !ensureSound(e.getKey(), x, dims, rest)) ok = false;
        }
        return ok;
    }

    private static int[] coords(int idx, int[] dims) {
        return new int[] {idx / (dims[1] * dims[2]), (idx / dims[2]) % dims[1], idx % dims[2]};
    }

    /** The noisy copy n of the input on a box: x + sigma e_n ({@code [C, box]}, zero outside the volume). */
    private float[] noisy(float[] x, int[] dims, int n, double sigma, Box box) {
        float[] clean = box.extract(x, channels, dims);
        if (sigma <= 0) return clean;
        float[] e = noise.standardNormal(n, box, channels, dims);
        for (int i = 0; i < clean.length; i++) clean[i] = (float) (clean[i] + sigma * e[i]);
        return clean;
    }

    private void put(LesionMaps m, Method method, SmoothGradAccumulator[] acc, Box box, Box region) {
        float[][] maps = new float[channels][], se = o.uncertainty ? new float[channels][] : null;
        for (int c = 0; c < channels; c++) {
            maps[c] = box.sub(acc[c].mean(), 0, region);
            if (se != null) se[c] = box.sub(acc[c].standardError(), 0, region);
        }
        m.maps.put(method, maps);
        if (se != null) m.standardErrors.put(method, se);
    }

    /**
     * A unit of work for one noisy copy: VJPs on one box (one forward pass). {@code items}: {target, voxel index
     * in {@code unit}} for max aggregation, {target, -1} for the mean (on the target's whole SmoothGrad box).
     */
    private static final class Task {
        final Box unit;
        final List<int[]> items;

        Task(Box unit, List<int[]> items) {
            this.unit = unit;
            this.items = items;
        }

        /** Rough cost: a forward pass (about 1.5 backward passes) plus one backward pass per item. */
        double cost() { return (double) unit.voxels() * (1.5 + items.size()); }
    }

    /**
     * The work of one copy for a group: with a receptive-field bound, the max-aggregation VJPs are grouped by the
     * alignment cell of their voxel, each cell on its own receptive-field box inside the context box (exact for the
     * same reason as {@link #smoothGradBox}; smaller than the lesion's box when the lesion spans several cells; one
     * forward pass for all the lesions of the group with voxels in that cell). Without a bound, and for the mean
     * aggregation, a target's VJPs run on its whole SmoothGrad box. Items are in the order given.
     */
    private List<Task> planTasks(Box ctx, List<Box> sgBoxes, List<int[]> items) {
        Map<Box, List<int[]>> units = new LinkedHashMap<>();
        for (int[] it : items) {
            Box bt = sgBoxes.get(it[0]);
            if (it[1] < 0 || rf == null) {
                units.computeIfAbsent(bt, u -> new ArrayList<>()).add(it);
                continue;
            }
            int v = it[1];
            int[] p = {bt.origin[0] + v / (bt.size[1] * bt.size[2]), bt.origin[1] + (v / bt.size[2]) % bt.size[1],
                    bt.origin[2] + v % bt.size[2]};
            Box unit = cellBox(p, ctx);
            units.computeIfAbsent(unit, u -> new ArrayList<>()).add(new int[] {it[0], unit.local(p[0], p[1], p[2])});
        }
        List<Task> tasks = new ArrayList<>();
        for (Map.Entry<Box, List<int[]>> u : units.entrySet()) tasks.add(new Task(u.getKey(), u.getValue()));
        return tasks;
    }

    private static Box largest(List<Task> tasks) {
        Box b = tasks.get(0).unit;
        for (Task t : tasks) if (t.unit.voxels() > b.voxels()) b = t.unit;
        return b;
    }

    /** Splits the costliest tasks (in item order) until there are at least {@code workers} tasks where possible. */
    private static List<Task> balance(List<Task> tasks, int workers) {
        List<Task> out = new ArrayList<>(tasks);
        while (out.size() < workers) {
            int best = -1;
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i).items.size() >= 2 && (best < 0 || out.get(i).cost() > out.get(best).cost())) best = i;
            }
            if (best < 0) break;
            Task t = out.get(best);
            int h = t.items.size() / 2;
            out.set(best, new Task(t.unit, t.items.subList(0, h)));
            out.add(best + 1, new Task(t.unit, t.items.subList(h, t.items.size())));
        }
        return out;
    }

    /**
     * All VJPs of noisy copy n for a group. Returns {max, mean}: per target, the copy's max-aggregation map M_n
     * (signed value of largest magnitude over the target's voxel gradients, the first in task order winning ties) and
     * its mean-aggregation gradient, each {@code [C, sgBox]} (null where the method is off). With several workers the
     * tasks are spread by cost (longest first); each worker builds its tasks' noisy inputs and runs their forward
     * passes with one PyTorch thread; the results are folded here in task order (the same maps whatever the number
     * of workers).
     */
    private float[][][] runTasks(float[] x, int[] dims, int n, double sigma, List<Task> tasks, List<Target> group,
            List<Box> sgBoxes, int w, ProgressListener listener) {
        int g = group.size();
        float[][][][] results = new float[tasks.size()][][][];
        if (w <= 1) {
            for (int i = 0; i < tasks.size(); i++) {
                Task task = tasks.get(i);
                results[i] = runChunk(task.unit, noisy(x, dims, n, sigma, task.unit), task.items, group, dims, n, listener);
            }
        } else {
            // longest processing time first, onto the least loaded worker
            Integer[] order = new Integer[tasks.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (p, q) -> Double.compare(tasks.get(q).cost(), tasks.get(p).cost()));
            List<List<Integer>> plan = new ArrayList<>();
            double[] load = new double[w];
            for (int i = 0; i < w; i++) plan.add(new ArrayList<>());
            for (int i : order) {
                int least = 0;
                for (int q = 1; q < w; q++) if (load[q] < load[least]) least = q;
                plan.get(least).add(i);
                load[least] += tasks.get(i).cost();
            }
            java.util.concurrent.atomic.AtomicBoolean abort = new java.util.concurrent.atomic.AtomicBoolean();
            ProgressListener guarded = new ProgressListener() {
                @Override public void progress(String stage, long done, long total) { }
                @Override public boolean isCancelled() { return abort.get() || listener.isCancelled(); }
            };
            int mainThreads = Autograd.threads();
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (List<Integer> mine : plan) {
                if (mine.isEmpty()) continue;
                futures.add(workerPool().submit(() -> {
                    Autograd.setThreads(1);
                    for (int i : mine) {
                        Task task = tasks.get(i);
                        results[i] = runChunk(task.unit, noisy(x, dims, n, sigma, task.unit), task.items, group, dims, n, guarded);
                    }
                    return null;
                }));
            }
            RuntimeException failure = null;
            try {
                for (java.util.concurrent.Future<?> f : futures) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException ex) {
                        abort.set(true);
                        Throwable c = ex.getCause();
                        if (failure == null) failure = c instanceof RuntimeException ? (RuntimeException) c : new IllegalStateException(c);
                    } catch (InterruptedException ex) {
                        abort.set(true);
                        Thread.currentThread().interrupt();
                        if (failure == null) failure = new java.util.concurrent.CancellationException("interrupted");
                    }
                }
            } finally {
                // the workers lowered PyTorch's default thread count for threads started later; restore it
                Autograd.setThreads(mainThreads);
            }
            if (failure != null) throw failure;
            listener.checkCancelled();
        }
        float[][][] out = new float[2][g][];
        for (int i = 0; i < tasks.size(); i++) {
            Box u = tasks.get(i).unit;
            for (int t = 0; t < g; t++) {
                Box bt = sgBoxes.get(t);
                float[] m = results[i][0][t];
                if (m != null) {
                    if (out[0][t] == null) out[0][t] = new float[channels * bt.voxels()];
                    foldInto(out[0][t], bt, m, u);
                }
                if (results[i][1][t] != null) out[1][t] = results[i][1][t];
            }
        }
        return out;
    }

    /** Folds a crop {@code [C, unit]} into a crop {@code [C, box]} (unit inside box) by signed abs-max, box winning ties. */
    private void foldInto(float[] acc, Box box, float[] crop, Box unit) {
        int nv = box.voxels(), uv = unit.voxels();
        for (int c = 0; c < channels; c++) {
            for (int a = 0; a < unit.size[0]; a++) {
                for (int b = 0; b < unit.size[1]; b++) {
                    int dst = c * nv + box.local(unit.origin[0] + a, unit.origin[1] + b, unit.origin[2]);
                    int src = c * uv + (a * unit.size[1] + b) * unit.size[2];
                    for (int k = 0; k < unit.size[2]; k++) {
                        float v = crop[src + k];
                        if (Math.abs(v) > Math.abs(acc[dst + k])) acc[dst + k] = v;
                    }
                }
            }
        }
    }

    /** Signed abs-max of two maps (a wins ties; null is the identity). */
    private static float[] foldMax(float[] a, float[] b) {
        if (a == null) return b;
        if (b == null) return a;
        for (int i = 0; i < a.length; i++) if (Math.abs(b[i]) > Math.abs(a[i])) a[i] = b[i];
        return a;
    }

    private static java.util.concurrent.ExecutorService pool;

    private static synchronized java.util.concurrent.ExecutorService workerPool() {
        if (pool == null) {
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            pool = java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "ies-saliency-worker-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /** Workers for one copy's VJPs: the option; else the PyTorch thread count on the CPU for small boxes; else 1. */
    public int workers(Box box, int items) {
        if (items < 2) return 1;
        if (o.workers > 0) return Math.min(o.workers, items);
        if (model.device().isGpu() || box.voxels() > WORKER_CROP_VOXELS) return 1;
        return Math.max(1, Math.min(Autograd.threads(), items));
    }

    /**
     * One forward pass on {@code box} with the graph kept, then one backward pass per item (a fresh one-hot
     * cotangent per VJP, or the 1/|L| weights of the mean over the target's voxels), the max aggregation folded on
     * the device: only the folded maps leave it. Returns {max, mean} per target of the group, on {@code box}.
     */
    private float[][][] runChunk(Box box, float[] xn, List<int[]> items, List<Target> group, int[] dims, int copy,
            ProgressListener listener) {
        int g = group.size();
        float[][][] out = new float[2][g][];
        if (items.isEmpty()) return out;
        int nv = box.voxels();
        try (Autograd ag = autograd(); NDManager scope = model.manager().newSubManager()) {
            NDArray in = leaf(scope, xn, 1, box);
            in.setRequiresGradient(true);
            NDArray y = model.forward(in, true);
            float[] cot = new float[(int) y.getShape().size()];
            NDArray[] runMax = new NDArray[g];
            // per target, the sum of all its gradients on the device: NaN or Inf in any of them shows there
            NDArray[] sums = new NDArray[g];
            for (int s = 0; s < items.size(); s++) {
                listener.checkCancelled();
                int[] it = items.get(s);
                boolean more = s + 1 < items.size();
                if (s > 0) ag.zeroGrad(in);
                if (it[1] >= 0) {
                    // a fresh cotangent array per VJP, freed with its sub-scope (NDArray.set on a kept native array
                    // keeps a full-size temporary per call alive until the copy ends)
                    cot[lesionChannel * nv + it[1]] = 1f;
                    try (NDManager m = scope.newSubManager()) {
                        ag.backward(y, cotangent(m, cot, y.getShape()), more);
                    }
                    cot[lesionChannel * nv + it[1]] = 0f;
                    NDArray gr = ag.gradient(in);
                    NDArray sum = gr.sum();
                    if (sums[it[0]] == null) {
                        sums[it[0]] = sum;
                    } else {
                        NDArray next = sums[it[0]].add(sum);
                        sums[it[0]].close();
                        sum.close();
                        sums[it[0]] = next;
                    }
                    NDArray next;
                    if (runMax[it[0]] == null) {
                        next = gr.duplicate();
                    } else {
                        NDArray ga = gr.abs(), ma = runMax[it[0]].abs(), mask = ga.gt(ma);
                        next = ai.djl.ndarray.NDArrays.where(mask, gr, runMax[it[0]]);
                        ga.close();
                        ma.close();
                        mask.close();
                        runMax[it[0]].close();
                    }
                    gr.close();
                    runMax[it[0]] = next;
                } else {
                    float[] mean = new float[cot.length];
                    Target t = group.get(it[0]);
                    float wgt = 1f / t.voxels.length;
                    for (int idx : t.voxels) {
                        int[] p = coords(idx, dims);
                        mean[lesionChannel * nv + box.local(p[0], p[1], p[2])] = wgt;
                    }
                    try (NDManager m = scope.newSubManager()) {
                        ag.backward(y, cotangent(m, mean, y.getShape()), more);
                    }
                    NDArray gr = ag.gradient(in);
                    out[1][it[0]] = floats(gr);
                    gr.close();
                    requireFinite(out[1][it[0]], t, copy, box);
                }
            }
            for (int t = 0; t < g; t++) {
                if (sums[t] != null && !Double.isFinite(sums[t].toType(DataType.FLOAT64, false).getDouble())) {
                    throw nonFinite(group.get(t), copy, box);
                }
                if (runMax[t] != null) out[0][t] = floats(runMax[t]);
            }
        }
        return out;
    }

    /**
     * The batched path (GPU, or without a kept graph), per distinct SmoothGrad box of the group: batches of
     * replicated inputs, one one-hot (or mean) cotangent per element, the max aggregation folded here.
     */
    private float[][][] runCopyBatched(float[] x, int[] dims, int n, double sigma, List<int[]> items, int batch,
            List<Target> group, List<Box> sgBoxes, ProgressListener listener) {
        int g = group.size();
        float[][][] out = new float[2][g][];
        Map<Box, List<int[]>> byBox = new LinkedHashMap<>();
        for (int[] it : items) byBox.computeIfAbsent(sgBoxes.get(it[0]), b -> new ArrayList<>()).add(it);
        int k = -1;
        for (Map.Entry<Box, List<int[]>> e : byBox.entrySet()) {
            Box box = e.getKey();
            List<int[]> its = e.getValue();
            int nv = box.voxels();
            if (k < 0) k = outputChannels(box);
            float[] xn = noisy(x, dims, n, sigma, box);
            NDManager copyScope = o.keepGraph ? model.manager().newSubManager() : null;
            try (Autograd ag = autograd()) {
                NDArray in = null, y = null;
                for (int s = 0; s < its.size(); s += batch) {
                    listener.checkCancelled();
                    int bsz = Math.min(batch, its.size() - s);
                    try (NDManager m = model.manager().newSubManager()) {
                        if (!o.keepGraph || in == null) {
                            NDManager fm = o.keepGraph ? copyScope : m;
                            in = leaf(fm, xn, o.keepGraph ? batch : bsz, box);
                            in.setRequiresGradient(true);
                            y = model.forward(in, true);
                        } else {
                            ag.zeroGrad(in);
                        }
                        int elems = (int) y.getShape().get(0);
                        float[] cot = new float[elems * k * nv];
                        for (int q = 0; q < bsz; q++) {
                            int[] it = its.get(s + q);
                            int base = (q * k + lesionChannel) * nv;
                            if (it[1] >= 0) {
                                cot[base + it[1]] = 1f;
                            } else {
                                Target t = group.get(it[0]);
                                float w = 1f / t.voxels.length;
                                for (int idx : t.voxels) {
                                    int[] p = coords(idx, dims);
                                    cot[base + box.local(p[0], p[1], p[2])] = w;
                                }
                            }
                        }
                        NDArray ct = cotangent(m, cot, y.getShape());
                        boolean more = o.keepGraph && s + batch < its.size();
                        ag.backward(y, ct, more);
                        NDArray gr = ag.gradient(in);
                        float[] grad = floats(gr);
                        gr.close();
                        for (int q = 0; q < bsz; q++) {
                            int[] it = its.get(s + q);
                            float[] one = Arrays.copyOfRange(grad, q * channels * nv, (q + 1) * channels * nv);
                            requireFinite(one, group.get(it[0]), n, box);
                            if (it[1] >= 0) out[0][it[0]] = foldMax(out[0][it[0]], one);
                            else out[1][it[0]] = one;
                        }
                        if (!o.keepGraph) {
                            in = null;
                            y = null;
                        }
                    }
                }
            } finally {
                if (copyScope != null) copyScope.close();
            }
        }
        return out;
    }

    /** K, from a no-grad forward pass on a small input (cached). */
    private int outputChannels(Box box) {
        if (outputChannels < 0) {
            try (Autograd ag = Autograd.disabled(model); NDManager m = model.manager().newSubManager()) {
                NDArray z = leaf(m, new float[channels * box.voxels()], 1, box);
                outputChannels = (int) model.forward(z, false).getShape().get(1);
            }
        }
        return outputChannels;
    }

    // ---------------------------------------------------------------- Grad-CAM++

    /** Feature-layer shape {@code [K, a, b, c]} for an input box size (one no-grad probe per size). */
    private long[] featureShape(Box box) {
        List<Integer> key = List.of(box.size[0], box.size[1], box.size[2]);
        long[] s = featureShapes.get(key);
        if (s == null) {
            try (Autograd ag = Autograd.disabled(model); NDManager m = model.manager().newSubManager()) {
                NDArray z = leaf(m, new float[channels * box.voxels()], 1, box);
                NDArray d = m.zeros(new Shape(1), o.float64 ? DataType.FLOAT64 : DataType.FLOAT32);
                NDList r = model.forwardFeatures(z, d, false);
                long[] f = r.get(1).getShape().getShape();
                s = Arrays.copyOfRange(f, 1, f.length);
                if (outputChannels < 0) outputChannels = (int) r.get(0).getShape().get(1);
            }
            if (s.length != 4) throw new IllegalStateException("feature layer output has shape " + Arrays.toString(s) + ", expected [K, a, b, c]");
            featureShapes.put(key, s);
        }
        return s;
    }

    /**
     * Instance Grad-CAM++ for a group of targets sharing a context box. On the CPU with a kept graph: one forward
     * pass, then one backward pass per target (gradients of the {@code delta} leaf zeroed in between); otherwise
     * batches of replicated inputs. Each map is stored on the bounding box of its nonzero voxels.
     */
    private void instanceGradCam(Box box, Box region, float[] clean, List<Target> group, List<LesionMaps> out, int[] dims, int batch) {
        long[] fs = featureShape(box);
        int kf = (int) fs[0];
        int[] fdims = {(int) fs[1], (int) fs[2], (int) fs[3]};
        int fv = fdims[0] * fdims[1] * fdims[2];
        int nv = box.voxels();
        int k = outputChannels(box);
        DataType dt = o.float64 ? DataType.FLOAT64 : DataType.FLOAT32;
        if (batch == 1 && o.keepGraph) {
            try (Autograd ag = autograd(); NDManager m = model.manager().newSubManager()) {
                NDArray in = leaf(m, clean, 1, box);
                NDArray delta = m.zeros(new Shape(1, kf, fdims[0], fdims[1], fdims[2]), dt);
                delta.setRequiresGradient(true);
                NDList r = model.forwardFeatures(in, delta, true);
                NDArray y = r.get(0);
                float[] a = floats(r.get(1));
                for (int s = 0; s < group.size(); s++) {
                    if (s > 0) ag.zeroGrad(delta);
                    float[] cot = new float[k * nv];
                    for (int idx : group.get(s).voxels) {
                        int[] p = coords(idx, dims);
                        cot[lesionChannel * nv + box.local(p[0], p[1], p[2])] = 1f;
                    }
                    try (NDManager mc = m.newSubManager()) {
                        ag.backward(y, cotangent(mc, cot, y.getShape()), s + 1 < group.size());
                    }
                    NDArray gr = ag.gradient(delta);
                    float[] g = floats(gr);
                    gr.close();
                    requireFinite(g, group.get(s), -1, box);
                    storeGradCam(out.get(s), GradCamPlusPlus.instanceMap(a, g, kf, fv), fdims, box, region);
                }
            }
            return;
        }
        for (int s = 0; s < group.size(); s += batch) {
            int bsz = Math.min(batch, group.size() - s);
            try (Autograd ag = autograd(); NDManager m = model.manager().newSubManager()) {
                NDArray in = leaf(m, clean, bsz, box);
                NDArray delta = m.zeros(new Shape(bsz, kf, fdims[0], fdims[1], fdims[2]), dt);
                delta.setRequiresGradient(true);
                NDList r = model.forwardFeatures(in, delta, true);
                NDArray y = r.get(0);
                float[] cot = new float[bsz * k * nv];
                for (int e = 0; e < bsz; e++) {
                    int base = (e * k + lesionChannel) * nv;
                    for (int idx : group.get(s + e).voxels) {
                        int[] p = coords(idx, dims);
                        cot[base + box.local(p[0], p[1], p[2])] = 1f;
                    }
                }
                ag.backward(y, cotangent(m, cot, y.getShape()), false);
                float[] a = floats(r.get(1));
                float[] g = floats(ag.gradient(delta));
                for (int e = 0; e < bsz; e++) {
                    float[] ae = Arrays.copyOfRange(a, e * kf * fv, (e + 1) * kf * fv);
                    float[] ge = Arrays.copyOfRange(g, e * kf * fv, (e + 1) * kf * fv);
                    requireFinite(ge, group.get(s + e), -1, box);
                    storeGradCam(out.get(s + e), GradCamPlusPlus.instanceMap(ae, ge, kf, fv), fdims, box, region);
                }
            }
        }
    }

    /** Upsamples a layer map to the box and stores it on the bounding box of its nonzero voxels inside region. */
    private static void storeGradCam(LesionMaps m, float[] map, int[] fdims, Box box, Box region) {
        float[] up = Arrays.equals(fdims, box.size) ? map : Resample.trilinear(map, fdims, box.size);
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, hi = {-1, -1, -1};
        for (int a = 0; a < region.size[0]; a++)
            for (int b = 0; b < region.size[1]; b++)
                for (int c = 0; c < region.size[2]; c++) {
                    int[] p = {region.origin[0] + a, region.origin[1] + b, region.origin[2] + c};
                    if (up[box.local(p[0], p[1], p[2])] == 0f) continue;
                    for (int d = 0; d < 3; d++) {
                        lo[d] = Math.min(lo[d], p[d]);
                        hi[d] = Math.max(hi[d], p[d]);
                    }
                }
        Box crop = hi[0] < 0 ? new Box(region.origin, new int[] {1, 1, 1})
                : new Box(lo, new int[] {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1});
        m.gradCamRegion = crop;
        m.maps.put(Method.GRADCAMPP, new float[][] {box.sub(up, 0, crop)});
    }

    /**
     * Class-level Grad-CAM++ (eqs. 4-7) over the whole volume: Y = sum of the lesion-class logits of the voxels whose
     * probability (the bundle's activation, whole-volume forward pass) exceeds the threshold. Returns a C-order map
     * on {@code dims}, all zero when no voxel exceeds the threshold.
     */
    public float[] classGradCam(float[] x, int[] dims) {
        int[] size = new int[3];
        for (int d = 0; d < 3; d++) size[d] = roundUp(dims[d], align);
        Box box = new Box(new int[3], size);
        Box region = box.clip(dims);
        long[] fs = featureShape(box);
        int kf = (int) fs[0];
        int[] fdims = {(int) fs[1], (int) fs[2], (int) fs[3]};
        int fv = fdims[0] * fdims[1] * fdims[2];
        int nv = box.voxels();
        double thr = o.threshold != null ? o.threshold : bundle.threshold();
        ensureSound(box, x, dims, 1);
        try (Autograd ag = autograd(); NDManager m = model.manager().newSubManager()) {
            NDArray in = leaf(m, box.extract(x, channels, dims), 1, box);
            NDArray delta = m.zeros(new Shape(1, kf, fdims[0], fdims[1], fdims[2]), o.float64 ? DataType.FLOAT64 : DataType.FLOAT32);
            delta.setRequiresGradient(true);
            NDList r = model.forwardFeatures(in, delta, true);
            NDArray y = r.get(0);
            int k = (int) y.getShape().get(1);
            float[] logits = floats(y);
            float[] prob = bundle.activation().lesionProbability(logits, k, lesionChannel);
            float[] cot = new float[k * nv];
            int above = 0;
            for (int a = 0; a < region.size[0]; a++) {
                for (int b = 0; b < region.size[1]; b++) {
                    for (int c = 0; c < region.size[2]; c++) {
                        int v = (a * size[1] + b) * size[2] + c;
                        if (prob[v] > thr) {
                            cot[lesionChannel * nv + v] = 1f;
                            above++;
                        }
                    }
                }
            }
            if (above == 0) return new float[dims[0] * dims[1] * dims[2]];
            ag.backward(y, cotangent(m, cot, y.getShape()), false);
            float[] g = floats(ag.gradient(delta));
            for (float v : g) {
                if (!Float.isFinite(v)) {
                    throw new GradientException("class Grad-CAM++: the gradient has NaN or Inf values (input " + Arrays.toString(size)
                            + ", " + kernels.key + " kernels, model " + bundle.name() + "); no map is written");
                }
            }
            float[] map = GradCamPlusPlus.classMap(floats(r.get(1)), g, kf, fv);
            float[] up = Arrays.equals(fdims, size) ? map : Resample.trilinear(map, fdims, size);
            return box.sub(up, 0, region);
        }
    }

    /** A one-line description of the parameters (for logs). */
    public String describe() {
        return String.format(Locale.ROOT, "methods %s, N %d, noise %.3g, seed %d, context %s, alignment %d, keepGraph %b",
                o.methods, o.samples, o.noiseLevel, o.seed, o.context.key, align, o.keepGraph);
    }
}
