package io.github.ies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A self-check of the gradient backend on the run's own model, device and input shape, before any map is computed
 * from it. libtorch's CPU kernels are not equally sound on every processor (docs/saliency.md, "Backend
 * self-check"), so this check finds out, on the machine at hand, which way of computing input gradients is right.
 *
 * <p>On an input crop {@code x [C, size]} and a cotangent {@code c} (seeded weights 0.5 to 1.5 on the lesion channel
 * of the central voxels, at most 4 per axis), it computes the vector-Jacobian product g = J(x)^T c with each
 * candidate kernel set (the device's default kernels; on the CPU also libtorch's reference kernels, oneDNN off, when
 * {@link OneDnn#available()}) and tests:
 * <ol>
 * <li><b>finite</b>: no NaN or Inf in g;</li>
 * <li><b>kernels</b>: g with oneDNN equals g with the reference kernels within {@link #KERNEL_TOLERANCE} of max |g|
 * (two implementations agreeing are both verified by the tests below; disagreeing, each is tested on its own);</li>
 * <li><b>adjoint</b>: for a seeded random direction v (entries +-1 inside the bounding box of g's support, 0
 * outside, where x does not move f at first order), g . v equals c . (J v), with J v from a second
 * differentiation of the recorded backward pass (libtorch differentiates a convolution's backward with forward
 * convolutions), within {@link #ADJOINT_TOLERANCE} of |g|_2; a backward kernel that disagrees with the forward
 * kernels fails it. Skipped, with a note, for a network whose operations lack a second derivative;</li>
 * <li><b>finite differences</b>: along seeded random directions v (entries +-1), the central difference (f(x + hv) - f(x - hv)) / 2h of f = c . y (forward passes
 * only, summed in double; h = {@link #FD_STEP} times the RMS of x where v is nonzero) equals g . v within {@link #FD_TOLERANCE} of
 * |g|_2 plus {@link #FD_NOISE_FACTOR} times the measured float32 and activation-kink noise |f(x + hv) + f(x - hv)
 * - 2 f(x)| / 2h; a direction that fails is tried once more with h / 3 (fewer kinks crossed), and a fault, which
 * does not depend on h, fails both;</li>
 * <li><b>batching</b> (when the run batches, B &gt; 1): one backward pass of B replicated inputs with B different
 * cotangents equals the same B products done one at a time within {@link #BATCH_TOLERANCE} of their max.</li>
 * </ol>
 * The outcome says which kernels are sound ({@code oneDNN} first, for speed) and whether batching is; with no sound
 * kernels the run must stop. Results are cached per model file, device, shape, batch size, precision and gradient
 * backend, so each runs once per JVM, and on disk ({@link BackendCheckCache}), so each runs once per machine.
 */
public final class GradientCheck {

    /** Relative tolerance of the kernel comparison (float32 kernels differ by about 1e-6 of max |g|). */
    public static final double KERNEL_TOLERANCE = 1e-4;
    /** Relative tolerance of the adjoint test (float32 sums: about 1e-6 of |g|_2 measured). */
    public static final double ADJOINT_TOLERANCE = 1e-3;
    /** Relative tolerance of batched against one-at-a-time products. */
    public static final double BATCH_TOLERANCE = 1e-5;
    /**
     * Finite-difference tolerance floor, relative to |g|_2: float32 forward passes and activation kinks crossed by the
     * step leave up to 2% on the demo model's data (median 0.3%, 36 directions on 12 boxes; docs/saliency.md).
     */
    public static final double FD_TOLERANCE = 5e-2;
    /** Multiple of the measured second-difference noise added to {@link #FD_TOLERANCE}. */
    public static final double FD_NOISE_FACTOR = 4;
    /** Finite-difference step relative to the RMS of the input. */
    public static final double FD_STEP = 1e-4;
    /**
     * Random directions of the finite-difference test: {@link #FIRST_DIRECTIONS} on the first shape checked for a model
     * file and device in this JVM (the graph-level check, whatever the shape), one on every later shape (the
     * shape-dependent kernel faults are for the kernel comparison and the adjoint test, which are exact to float32
     * rounding: a gradient error e shows as e . v, of standard deviation |e|_2, against a tolerance of
     * {@link #ADJOINT_TOLERANCE} |g|_2, with one direction).
     */
    public static final int FIRST_DIRECTIONS = 4;

    private static final java.util.Set<String> SEEN = ConcurrentHashMap.newKeySet();

    /** The kernels a run may use. */
    public enum Kernels {
        /** The device's default kernels (oneDNN on the CPU, cuDNN on a GPU). */
        DEFAULT("default"),
        /** libtorch's reference CPU kernels (oneDNN off). */
        REFERENCE("reference");

        public final String key;

        Kernels(String key) { this.key = key; }

        public boolean oneDnn() { return this == DEFAULT; }
    }

    /** The outcome of one check. */
    public static final class Result {
        /** Shape {@code [C, i, j, k]} and batch size checked. */
        public final int[] shape;
        public final int batch;
        /** Whether each way was verified sound: null when not tested. */
        public final Boolean defaultKernels, referenceKernels, batched;
        /** Measured errors (NaN when not measured): kernels, adjoint, finite differences (worst), batching. */
        public final double kernelError, adjointError, fdError, batchError;
        /** Notes and failures, one line each. */
        public final List<String> notes;
        /** Seconds this process spent on it: the check, or reading its result from the disk cache. */
        public double seconds;
        /** Seconds the check itself took (in the process that ran it, when the result came from the disk cache). */
        public double checkSeconds;
        /** Whether the result came from the disk cache ({@link BackendCheckCache}) rather than a check in this process. */
        public boolean fromCache;
        /** One line when a disk cache entry was ignored or could not be written; else null. */
        public String cacheWarning;

        Result(int[] shape, int batch, Boolean defaultKernels, Boolean referenceKernels, Boolean batched,
                double kernelError, double adjointError, double fdError, double batchError, List<String> notes) {
            this.shape = shape;
            this.batch = batch;
            this.defaultKernels = defaultKernels;
            this.referenceKernels = referenceKernels;
            this.batched = batched;
            this.kernelError = kernelError;
            this.adjointError = adjointError;
            this.fdError = fdError;
            this.batchError = batchError;
            this.notes = List.copyOf(notes);
        }

        /** Whether some kernels passed. */
        public boolean sound() { return sound(Kernels.DEFAULT) || sound(Kernels.REFERENCE); }

        public boolean sound(Kernels k) {
            return Boolean.TRUE.equals(k == Kernels.DEFAULT ? defaultKernels : referenceKernels);
        }

        /** Whether anything failed. */
        public boolean failed() {
            return Boolean.FALSE.equals(defaultKernels) || Boolean.FALSE.equals(referenceKernels) || Boolean.FALSE.equals(batched);
        }

        /** One line: shape, verdicts and errors. */
        public String summary() {
            StringBuilder sb = new StringBuilder();
            sb.append("shape ").append(Arrays.toString(shape)).append(" batch ").append(batch).append(": ");
            sb.append("default kernels ").append(verdict(defaultKernels)).append(", reference kernels ").append(verdict(referenceKernels));
            if (batch > 1) sb.append(", batching ").append(verdict(batched));
            sb.append(String.format(Locale.ROOT, " (errors: kernels %s, adjoint %s, finite differences %s, batching %s)",
                    fmt(kernelError), fmt(adjointError), fmt(fdError), fmt(batchError)));
            return sb.toString();
        }

        private static String verdict(Boolean b) { return b == null ? "not tested" : b ? "sound" : "FAILED"; }

        private static String fmt(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2g", v); }
    }

    private static final Map<String, Result> CACHE = new ConcurrentHashMap<>();

    /** Forgets cached results (tests). */
    public static void clearCache() {
        CACHE.clear();
        SEEN.clear();
    }

    /** Checks actually run in this JVM (not answered from a cache): for the tests of the caches. */
    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    /** Checks actually run in this JVM so far (results taken from a cache do not count). */
    public static int checksRun() { return RUNS.get(); }

    /** {@link #run(TorchModel, float[], int[], int, boolean, boolean)} trusting cached results. */
    public static Result run(TorchModel model, float[] crop, int[] size, int batch, boolean float64) {
        return run(model, crop, size, batch, float64, false);
    }

    /**
     * Checks the model's input gradients on {@code crop [C, size]} (C order), for batches of {@code batch}
     * (1: no batching), in float64 when the module is float64. Cached per JVM, and on the CPU with libtorch's
     * autograd also on disk ({@link BackendCheckCache}); {@code recheck} ignores what the disk cache holds (and
     * results this JVM took from it) and stores the new result there.
     */
    public static Result run(TorchModel model, float[] crop, int[] size, int batch, boolean float64, boolean recheck) {
        model.freeze();
        String sha;
        try {
            sha = model.bundle().modelSha256();
        } catch (IOException e) {
            sha = null;
        }
        String key = (sha != null ? sha : model.bundle().source().toString()) + "|" + DeviceSpec.describe(model.device())
                + "|" + Arrays.toString(size) + "|" + batch + "|" + float64 + "|" + System.identityHashCode(model.gradients());
        Result r = CACHE.get(key);
        if (r != null && recheck && r.fromCache) r = null;
        if (r == null) {
            long t0 = System.nanoTime();
            boolean gpu = model.device().isGpu();
            // on disk: the CPU with libtorch's own autograd (a test double's verdicts mean nothing to another process;
            // a GPU's verdict would need the GPU in the key)
            java.nio.file.Path folder = !gpu && sha != null && model.gradients() == GradientBackend.LIBTORCH ? BackendCheckCache.folder() : null;
            com.google.gson.JsonObject diskKey = null;
            String warning = null;
            if (folder != null) {
                int[] shape = {crop.length / (size[0] * size[1] * size[2]), size[0], size[1], size[2]};
                diskKey = BackendCheckCache.key(sha, shape, batch, float64, DeviceSpec.describe(model.device()), BackendCheckCache.cpu(),
                        TorchRuntime.PYTORCH_VERSION, model.gradients().toString(), JunkFill.available());
                if (!recheck) {
                    BackendCheckCache.Lookup l = BackendCheckCache.read(folder, diskKey);
                    r = l.result;
                    warning = l.warning;
                    if (r != null) r.fromCache = true;
                }
            }
            if (r == null) {
                String modelKey = key.substring(0, key.indexOf('|', key.indexOf('|') + 1));
                GradientCheck c = new GradientCheck(model, crop, size, float64);
                c.fdDirections = SEEN.add(modelKey) ? FIRST_DIRECTIONS : 1;
                // on the CPU, memory a kernel reads unwritten turns to NaN, so such a kernel fails every check, not by chance
                try (CountedSetting.Scope fill = gpu ? null : JunkFill.on()) {
                    if (!gpu && !JunkFill.available()) {
                        c.notes.add("reads of unwritten memory cannot be exposed (" + JunkFill.unavailableReason()
                                + "): a kernel that reads them may pass by chance");
                    }
                    r = c.check(batch);
                }
                RUNS.incrementAndGet();
                r.checkSeconds = (System.nanoTime() - t0) / 1e9;
                // every verdict some kernels passed is kept, failures included (a failed oneDNN verdict kept only
                // keeps the slower reference kernels); "no sound kernels" is not: the run stops, and checks again next time
                if (folder != null && r.sound()) {
                    String w = BackendCheckCache.write(folder, diskKey, r);
                    if (w != null) warning = warning == null ? w : warning + "; " + w;
                }
            }
            r.seconds = (System.nanoTime() - t0) / 1e9;
            r.cacheWarning = warning;
            if (System.getProperty("ies.checkdebug") != null) System.err.println("check " + r.summary() + " " + r.seconds + " s, oneDNN on: " + OneDnn.enabled());
            CACHE.put(key, r);
        }
        return r;
    }

    private final TorchModel model;
    private final float[] x;
    private final int[] size;
    private final boolean float64;
    private final int nv;
    private final int outputChannels;
    private final float[] cotangent;
    private final List<String> notes = new ArrayList<>();
    private int fdDirections = FIRST_DIRECTIONS;

    private GradientCheck(TorchModel model, float[] crop, int[] size, boolean float64) {
        this.model = model;
        this.x = crop;
        this.size = size.clone();
        this.float64 = float64;
        this.nv = size[0] * size[1] * size[2];
        try (Autograd ag = Autograd.disabled(model); NDManager m = model.manager().newSubManager()) {
            this.outputChannels = (int) model.forward(model.input(m, x, 1, size, float64), false).getShape().get(1);
        }
        this.cotangent = centralCotangent(0);
    }

    /** Weights 0.5 to 1.5 (seeded) on the lesion channel of the central voxels, shifted by {@code shift} along k. */
    private float[] centralCotangent(int shift) {
        float[] c = new float[outputChannels * nv];
        SplittableRandom r = new SplittableRandom(20261130L + shift);
        int lesion = model.bundle().lesionChannel();
        int[] lo = new int[3], hi = new int[3];
        for (int d = 0; d < 3; d++) {
            int w = Math.min(4, size[d]);
            lo[d] = (size[d] - w) / 2;
            hi[d] = lo[d] + w;
        }
        for (int a = lo[0]; a < hi[0]; a++)
            for (int b = lo[1]; b < hi[1]; b++)
                for (int l = lo[2]; l < hi[2]; l++) {
                    int kk = Math.floorMod(l + shift, size[2]);
                    c[lesion * nv + (a * size[1] + b) * size[2] + kk] = (float) (0.5 + r.nextDouble());
                }
        return c;
    }

    /** One kernel set's product: g = J^T c, f0 = c . y(x), and the adjoint error (absolute; NaN: not measured). */
    private static final class Pass {
        double[] g;
        double f0;
        double adjoint = Double.NaN;
    }

    /** Errors of the last {@link #verify}: {adjoint, finite differences} (NaN: not measured). */
    private double[] lastErrors = {Double.NaN, Double.NaN};

    private Result check(int batch) {
        boolean gpu = model.device().isGpu();
        String def = gpu ? "the GPU kernels" : "oneDNN";
        Pass d = pass(Kernels.DEFAULT, true);
        Pass r = !gpu && OneDnn.available() ? pass(Kernels.REFERENCE, false) : null;
        if (!gpu && r == null) notes.add("reference kernels unavailable: " + OneDnn.unavailableReason());
        double kernelError = Double.NaN, adjointError, fdError;
        Boolean okDefault, okReference = null;
        if (r != null && finite(d.g) && finite(r.g)
                && (kernelError = maxDiff(d.g, r.g) / Math.max(maxAbs(r.g), Double.MIN_NORMAL)) <= KERNEL_TOLERANCE) {
            // two implementations agree: the tests on one verify both
            boolean ok = verify(Kernels.DEFAULT, d, "oneDNN and the reference kernels");
            okDefault = ok;
            okReference = ok;
            adjointError = lastErrors[0];
            fdError = lastErrors[1];
        } else {
            if (r != null && !Double.isNaN(kernelError)) {
                notes.add(String.format(Locale.ROOT, "oneDNN and the reference kernels differ by %.3g of max |gradient|", kernelError));
            }
            okDefault = verify(Kernels.DEFAULT, d, def);
            adjointError = lastErrors[0];
            fdError = lastErrors[1];
            if (r != null) {
                okReference = verify(Kernels.REFERENCE, finite(r.g) ? pass(Kernels.REFERENCE, true) : r, "the reference kernels");
                if (!okDefault) {
                    adjointError = lastErrors[0];
                    fdError = lastErrors[1];
                }
            }
        }
        Boolean batched = null;
        double batchError = Double.NaN;
        Kernels use = okDefault ? Kernels.DEFAULT : Boolean.TRUE.equals(okReference) ? Kernels.REFERENCE : null;
        if (batch > 1 && use != null) {
            batchError = batchError(batch, use);
            batched = batchError <= BATCH_TOLERANCE;
            if (!batched) {
                notes.add(Double.isFinite(batchError)
                        ? String.format(Locale.ROOT, "batched gradients differ from one-at-a-time ones by %.3g of their max", batchError)
                        : "batched gradients are non-finite (NaN or Inf)");
            }
        }
        int[] shape = {x.length / nv, size[0], size[1], size[2]};
        return new Result(shape, batch, okDefault, okReference, batched, kernelError, adjointError, fdError, batchError, notes);
    }

    /** Finite, adjoint and finite-difference tests of one kernel set's product; failures go to the notes. */
    private boolean verify(Kernels k, Pass p, String who) {
        lastErrors = new double[] {Double.NaN, Double.NaN};
        double[] g = p.g;
        if (!finite(g)) {
            notes.add(who + ": the input gradient has NaN or Inf values");
            return false;
        }
        double norm = 0;
        for (double v : g) norm += v * v;
        norm = Math.sqrt(norm);
        if (norm == 0) {
            notes.add(who + ": the input gradient is zero at the centre of the box (nothing to compare)");
            lastErrors = new double[] {0, 0};
            return true;
        }
        boolean ok = true;
        double adj = p.adjoint / norm;
        lastErrors[0] = adj;
        if (!Double.isNaN(adj) && !(adj <= ADJOINT_TOLERANCE)) {
            notes.add(String.format(Locale.ROOT, "%s: the backward pass disagrees with the forward pass (adjoint test) by %.3g of |gradient| (tolerance %.2g)",
                    who, adj, ADJOINT_TOLERANCE));
            ok = false;
        }
        double[] fd = fdError(k, g, norm, p.f0);
        lastErrors[1] = fd[0];
        if (!(fd[0] <= FD_TOLERANCE + FD_NOISE_FACTOR * fd[1])) {
            notes.add(String.format(Locale.ROOT, "%s: finite differences disagree with the gradient by %.3g of |gradient| (tolerance %.2g + %.0f x noise %.2g)",
                    who, fd[0], FD_TOLERANCE, FD_NOISE_FACTOR, fd[1]));
            ok = false;
        }
        return ok;
    }

    /**
     * One forward pass and g = J^T c (batch 1), and f0 = c . y(x); with {@code adjoint}, the backward pass is recorded
     * and differentiated once more along a random direction v, in the same graph, for the adjoint test
     * |g . v - c . Jv|. A network without second derivatives gets a plain pass and a note.
     */
    private Pass pass(Kernels k, boolean adjoint) {
        Pass p = new Pass();
        try (Autograd ag = Autograd.open(model, true, k.oneDnn()); NDManager m = model.manager().newSubManager()) {
            NDArray in = model.input(m, x, 1, size, float64);
            in.setRequiresGradient(true);
            NDArray y = model.forward(in, true);
            double[] yv = doubles(y);
            for (int i = 0; i < yv.length; i++) if (cotangent[i] != 0) p.f0 += cotangent[i] * yv[i];
            if (adjoint) {
                try (NDManager ma = m.newSubManager()) {
                    NDArray u = array(ma, cotangent, y);
                    u.setRequiresGradient(true);
                    ag.backwardRecorded(y, u);
                    NDArray g = ag.gradient(in);
                    p.g = doubles(g);
                    if (supHi == null) supportBox(p.g);
                    if (finite(p.g)) {
                        float[] v = direction(100);
                        NDArray s = g.mul(model.input(ma, v, 1, size, float64)).sum();
                        ag.backward(s, s.onesLike(), false);
                        double[] jv = doubles(ag.gradient(u));
                        double a = 0, b = 0;
                        for (int i = 0; i < p.g.length; i++) a += p.g[i] * v[i];
                        for (int i = 0; i < jv.length; i++) if (cotangent[i] != 0) b += cotangent[i] * jv[i];
                        p.adjoint = Math.abs(a - b);
                    }
                    return p;
                } catch (RuntimeException noSecondDerivative) {
                    notes.add("adjoint test skipped: " + TorchModel.firstLine(noSecondDerivative.getMessage()));
                }
            } else {
                ag.backward(y, array(m, cotangent, y), false);
                NDArray g = ag.gradient(in);
                p.g = doubles(g);
                g.close();
                if (supHi == null) supportBox(p.g);
                return p;
            }
        }
        // the recorded pass failed and its graph may be spent: a fresh plain pass
        return pass(k, false);
    }

    private final Map<Integer, float[]> directions = new java.util.HashMap<>();
    /** The bounding box {lo, hi} (exclusive) of the gradients' support, where the directions are random. */
    private int[] supLo = {0, 0, 0}, supHi;

    /**
     * The bounding box of the nonzero entries (any channel) of the finite gradients among {@code gs}: inputs outside
     * it do not move f at first order, so directions are random inside it and zero outside (cheaper on large inputs
     * whose receptive field is small). The whole input when no gradient is finite and nonzero.
     */
    private void supportBox(double[]... gs) {
        directions.clear();
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, hi = {-1, -1, -1};
        int channels = x.length / nv;
        for (double[] g : gs) {
            if (g == null || !finite(g)) continue;
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < size[0]; i++)
                    for (int j = 0; j < size[1]; j++) {
                        int base = c * nv + (i * size[1] + j) * size[2];
                        for (int k = 0; k < size[2]; k++) {
                            if (g[base + k] == 0) continue;
                            lo[0] = Math.min(lo[0], i); hi[0] = Math.max(hi[0], i + 1);
                            lo[1] = Math.min(lo[1], j); hi[1] = Math.max(hi[1], j + 1);
                            lo[2] = Math.min(lo[2], k); hi[2] = Math.max(hi[2], k + 1);
                        }
                    }
        }
        if (hi[0] < 0) {
            supLo = new int[3];
            supHi = size.clone();
        } else {
            supLo = lo;
            supHi = hi;
        }
    }

    /**
     * A seeded random direction: entries +-1 (unit variance, so g . v has standard deviation |g|_2) inside the
     * support box, 0 outside.
     */
    private float[] direction(int dir) {
        return directions.computeIfAbsent(dir, d -> {
            SplittableRandom r = new SplittableRandom(77L + d);
            float[] v = new float[x.length];
            int channels = x.length / nv;
            long bits = 0;
            int used = 64;
            for (int c = 0; c < channels; c++)
                for (int i = supLo[0]; i < supHi[0]; i++)
                    for (int j = supLo[1]; j < supHi[1]; j++) {
                        int base = c * nv + (i * size[1] + j) * size[2];
                        for (int k = supLo[2]; k < supHi[2]; k++) {
                            if (used == 64) {
                                bits = r.nextLong();
                                used = 0;
                            }
                            v[base + k] = (bits & 1) == 0 ? 1f : -1f;
                            bits >>>= 1;
                            used++;
                        }
                    }
            return v;
        });
    }

    /** {worst |FD - g . v| / |g|_2, the noise of that direction} over the directions. */
    private double[] fdError(Kernels k, double[] g, double norm, double f0) {
        double rms = 0;
        long n = 0;
        float[] v0 = direction(0);
        for (int i = 0; i < x.length; i++) {
            if (v0[i] == 0) continue;
            rms += (double) x[i] * x[i];
            n++;
        }
        rms = Math.sqrt(rms / Math.max(n, 1));
        double h = FD_STEP * (rms > 0 ? rms : 1);
        double worstExcess = Double.NEGATIVE_INFINITY;
        double[] out = {0, 0};
        for (int dir = 0; dir < fdDirections; dir++) {
            float[] v = direction(dir);
            double[] e = fdDirection(k, g, norm, v, h, f0);
            if (System.getProperty("ies.fddebug") != null) System.err.printf(Locale.ROOT, "fd %s dir %d err %.4f noise %.4f%n", Arrays.toString(size), dir, e[0], e[1]);
            if (e[0] > FD_TOLERANCE + FD_NOISE_FACTOR * e[1]) {
                double[] again = fdDirection(k, g, norm, v, h / 3, f0);
                if (!(again[0] - FD_NOISE_FACTOR * again[1] >= e[0] - FD_NOISE_FACTOR * e[1])) e = again;
            }
            if (Double.isNaN(e[0])) return new double[] {Double.NaN, Double.NaN};
            double excess = e[0] - FD_NOISE_FACTOR * e[1];
            if (excess > worstExcess) {
                worstExcess = excess;
                out = e;
            }
        }
        return out;
    }

    /** {|FD - g . v| / |g|_2, |f(x + hv) + f(x - hv) - 2 f(x)| / 2h / |g|_2} for one direction and step. */
    private double[] fdDirection(Kernels k, double[] g, double norm, float[] v, double h, double f0) {
        float[] xp = x.clone(), xm = x.clone();
        double gv = 0;
        for (int i = 0; i < x.length; i++) {
            if (v[i] == 0) continue;
            xp[i] = (float) (x[i] + h * v[i]);
            xm[i] = (float) (x[i] - h * v[i]);
            gv += g[i] * (((double) xp[i] - xm[i]) / (2 * h));   // the step actually taken in float32
        }
        double fp = f(xp, k), fm = f(xm, k);
        return new double[] {Math.abs((fp - fm) / (2 * h) - gv) / norm, Math.abs(fp + fm - 2 * f0) / (2 * h) / norm};
    }

    private double f(float[] input, Kernels k) {
        try (Autograd ag = Autograd.open(model, false, k.oneDnn()); NDManager m = model.manager().newSubManager()) {
            double[] y = doubles(model.forward(model.input(m, input, 1, size, float64), false));
            double s = 0;
            for (int i = 0; i < y.length; i++) if (cotangent[i] != 0) s += cotangent[i] * y[i];
            return s;
        }
    }

    /** Max |batched - single| / max |single| over B different cotangents (NaN or Inf when non-finite). */
    private double batchError(int batch, Kernels k) {
        float[][] cots = new float[batch][];
        for (int b = 0; b < batch; b++) cots[b] = b == 0 ? cotangent : centralCotangent(b);
        double[][] single = new double[batch][];
        try (Autograd ag = Autograd.open(model, true, k.oneDnn()); NDManager m = model.manager().newSubManager()) {
            NDArray in = model.input(m, x, 1, size, float64);
            in.setRequiresGradient(true);
            NDArray y = model.forward(in, true);
            for (int b = 0; b < batch; b++) {
                if (b > 0) ag.zeroGrad(in);
                try (NDManager mb = m.newSubManager()) {
                    ag.backward(y, array(mb, cots[b], y), b + 1 < batch);
                }
                NDArray g = ag.gradient(in);
                single[b] = doubles(g);
                g.close();
            }
        }
        double[] batched;
        try (Autograd ag = Autograd.open(model, true, k.oneDnn()); NDManager m = model.manager().newSubManager()) {
            NDArray in = model.input(m, x, batch, size, float64);
            in.setRequiresGradient(true);
            NDArray y = model.forward(in, true);
            int per = cots[0].length;
            float[] all = new float[per * batch];
            for (int b = 0; b < batch; b++) System.arraycopy(cots[b], 0, all, b * per, per);
            ag.backward(y, array(m, all, y), false);
            NDArray g = ag.gradient(in);
            batched = doubles(g);
            g.close();
        }
        double diff = 0, scale = 0;
        int per = single[0].length;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < per; i++) {
                double d = Math.abs(batched[b * per + i] - single[b][i]);
                if (!(d <= diff)) diff = d;   // NaN propagates
                scale = Math.max(scale, Math.abs(single[b][i]));
            }
        }
        return diff / Math.max(scale, Double.MIN_NORMAL);
    }

    private NDArray array(NDManager m, float[] data, NDArray like) {
        NDArray a = m.create(data, like.getShape());
        return float64 ? a.toType(DataType.FLOAT64, false) : a;
    }

    private static double[] doubles(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) return a.toDoubleArray();
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static boolean finite(double[] a) {
        for (double v : a) if (!Double.isFinite(v)) return false;
        return true;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
