package io.github.ies.phantom;

/** Separable Gaussian blur and exact Euclidean distance transform on flat float arrays (NIfTI order, i fastest). */
final class Filters {

    private Filters() {}

    /** Blurs in place with a Gaussian of standard deviation {@code sigmaMm} (mm), clamping at the borders. */
    static void gaussian(float[] data, int[] d, double[] spacing, double sigmaMm) {
        for (int axis = 0; axis < 3; axis++) {
            double s = sigmaMm / spacing[axis];
            if (s < 0.05) continue;
            int r = (int) Math.ceil(3 * s);
            double[] kernel = new double[2 * r + 1];
            double sum = 0;
            for (int t = -r; t <= r; t++) {
                kernel[t + r] = StrictMath.exp(-0.5 * t * t / (s * s));
                sum += kernel[t + r];
            }
            for (int t = 0; t < kernel.length; t++) kernel[t] /= sum;
            convolveAxis(data, d, axis, kernel, r);
        }
    }

    private static void convolveAxis(float[] data, int[] d, int axis, double[] kernel, int r) {
        int n = d[axis];
        int stride = axis == 0 ? 1 : axis == 1 ? d[0] : d[0] * d[1];
        int[] other = axis == 0 ? new int[] {d[1], d[2]} : axis == 1 ? new int[] {d[0], d[2]} : new int[] {d[0], d[1]};
        float[] line = new float[n];
        float[] out = new float[n];
        for (int b = 0; b < other[1]; b++) {
            for (int a = 0; a < other[0]; a++) {
                int base;
                if (axis == 0) base = d[0] * (a + d[1] * b);
                else if (axis == 1) base = a + d[0] * d[1] * b;
                else base = a + d[0] * b;
                boolean any = false;
                for (int t = 0, p = base; t < n; t++, p += stride) {
                    line[t] = data[p];
                    any |= line[t] != 0;
                }
                if (!any) continue;
                for (int t = 0; t < n; t++) {
                    double acc = 0;
                    int lo = t - r, hi = t + r;
                    if (lo >= 0 && hi < n) {
                        for (int q = 0; q < kernel.length; q++) acc += kernel[q] * line[lo + q];
                    } else {
                        for (int q = 0; q < kernel.length; q++) {
                            int idx = Math.min(n - 1, Math.max(0, lo + q));
                            acc += kernel[q] * line[idx];
                        }
                    }
                    out[t] = (float) acc;
                }
                for (int t = 0, p = base; t < n; t++, p += stride) data[p] = out[t];
            }
        }
    }

    private static final double FAR = 1e20;

    /**
     * Exact Euclidean distance (mm) from every voxel to the nearest voxel where {@code feature} is true
     * (Felzenszwalb-Huttenlocher, three separable passes). Without any feature voxel every distance is huge (1e10).
     */
    static float[] distance(boolean[] feature, int[] d, double[] spacing) {
        int n = feature.length;
        double[] f = new double[n];
        for (int p = 0; p < n; p++) f[p] = feature[p] ? 0 : FAR;
        int maxLen = Math.max(d[0], Math.max(d[1], d[2]));
        double[] line = new double[maxLen], res = new double[maxLen], z = new double[maxLen + 1];
        int[] v = new int[maxLen];
        for (int axis = 0; axis < 3; axis++) {
            int len = d[axis];
            int stride = axis == 0 ? 1 : axis == 1 ? d[0] : d[0] * d[1];
            double w2 = spacing[axis] * spacing[axis];
            int o0 = axis == 0 ? d[1] : d[0];
            int o1 = axis == 2 ? d[1] : d[2];
            for (int b = 0; b < o1; b++) {
                for (int a = 0; a < o0; a++) {
                    int base;
                    if (axis == 0) base = d[0] * (a + d[1] * b);
                    else if (axis == 1) base = a + d[0] * d[1] * b;
                    else base = a + d[0] * b;
                    boolean any = false;
                    for (int t = 0, p = base; t < len; t++, p += stride) {
                        line[t] = f[p];
                        any |= line[t] < FAR;
                    }
                    if (!any) continue;
                    transform1d(line, len, w2, res, v, z);
                    for (int t = 0, p = base; t < len; t++, p += stride) f[p] = res[t];
                }
            }
        }
        float[] out = new float[n];
        for (int p = 0; p < n; p++) out[p] = f[p] >= FAR ? 1e10f : (float) Math.sqrt(f[p]);
        return out;
    }

    private static void transform1d(double[] f, int n, double w2, double[] out, int[] v, double[] z) {
        int first = 0;
        while (first < n && f[first] >= FAR) first++;
        int k = 0;
        v[0] = first;
        z[0] = Double.NEGATIVE_INFINITY;
        z[1] = Double.POSITIVE_INFINITY;
        for (int q = first + 1; q < n; q++) {
            if (f[q] >= FAR) continue;
            double s = intersection(f, w2, q, v[k]);
            while (s <= z[k]) {
                k--;
                s = intersection(f, w2, q, v[k]);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        k = 0;
        for (int q = 0; q < n; q++) {
            while (z[k + 1] < q) k++;
            double dq = q - v[k];
            out[q] = w2 * dq * dq + f[v[k]];
        }
    }

    private static double intersection(double[] f, double w2, int q, int p) {
        return ((f[q] + w2 * (double) q * q) - (f[p] + w2 * (double) p * p)) / (2 * w2 * (q - p));
    }
}
