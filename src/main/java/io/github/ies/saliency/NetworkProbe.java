package io.github.ies.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.ies.model.Autograd;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.TorchModel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Two properties of a network that the saliency engine needs, from the bundle's keys when present, else probed on
 * the network (and cached per model file): its <b>alignment</b>, the total stride a (crops must start at multiples
 * of a, and whole volumes are padded to multiples of a), and its <b>receptive field</b> {below, above}: for every
 * output voxel of an alignment cell [c, c + a) per axis, the input gradient is zero outside [c - below, c + a - 1 +
 * above]. The exporter (scripts/export_torchscript.py) runs the same probes and records both keys.
 *
 * <p>Both probes run one axis at a time on elongated inputs (long along the probed axis, 2u wide across it, u the
 * patch-size bound {@link #upperAlignment}), so that a deep network's wide receptive field fits without a cube of
 * that size in memory:
 * <ul>
 * <li><b>receptive field</b>: the support of the input gradient of a seeded, randomly weighted (0.5 to 1.5) sum of the
 * lesion logits of a central u-cell, on two seeded random inputs, along the probed axis; the input grows (doubling,
 * up to {@link #MAX_PROBE_LENGTH} voxels long) until the support stays off its ends. A support that reaches the ends of
 * the largest input (an operation over the whole input, such as instance or group normalisation or attention, or a
 * receptive field wider than that input) gives "unbounded". Entries vanish on a structural path only by exact
 * cancellation, which random inputs and weights avoid almost surely; the bound measured on a u-cell is that of
 * every cell of any alignment dividing u;</li>
 * <li><b>alignment</b>: the smallest power of two a &lt; u under which the network is translation equivariant: on a
 * seeded random input X of P' + u voxels along the axis, the logits of the crop X[a : a + P'] equal those of X at
 * the crop's four central positions along the axis (relative 1e-4), P' large enough that their receptive field lies
 * inside the crop; u when none is (also when the receptive field is unbounded: then equivariance cannot be probed,
 * and the bundle should carry "alignment", which the exporter derives from the network's shapes).</li>
 * </ul>
 */
public final class NetworkProbe {

    /** The largest elongated probe input, in voxels, and its largest length (beyond any volume a crop would help). */
    public static final int MAX_PROBE_VOXELS = 1 << 21, MAX_PROBE_LENGTH = 512;

    /** What is known about a network. */
    public static final class Result {
        public final int alignment;
        /** "bundle", "probed" or "patch size (not probed: ...)". */
        public final String alignmentSource;
        /** {below, above} per axis, or null (unbounded, unknown or turned off). */
        public final int[][] receptiveField;
        public final String receptiveFieldSource;

        Result(int alignment, String alignmentSource, int[][] receptiveField, String receptiveFieldSource) {
            this.alignment = alignment;
            this.alignmentSource = alignmentSource;
            this.receptiveField = receptiveField;
            this.receptiveFieldSource = receptiveFieldSource;
        }
    }

    private static final Map<String, Result> CACHE = new ConcurrentHashMap<>();

    private NetworkProbe() {}

    /**
     * The patch-size rule: the largest power of two, at most 32, dividing every patch dimension (a U-Net of total
     * stride s needs multiples of s, and its patch size is one): an upper bound of the alignment.
     */
    public static int upperAlignment(ModelBundle b) {
        int a = 32;
        for (int p : b.patchSize()) while (a > 1 && p % a != 0) a /= 2;
        return a;
    }

    /**
     * The bundle's keys, else the probes (cached per model file and precision). {@code log} receives one line per
     * finding worth telling the user.
     */
    public static Result of(TorchModel model, boolean float64, List<String> log) {
        ModelBundle b = model.bundle();
        JsonElement ak = b.json().get("alignment"), rk = b.json().get("receptive_field");
        boolean hasA = ak != null && ak.isJsonPrimitive() && ak.getAsJsonPrimitive().isNumber() && ak.getAsInt() >= 1;
        int[][] bundleRf = rk == null ? null : parseReceptiveField(b, rk);
        if (hasA && rk != null) {
            return new Result(ak.getAsInt(), "bundle", bundleRf, rk.isJsonNull() ? "bundle (null: unbounded)" : "bundle");
        }
        String key;
        try {
            key = b.modelSha256() + (float64 ? "/f64" : "") + "|" + (hasA ? ak.getAsInt() : 0) + "|" + (rk == null ? "-" : rk.toString());
        } catch (IOException e) {
            key = null;
        }
        Result cached = key == null ? null : CACHE.get(key);
        if (cached != null) return cached;
        List<String> found = new ArrayList<>();
        Result r;
        try {
            r = new Prober(model, float64, found).run(hasA ? ak.getAsInt() : 0, rk, bundleRf);
            if (key != null) CACHE.put(key, r);
        } catch (RuntimeException e) {
            // not cached: a failure says nothing about the network (e.g. float32 input to a float64 module)
            int u = hasA ? ak.getAsInt() : upperAlignment(b);
            found.add("network probe failed (" + TorchModel.firstLine(e.getMessage()) + "): alignment " + u
                    + ", SmoothGrad on whole context boxes");
            r = new Result(u, hasA ? "bundle" : "patch size (probe failed)", rk != null ? bundleRf : null,
                    rk != null ? "bundle" : "none (probe failed)");
        }
        log.addAll(found);
        return r;
    }

    private static int[][] parseReceptiveField(ModelBundle b, JsonElement e) {
        if (e.isJsonNull()) return null;
        try {
            JsonObject r = e.getAsJsonObject();
            int[][] out = new int[2][3];
            for (int d = 0; d < 3; d++) {
                out[0][d] = r.getAsJsonArray("below").get(d).getAsInt();
                out[1][d] = r.getAsJsonArray("above").get(d).getAsInt();
                if (out[0][d] < 0 || out[1][d] < 0) throw new IllegalArgumentException("negative");
            }
            return out;
        } catch (RuntimeException bad) {
            throw new IllegalArgumentException(b.source() + ": \"receptive_field\" must be null or "
                    + "{\"below\": [3 ints >= 0], \"above\": [3 ints >= 0]}, got " + e);
        }
    }

    /** One probing session on a model. */
    private static final class Prober {
        final TorchModel model;
        final boolean float64;
        final List<String> log;
        final int channels, lesion, u;
        final int[] patch;

        Prober(TorchModel model, boolean float64, List<String> log) {
            this.model = model;
            this.float64 = float64;
            this.log = log;
            this.channels = model.bundle().inputCount();
            this.lesion = model.bundle().lesionChannel();
            this.u = upperAlignment(model.bundle());
            this.patch = model.bundle().patchSize();
        }

        Result run(int bundleAlignment, JsonElement rfKey, int[][] bundleRf) {
            int[][] rf;
            String rfSource;
            if (rfKey != null) {
                rf = bundleRf;
                rfSource = rfKey.isJsonNull() ? "bundle (null: unbounded)" : "bundle";
            } else {
                rf = receptiveField();
                rfSource = rf == null ? "probed: unbounded" : "probed";
            }
            if (bundleAlignment > 0) return new Result(bundleAlignment, "bundle", rf, rfSource);
            if (u == 1) return new Result(1, "patch size", rf, rfSource);
            if (rf == null) {
                log.add("alignment: the receptive field is unbounded, so translation equivariance cannot be probed; using "
                        + u + " from the patch size (give \"alignment\" in ies-model.json, as scripts/export_torchscript.py does)");
                return new Result(u, "patch size (not probed: unbounded receptive field)", null, rfSource);
            }
            int a = 1;
            for (int d = 0; d < 3; d++) a = Math.max(a, alignment(d, rf));
            return new Result(a, "probed", rf, rfSource);
        }

        int[] sizes(int axis, int length) {
            int[] s = {2 * u, 2 * u, 2 * u};
            s[axis] = length;
            return s;
        }

        float[] random(long seed, int n) {
            SplittableRandom r = new SplittableRandom(seed);
            float[] x = new float[channels * n];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            return x;
        }

        int[][] receptiveField() {
            int[][] out = new int[2][3];
            for (int d = 0; d < 3; d++) {
                int length = Math.max(4 * u, roundUp(patch[d], u) + 2 * u);
                int[] bound = null;
                while (true) {
                    int[] s = sizes(d, length);
                    bound = support(d, s);
                    if (bound != null) break;
                    int next = 2 * length;
                    if (next > Math.max(MAX_PROBE_LENGTH, length) || (long) next * s[(d + 1) % 3] * s[(d + 2) % 3] > MAX_PROBE_VOXELS) break;
                    length = next;
                }
                if (bound == null) {
                    log.add("receptive field: the input gradient of a central cell reaches both ends of a " + length
                            + "-voxel probe along axis " + "ijk".charAt(d) + " (an operation over the whole input, such as "
                            + "instance or group normalisation, or a receptive field wider than that): SmoothGrad runs on "
                            + "whole context boxes");
                    return null;
                }
                out[0][d] = bound[0];
                out[1][d] = bound[1];
            }
            return out;
        }

        /** {below, above} along axis d on an input of size s, or null when the support reaches an end. */
        int[] support(int d, int[] s) {
            int nv = s[0] * s[1] * s[2];
            int[] c = new int[3];
            for (int a = 0; a < 3; a++) c[a] = Math.floorDiv(s[a] / 2 - u / 2, u) * u;
            int lo = Integer.MAX_VALUE, hi = -1;
            try (Autograd ag = Autograd.enabled(model)) {
                for (long seed : new long[] {20261127L, 7L}) {
                    SplittableRandom r = new SplittableRandom(seed + 1);
                    try (NDManager m = model.manager().newSubManager()) {
                        NDArray in = model.input(m, random(seed, nv), 1, s, float64);
                        in.setRequiresGradient(true);
                        NDArray y = model.forward(in, true);
                        int k = (int) y.getShape().get(1);
                        float[] cot = new float[k * nv];
                        for (int a = 0; a < u; a++)
                            for (int b = 0; b < u; b++)
                                for (int l = 0; l < u; l++)
                                    cot[lesion * nv + ((c[0] + a) * s[1] + c[1] + b) * s[2] + c[2] + l] = (float) (0.5 + r.nextDouble());
                        NDArray ct = m.create(cot, y.getShape());
                        if (float64) ct = ct.toType(DataType.FLOAT64, false);
                        ag.backward(y, ct, false);
                        NDArray g = ag.gradient(in);
                        float[] gr = g.toType(DataType.FLOAT32, false).toFloatArray();
                        for (int ch = 0; ch < channels; ch++)
                            for (int i = 0; i < s[0]; i++)
                                for (int j = 0; j < s[1]; j++)
                                    for (int l = 0; l < s[2]; l++) {
                                        if (gr[ch * nv + (i * s[1] + j) * s[2] + l] == 0f) continue;
                                        int p = d == 0 ? i : d == 1 ? j : l;
                                        lo = Math.min(lo, p);
                                        hi = Math.max(hi, p);
                                    }
                    }
                }
            }
            if (hi < 0 || lo == 0 || hi == s[d] - 1) return null;
            return new int[] {c[d] - lo, hi - (c[d] + u - 1)};
        }

        /** The smallest power of two under which the network is translation equivariant along axis d; u if none. */
        int alignment(int d, int[][] rf) {
            int p = roundUp(Math.max(patch[d], 2 * (Math.max(rf[0][d], rf[1][d]) + u + 1)), u);
            int[] big = sizes(d, p + u), crop = sizes(d, p);
            int nBig = big[0] * big[1] * big[2], nCrop = crop[0] * crop[1] * crop[2];
            float[] xb = random(12345, nBig);
            try (Autograd ag = Autograd.disabled(model)) {
                float[] yb = forward(xb, big);
                int k = yb.length / nBig;
                for (int a = 1; a < u; a *= 2) {
                    int[] origin = new int[3];
                    origin[d] = a;
                    float[] yc = forward(new Box(origin, crop).extract(xb, channels, big), crop);
                    double diff = 0, scale = 0;
                    for (int c = 0; c < k; c++)
                        for (int i = 0; i < crop[0]; i++)
                            for (int j = 0; j < crop[1]; j++)
                                for (int l = 0; l < crop[2]; l++) {
                                    int q = d == 0 ? i : d == 1 ? j : l;
                                    if (q < p / 2 - 2 || q >= p / 2 + 2) continue;
                                    float vc = yc[c * nCrop + (i * crop[1] + j) * crop[2] + l];
                                    int bi = i + origin[0], bj = j + origin[1], bl = l + origin[2];
                                    float vb = yb[c * nBig + (bi * big[1] + bj) * big[2] + bl];
                                    diff = Math.max(diff, Math.abs(vc - vb));
                                    scale = Math.max(scale, Math.abs(vb));
                                }
                    if (diff <= 1e-4 * Math.max(scale, 1e-6)) return a;
                }
            }
            return u;
        }

        float[] forward(float[] x, int[] size) {
            try (NDManager m = model.manager().newSubManager()) {
                NDArray y = model.forward(model.input(m, x, 1, size, float64), false);
                return y.toType(DataType.FLOAT32, false).toFloatArray();
            }
        }
    }

    static int roundUp(int v, int a) { return (v + a - 1) / a * a; }

    /** Forgets cached probes (tests). */
    static void clearCache() { CACHE.clear(); }
}
