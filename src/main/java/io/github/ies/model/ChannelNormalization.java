package io.github.ies.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.github.ies.io.Volume;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;

/**
 * The normalisation of one input channel: a {@link Normalization} scheme and, for {@link Normalization#CT}, the
 * dataset's intensity parameters. In ies-model.json, {@code "normalization"} is either one scheme for every channel
 * ({@code "zscore-nonzero"}) or an array with one entry per input, each a scheme or an object
 * ({@code {"scheme": "ct", "mean": 80.1, "std": 120.5, "lower": -958, "upper": 1120}}).
 */
public final class ChannelNormalization {

    public final Normalization scheme;
    /** CT parameters (NaN for the other schemes). */
    public final double mean, std, lower, upper;

    private ChannelNormalization(Normalization scheme, double mean, double std, double lower, double upper) {
        this.scheme = scheme;
        this.mean = mean;
        this.std = std;
        this.lower = lower;
        this.upper = upper;
    }

    /** A scheme without parameters. */
    public static ChannelNormalization of(Normalization scheme) {
        if (scheme.needsParameters()) throw new IllegalArgumentException("\"" + scheme.key + "\" needs mean, std, lower and upper");
        return new ChannelNormalization(scheme, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /** nnU-Net's CT scheme with the dataset's foreground mean, std and 0.5 / 99.5 percentiles. */
    public static ChannelNormalization ct(double mean, double std, double lower, double upper) {
        for (double v : new double[] {mean, std, lower, upper}) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("\"ct\" parameters must be finite numbers");
        }
        if (!(std >= 0)) throw new IllegalArgumentException("\"ct\" std must be >= 0, got " + std);
        if (!(lower <= upper)) throw new IllegalArgumentException("\"ct\" lower (" + lower + ") must not exceed upper (" + upper + ")");
        return new ChannelNormalization(Normalization.CT, mean, std, lower, upper);
    }

    /**
     * One entry of {@code "normalization"}: a scheme key or an object with {@code "scheme"} (and the CT parameters).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static ChannelNormalization parse(JsonElement e) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            Normalization n = Normalization.fromKey(e.getAsString());
            if (n == null) throw new IllegalArgumentException("unknown scheme \"" + e.getAsString() + "\" (known: " + Normalization.keys() + ")");
            if (n.needsParameters()) {
                throw new IllegalArgumentException("\"" + n.key + "\" needs its parameters: {\"scheme\": \"ct\", \"mean\": ..., \"std\": ..., "
                        + "\"lower\": ..., \"upper\": ...}");
            }
            return of(n);
        }
        if (!e.isJsonObject()) throw new IllegalArgumentException("expected a scheme name or an object with \"scheme\", got " + e);
        JsonObject o = e.getAsJsonObject();
        JsonElement s = o.get("scheme");
        if (s == null || !s.isJsonPrimitive() || !s.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("an object entry needs \"scheme\" (a string), got " + e);
        }
        Normalization n = Normalization.fromKey(s.getAsString());
        if (n == null) throw new IllegalArgumentException("unknown scheme \"" + s.getAsString() + "\" (known: " + Normalization.keys() + ")");
        if (!n.needsParameters()) return of(n);
        double[] p = new double[4];
        String[] names = {"mean", "std", "lower", "upper"};
        for (int i = 0; i < 4; i++) {
            JsonElement v = o.get(names[i]);
            if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException("\"" + n.key + "\" needs \"" + names[i] + "\" (a number), got " + (v == null ? "nothing" : v));
            }
            p[i] = v.getAsDouble();
        }
        return ct(p[0], p[1], p[2], p[3]);
    }

    /** The JSON form (a key, or an object for CT). */
    public JsonElement toJson() {
        if (!scheme.needsParameters()) return new JsonPrimitive(scheme.key);
        JsonObject o = new JsonObject();
        o.addProperty("scheme", scheme.key);
        o.addProperty("mean", mean);
        o.addProperty("std", std);
        o.addProperty("lower", lower);
        o.addProperty("upper", upper);
        return o;
    }

    @Override
    public String toString() {
        return scheme.needsParameters() ? String.format(Locale.ROOT, "%s(mean %.6g, std %.6g, clip [%.6g, %.6g])", scheme.key, mean, std, lower, upper)
                : scheme.key;
    }

    /**
     * Normalises the channels (NIfTI order, one grid) with one entry per channel; the nonzero mask of
     * {@link Normalization#ZSCORE_MASK} is computed once over all channels. Inputs are not modified.
     */
    public static Volume[] normalize(List<ChannelNormalization> norms, Volume... channels) {
        if (norms.size() != channels.length) {
            throw new IllegalArgumentException(norms.size() + " normalisations for " + channels.length + " channels");
        }
        boolean[] mask = null;
        Volume[] out = new Volume[channels.length];
        for (int c = 0; c < channels.length; c++) {
            ChannelNormalization n = norms.get(c);
            float[] d = channels[c].data();
            float[] v;
            switch (n.scheme) {
                case ZSCORE_MASK:
                    if (mask == null) mask = nonzeroMask(channels);
                    v = Normalization.zscore(d, mask);
                    break;
                case CT:
                    v = Normalization.ct(d, n.mean, n.std, n.lower, n.upper);
                    break;
                default:
                    v = n.scheme.apply(d);
            }
            out[c] = new Volume(v, channels[c].dims(), channels[c].geometry());
        }
        return out;
    }

    /**
     * What {@link #normalize} makes of a voxel that is 0 in every input channel (an empty background in a
     * skull-stripped image), per channel, with the statistics of these channels: 0 for "zscore-nonzero",
     * "zscore-mask" and "none" (zero voxels stay zero); -mean / std for "zscore"; the clipped and shifted 0 for "ct";
     * -min / range for "rescale-0-1". The same double arithmetic as {@link #normalize}, so the value equals the
     * normalised value of such a voxel exactly.
     */
    public static float[] zeroValue(List<ChannelNormalization> norms, Volume... channels) {
        if (norms.size() != channels.length) {
            throw new IllegalArgumentException(norms.size() + " normalisations for " + channels.length + " channels");
        }
        float[] z = new float[channels.length];
        for (int c = 0; c < channels.length; c++) {
            ChannelNormalization n = norms.get(c);
            float[] d = channels[c].data();
            switch (n.scheme) {
                case ZSCORE: {
                    double[] s = Normalization.zscoreStats(d, null);
                    z[c] = s == null ? 0f : (float) ((0f - s[0]) / s[1]);
                    break;
                }
                case CT: z[c] = Normalization.ct(new float[] {0f}, n.mean, n.std, n.lower, n.upper)[0]; break;
                case RESCALE_0_1: {
                    if (d.length == 0) break;
                    double[] r = Normalization.rescaleRange(d);
                    z[c] = (float) ((0f - r[0]) / r[1]);
                    break;
                }
                default: z[c] = 0f; // zscore-nonzero, zscore-mask (outside the nonzero mask), none
            }
        }
        return z;
    }

    /**
     * nnU-Net's {@code create_nonzero_mask}: voxels nonzero in any channel, with holes filled as scipy's
     * {@code binary_fill_holes} does (every voxel not reachable from the volume's border through outside voxels along
     * faces, 6-connectivity, is inside). NIfTI order.
     */
    public static boolean[] nonzeroMask(Volume... channels) {
        int[] n = channels[0].dims();
        int size = n[0] * n[1] * n[2];
        boolean[] in = new boolean[size];
        for (Volume v : channels) {
            float[] d = v.data();
            for (int i = 0; i < size; i++) if (d[i] != 0f) in[i] = true;
        }
        boolean[] outside = new boolean[size];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int k = 0; k < n[2]; k++)
            for (int j = 0; j < n[1]; j++)
                for (int i = 0; i < n[0]; i++) {
                    boolean border = i == 0 || j == 0 || k == 0 || i == n[0] - 1 || j == n[1] - 1 || k == n[2] - 1;
                    int q = i + n[0] * (j + n[1] * k);
                    if (border && !in[q] && !outside[q]) {
                        outside[q] = true;
                        queue.add(q);
                    }
                }
        int[][] steps = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
        while (!queue.isEmpty()) {
            int q = queue.poll();
            int i = q % n[0], j = (q / n[0]) % n[1], k = q / (n[0] * n[1]);
            for (int[] s : steps) {
                int a = i + s[0], b = j + s[1], c = k + s[2];
                if (a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2]) continue;
                int r = a + n[0] * (b + n[1] * c);
                if (!in[r] && !outside[r]) {
                    outside[r] = true;
                    queue.add(r);
                }
            }
        }
        boolean[] mask = new boolean[size];
        for (int i = 0; i < size; i++) mask[i] = !outside[i];
        return mask;
    }
}
