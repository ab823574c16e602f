package io.github.ies.model;

import io.github.ies.io.Crops;

import java.util.ArrayList;
import java.util.List;

/**
 * Sliding-window inference reproducing MONAI's {@code sliding_window_inference} (monai/inferers/utils.py and
 * monai/data/utils.py, MONAI 1.x) for one image:
 * <ul>
 * <li>a dimension smaller than the patch is padded with zeros to the patch size, {@code (patch - size) / 2}
 * (integer division) voxels before and the rest after, and the output is cropped back;</li>
 * <li>scan interval per dimension: the patch size when it equals the (padded) image size, else
 * {@code int(patch * (1 - overlap))}, or 1 when that is 0;</li>
 * <li>window starts as {@code dense_patch_slices}: {@code 0, interval, 2 interval, ...} up to the first window
 * reaching the end, each start clamped so the window stays inside ({@code start -= max(start + patch - size, 0)});
 * windows enumerated with the first axis slowest;</li>
 * <li>importance map as {@code compute_importance_map}: constant ones, or the separable Gaussian
 * {@code exp(-x^2 / (2 sigma^2))}, {@code x = -(p-1)/2 .. (p-1)/2}, {@code sigma = 0.125 p}, clamped below at
 * {@code max(min(map), 1e-3)};</li>
 * <li>the predictor's raw outputs (logits) are accumulated as {@code out += w * pred} and {@code count += w}, in
 * float32, then {@code out / count}; activations are applied afterwards by the caller.</li>
 * </ul>
 * Arrays are in C order: input {@code [C, d0, d1, d2]}, output {@code [K, d0, d1, d2]}, patches
 * {@code [B, C, p0, p1, p2]}.
 */
public final class SlidingWindow {

    /** Runs the network on a batch of patches. */
    @FunctionalInterface
    public interface Predictor {
        /**
         * @param batch {@code [B, C, p0, p1, p2]} float32, C order
         * @param batchSize B
         * @return the outputs {@code [B, K, p0, p1, p2]}
         */
        float[] predict(float[] batch, int batchSize) throws Exception;
    }

    public static final double SIGMA_SCALE = 0.125;

    private final int[] patch;
    private final double overlap;
    private final Blending blending;

    public SlidingWindow(int[] patch, double overlap, Blending blending) {
        if (patch.length != 3) throw new IllegalArgumentException("patch must have 3 dims");
        this.patch = patch.clone();
        this.overlap = overlap;
        this.blending = blending;
    }

    /** MONAI's {@code _get_scan_interval} for one dimension. */
    public static int scanInterval(int imageSize, int patchSize, double overlap) {
        if (patchSize == imageSize) return patchSize;
        int interval = (int) (patchSize * (1 - overlap));
        return interval > 0 ? interval : 1;
    }

    /** Window start positions along one dimension ({@code dense_patch_slices}); imageSize >= patchSize. */
    public static int[] starts(int imageSize, int patchSize, int interval) {
        int num = (int) Math.ceil((double) imageSize / interval);
        int n = 1;
        for (int d = 0; d < num; d++) {
            if (d * interval + patchSize >= imageSize) { n = d + 1; break; }
        }
        int[] s = new int[n];
        for (int d = 0; d < n; d++) {
            int start = d * interval;
            start -= Math.max(start + patchSize - imageSize, 0);
            s[d] = start;
        }
        return s;
    }

    /** The importance map {@code [p0, p1, p2]} in C order (float32 arithmetic as MONAI's). */
    public static float[] importanceMap(int[] p, Blending blending) {
        int n = p[0] * p[1] * p[2];
        float[] m = new float[n];
        if (blending == Blending.CONSTANT) {
            java.util.Arrays.fill(m, 1f);
        } else {
            float[][] g = new float[3][];
            for (int d = 0; d < 3; d++) {
                float sigma = (float) (p[d] * SIGMA_SCALE);
                g[d] = new float[p[d]];
                for (int a = 0; a < p[d]; a++) {
                    float x = (float) (-(p[d] - 1) / 2.0 + a);
                    g[d][a] = (float) Math.exp((x * x) / (-2f * sigma * sigma));
                }
            }
            int o = 0;
            for (int a = 0; a < p[0]; a++)
                for (int b = 0; b < p[1]; b++) {
                    float ab = g[0][a] * g[1][b];
                    for (int c = 0; c < p[2]; c++) m[o++] = ab * g[2][c];
                }
        }
        float min = Float.POSITIVE_INFINITY;
        for (float v : m) min = Math.min(min, v);
        float floor = (float) Math.max(min, 1e-3);
        for (int i = 0; i < n; i++) if (m[i] < floor) m[i] = floor;
        return m;
    }

    /** The window origins (in padded coordinates) for an image of the given size, first axis slowest. */
    public List<int[]> windows(int[] dims) {
        int[] size = paddedSize(dims);
        int[][] s = new int[3][];
        for (int d = 0; d < 3; d++) s[d] = starts(size[d], patch[d], scanInterval(size[d], patch[d], overlap));
        List<int[]> out = new ArrayList<>();
        for (int a : s[0]) for (int b : s[1]) for (int c : s[2]) out.add(new int[] {a, b, c});
        return out;
    }

    public int[] paddedSize(int[] dims) {
        return new int[] {Math.max(dims[0], patch[0]), Math.max(dims[1], patch[1]), Math.max(dims[2], patch[2])};
    }

    /** Padding before the data in each dimension ({@code (patch - size) // 2}, or 0). */
    public int[] padBefore(int[] dims) {
        int[] p = new int[3];
        for (int d = 0; d < 3; d++) p[d] = Math.max(patch[d] - dims[d], 0) / 2;
        return p;
    }

    /** Result of a run: blended outputs {@code [K, d0, d1, d2]}. */
    public static final class Output {
        public final float[] values;
        public final int channels;
        public final int windows;

        Output(float[] values, int channels, int windows) {
            this.values = values;
            this.channels = channels;
            this.windows = windows;
        }
    }

    /**
     * Runs the predictor over all windows of {@code input [C, d0, d1, d2]} in batches of {@code batchSize} and
     * blends the outputs. Progress is reported per batch, cancellation polled between batches.
     */
    public Output run(float[] input, int channels, int[] dims, Predictor predictor, int batchSize, ProgressListener listener)
            throws Exception {
        if (listener == null) listener = ProgressListener.NONE;
        int[] size = paddedSize(dims);
        int[] pad = padBefore(dims);
        boolean padded = size[0] != dims[0] || size[1] != dims[1] || size[2] != dims[2];
        float[] x = input;
        if (padded) x = pad(input, channels, dims, size, pad);
        int vox = size[0] * size[1] * size[2];
        int pvox = patch[0] * patch[1] * patch[2];
        float[] imp = importanceMap(patch, blending);
        List<int[]> wins = windows(dims);
        float[] out = null;
        float[] count = new float[vox];
        int k = -1;
        int bs = Math.max(1, batchSize);
        for (int w0 = 0; w0 < wins.size(); w0 += bs) {
            listener.checkCancelled();
            int b = Math.min(bs, wins.size() - w0);
            float[] batch = new float[b * channels * pvox];
            for (int bi = 0; bi < b; bi++) extract(x, channels, size, wins.get(w0 + bi), batch, bi * channels * pvox);
            float[] pred = predictor.predict(batch, b);
            if (pred.length % (b * pvox) != 0) {
                throw new IllegalStateException("predictor returned " + pred.length + " values for " + b + " patches of " + pvox + " voxels");
            }
            int kk = pred.length / (b * pvox);
            if (out == null) {
                k = kk;
                out = new float[Math.multiplyExact(k, vox)];
            } else if (kk != k) {
                throw new IllegalStateException("predictor returned " + kk + " channels, earlier " + k);
            }
            for (int bi = 0; bi < b; bi++) accumulate(pred, bi * k * pvox, k, wins.get(w0 + bi), size, imp, out, count);
            listener.progress("sliding window", Math.min(w0 + b, wins.size()), wins.size());
        }
        for (int c = 0; c < k; c++) {
            int base = c * vox;
            for (int v = 0; v < vox; v++) out[base + v] = out[base + v] / count[v];
        }
        if (padded) out = crop(out, k, size, dims, pad);
        return new Output(out, k, wins.size());
    }

    private void extract(float[] x, int channels, int[] size, int[] o, float[] dst, int dstOff) {
        int vox = size[0] * size[1] * size[2], pvox = patch[0] * patch[1] * patch[2];
        for (int c = 0; c < channels; c++) Crops.crop(x, c * vox, size, Crops.Order.C, o, dst, dstOff + c * pvox, patch, Crops.Order.C);
    }

    private void accumulate(float[] pred, int off, int k, int[] o, int[] size, float[] imp, float[] out, float[] count) {
        int vox = size[0] * size[1] * size[2];
        int pvox = patch[0] * patch[1] * patch[2];
        for (int c = 0; c < k; c++) {
            int pi = off + c * pvox, wi = 0;
            for (int a = 0; a < patch[0]; a++)
                for (int b = 0; b < patch[1]; b++) {
                    int dst = c * vox + ((o[0] + a) * size[1] + o[1] + b) * size[2] + o[2];
                    for (int e = 0; e < patch[2]; e++) out[dst + e] += pred[pi++] * imp[wi++];
                }
        }
        int wi = 0;
        for (int a = 0; a < patch[0]; a++)
            for (int b = 0; b < patch[1]; b++) {
                int dst = ((o[0] + a) * size[1] + o[1] + b) * size[2] + o[2];
                for (int e = 0; e < patch[2]; e++) count[dst + e] += imp[wi++];
            }
    }

    static float[] pad(float[] in, int channels, int[] dims, int[] size, int[] before) {
        int vox = dims[0] * dims[1] * dims[2], pvox = size[0] * size[1] * size[2];
        float[] out = new float[channels * pvox];
        for (int c = 0; c < channels; c++) Crops.paste(in, c * vox, dims, Crops.Order.C, before, out, c * pvox, size, Crops.Order.C);
        return out;
    }

    static float[] crop(float[] in, int channels, int[] size, int[] dims, int[] before) {
        int vox = dims[0] * dims[1] * dims[2], pvox = size[0] * size[1] * size[2];
        float[] out = new float[channels * vox];
        for (int c = 0; c < channels; c++) Crops.crop(in, c * pvox, size, Crops.Order.C, before, out, c * vox, dims, Crops.Order.C);
        return out;
    }
}
