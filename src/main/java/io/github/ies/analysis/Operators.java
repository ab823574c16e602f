package io.github.ies.analysis;

import io.github.ies.io.Crops;
import io.github.ies.io.Volume;

import java.util.Arrays;

/**
 * Voxel operators of the experiments, on boolean masks in NIfTI order (i fastest) with dims {ni, nj, nk}:
 * 18-connected dilation, Euclidean distance to a mask in mm (anisotropic spacing), perilesional shells, pasting a
 * lesion at another location, masking everything but a region.
 */
public final class Operators {

    private Operators() {}

    static void checkSize(boolean[] mask, int[] dims) {
        if (dims.length != 3) throw new IllegalArgumentException("need 3 dims, got " + Arrays.toString(dims));
        if ((long) dims[0] * dims[1] * dims[2] != mask.length) {
            throw new IllegalArgumentException("mask has " + mask.length + " voxels, dims " + Arrays.toString(dims) + " need "
                    + (long) dims[0] * dims[1] * dims[2]);
        }
    }

    /**
     * One binary dilation with the 18-connected structuring element (the 3x3x3 cube without its 8 corners,
     * {@code scipy.ndimage.generate_binary_structure(3, 2)}); voxels outside the volume count as background.
     */
    public static boolean[] dilate18(boolean[] mask, int[] dims) {
        checkSize(mask, dims);
        int ni = dims[0], nj = dims[1], nk = dims[2];
        boolean[] out = mask.clone();
        for (int k = 0; k < nk; k++) {
            for (int j = 0; j < nj; j++) {
                for (int i = 0; i < ni; i++) {
                    if (!mask[i + ni * (j + nj * k)]) continue;
                    for (int dk = -1; dk <= 1; dk++) {
                        int kk = k + dk;
                        if (kk < 0 || kk >= nk) continue;
                        for (int dj = -1; dj <= 1; dj++) {
                            int jj = j + dj;
                            if (jj < 0 || jj >= nj) continue;
                            for (int di = -1; di <= 1; di++) {
                                int ii = i + di;
                                if (ii < 0 || ii >= ni) continue;
                                if (di != 0 && dj != 0 && dk != 0) continue; // a corner: not 18-connected
                                out[ii + ni * (jj + nj * kk)] = true;
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** {@code times} successive 18-connected dilations (0: a copy). */
    public static boolean[] dilate18(boolean[] mask, int[] dims, int times) {
        if (times < 0) throw new IllegalArgumentException("dilation count must be >= 0, got " + times);
        boolean[] m = mask.clone();
        for (int t = 0; t < times; t++) m = dilate18(m, dims);
        return m;
    }

    /**
     * Euclidean distance in mm from every voxel centre to the nearest voxel centre of the mask (0 inside it), with
     * the voxel spacing {si, sj, sk}; +infinity everywhere for an empty mask. Exact separable algorithm
     * (Felzenszwalb and Huttenlocher's lower envelope of parabolas, one pass per axis).
     */
    public static double[] distanceMm(boolean[] mask, int[] dims, double[] spacing) {
        checkSize(mask, dims);
        int n = mask.length;
        double[] f = new double[n];
        for (int v = 0; v < n; v++) f[v] = mask[v] ? 0 : Double.POSITIVE_INFINITY;
        int[] stride = {1, dims[0], dims[0] * dims[1]};
        for (int axis = 0; axis < 3; axis++) {
            int len = dims[axis];
            double w = spacing[axis] * spacing[axis];
            double[] line = new double[len], res = new double[len];
            int[] vIdx = new int[len];
            double[] z = new double[len + 1];
            int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
            for (int p = 0; p < dims[a1]; p++) {
                for (int q = 0; q < dims[a2]; q++) {
                    int base = p * stride[a1] + q * stride[a2];
                    for (int t = 0; t < len; t++) line[t] = f[base + t * stride[axis]];
                    envelope(line, len, w, res, vIdx, z);
                    for (int t = 0; t < len; t++) f[base + t * stride[axis]] = res[t];
                }
            }
        }
        for (int v = 0; v < n; v++) f[v] = Math.sqrt(f[v]);
        return f;
    }

    /** 1-D squared distance transform d(t) = min_s (w (t - s)^2 + f(s)) over finite f. */
    private static void envelope(double[] f, int n, double w, double[] d, int[] v, double[] z) {
        int k = -1;
        for (int q = 0; q < n; q++) {
            if (f[q] == Double.POSITIVE_INFINITY) continue;
            if (k < 0) {
                k = 0;
                v[0] = q;
                z[0] = Double.NEGATIVE_INFINITY;
                z[1] = Double.POSITIVE_INFINITY;
                continue;
            }
            double s;
            while (true) {
                int r = v[k];
                s = ((f[q] + w * q * q) - (f[r] + w * r * r)) / (2.0 * w * (q - r));
                if (s <= z[k]) {
                    k--;
                    if (k < 0) break;
                } else break;
            }
            k++;
            v[k] = q;
            z[k] = k == 0 ? Double.NEGATIVE_INFINITY : s;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        if (k < 0) {
            Arrays.fill(d, 0, n, Double.POSITIVE_INFINITY);
            return;
        }
        int j = 0;
        for (int q = 0; q < n; q++) {
            while (z[j + 1] < q) j++;
            double dq = q - v[j];
            d[q] = w * dq * dq + f[v[j]];
        }
    }

    /** Voxels outside the mask whose distance to it is at most {@code mm} (the perilesional shell). */
    public static boolean[] shell(boolean[] mask, int[] dims, double[] spacing, double mm) {
        double[] d = distanceMm(mask, dims, spacing);
        boolean[] s = new boolean[mask.length];
        for (int v = 0; v < s.length; v++) s[v] = !mask[v] && d[v] <= mm;
        return s;
    }

    /** The mask together with its shell of {@code mm} (all voxels within {@code mm} of the mask). */
    public static boolean[] withShell(boolean[] mask, int[] dims, double[] spacing, double mm) {
        double[] d = distanceMm(mask, dims, spacing);
        boolean[] s = new boolean[mask.length];
        for (int v = 0; v < s.length; v++) s[v] = d[v] <= mm;
        return s;
    }

    /** Copies of the channels with every voxel outside {@code keep} set to 0 (the context experiment's input). */
    public static Volume[] keepOnly(Volume[] channels, boolean[] keep) {
        Volume[] out = new Volume[channels.length];
        for (int c = 0; c < channels.length; c++) {
            checkSize(keep, channels[c].dims());
            out[c] = channels[c].zerosLike();
            float[] s = channels[c].data(), d = out[c].data();
            for (int v = 0; v < s.length; v++) if (keep[v]) d[v] = s[v];
        }
        return out;
    }

    /**
     * Pastes the voxels of {@code region} of every source channel into copies of the same channels, shifted by
     * {@code offset} = {di, dj, dk} voxels. Returns the modified channels; {@code pastedOut} (optional, same length as
     * a channel) receives the pasted region in its new place. The whole shifted region must lie inside the volume.
     */
    public static Volume[] paste(Volume[] channels, boolean[] region, int[] offset, boolean[] pastedOut) {
        int[] dims = channels[0].dims();
        checkSize(region, dims);
        int ni = dims[0], nj = dims[1], nk = dims[2];
        Volume[] out = new Volume[channels.length];
        for (int c = 0; c < channels.length; c++) out[c] = channels[c].copy();
        for (int v = 0; v < region.length; v++) {
            if (!region[v]) continue;
            int i = v % ni, j = (v / ni) % nj, k = v / (ni * nj);
            int ii = i + offset[0], jj = j + offset[1], kk = k + offset[2];
            if (ii < 0 || jj < 0 || kk < 0 || ii >= ni || jj >= nj || kk >= nk) {
                throw new IllegalArgumentException("pasted region leaves the volume: voxel (" + i + "," + j + "," + k
                        + ") + offset " + Arrays.toString(offset) + " is outside " + Arrays.toString(dims));
            }
        }
        long[] shift = {offset[0], offset[1], offset[2]};
        var mask = Crops.wrap(region, dims, Crops.Order.NIFTI);
        for (int c = 0; c < channels.length; c++) {
            Crops.paste(channels[c].img(), mask, shift, out[c].img());
        }
        if (pastedOut != null) {
            Arrays.fill(pastedOut, false);
            Crops.paste(mask, mask, shift, Crops.wrap(pastedOut, dims, Crops.Order.NIFTI));
        }
        return out;
    }

    /** The mask shifted by offset (voxels leaving the volume are dropped). */
    public static boolean[] shift(boolean[] mask, int[] dims, int[] offset) {
        checkSize(mask, dims);
        int ni = dims[0], nj = dims[1], nk = dims[2];
        boolean[] out = new boolean[mask.length];
        for (int k = 0; k < nk; k++) for (int j = 0; j < nj; j++) for (int i = 0; i < ni; i++) {
            if (!mask[i + ni * (j + nj * k)]) continue;
            int ii = i + offset[0], jj = j + offset[1], kk = k + offset[2];
            if (ii < 0 || jj < 0 || kk < 0 || ii >= ni || jj >= nj || kk >= nk) continue;
            out[ii + ni * (jj + nj * kk)] = true;
        }
        return out;
    }

    /** Number of true voxels. */
    public static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) if (b) n++;
        return n;
    }

    /** Inclusive bounding box {imin, jmin, kmin, imax, jmax, kmax}; null for an empty mask. */
    public static int[] bbox(boolean[] mask, int[] dims) {
        int[] b = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, -1, -1, -1};
        int ni = dims[0], nj = dims[1];
        for (int v = 0; v < mask.length; v++) {
            if (!mask[v]) continue;
            int i = v % ni, j = (v / ni) % nj, k = v / (ni * nj);
            b[0] = Math.min(b[0], i); b[1] = Math.min(b[1], j); b[2] = Math.min(b[2], k);
            b[3] = Math.max(b[3], i); b[4] = Math.max(b[4], j); b[5] = Math.max(b[5], k);
        }
        return b[3] < 0 ? null : b;
    }
}
