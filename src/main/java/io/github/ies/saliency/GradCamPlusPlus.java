package io.github.ies.saliency;

/**
 * The paper's Grad-CAM++ formulas (section 2.4, eqs. 4-10), evaluated on a layer's activations and gradients.
 *
 * <p>Inputs are a feature layer A with K maps over a spatial grid of n elements and the gradient g = dY/dA of the
 * explained score Y, both flattened as {@code [K][n]} (the layout of a contiguous {@code [1, K, a, b, c]} tensor).
 * With S_k = sum_ab A_k(ab):
 * <pre>
 *   alpha_k(ij) = g_k(ij)^2 / (2 g_k(ij)^2 + g_k(ij)^3 S_k)      (0 where the denominator is 0)
 *   instance (eqs. 8-10): w_k(ij) = alpha_k(ij) ReLU(g_k(ij)),  map(ij) = ReLU(sum_k w_k(ij) A_k(ij))
 *   class    (eqs. 4-7):  w_k = sum_ij alpha_k(ij) ReLU(g_k(ij)), map(ij) = ReLU(sum_k w_k A_k(ij))
 * </pre>
 * No exp(score) factor and no rescaling: the values are quantitative and comparable across lesions.
 * Arithmetic is in double precision; maps are returned as float.
 */
public final class GradCamPlusPlus {

    private GradCamPlusPlus() {}

    /** alpha_k(ij) for one element, with the convention alpha = 0 where the denominator is 0. */
    static double alpha(double g, double sumA) {
        double g2 = g * g;
        double den = 2 * g2 + g2 * g * sumA;
        return den == 0 ? 0 : g2 / den;
    }

    /** S_k = sum over the grid of A_k, for each of the K maps. */
    static double[] sums(float[] a, int k, int n) {
        check(a, k, n);
        double[] s = new double[k];
        for (int c = 0; c < k; c++) {
            double acc = 0;
            int o = c * n;
            for (int e = 0; e < n; e++) acc += a[o + e];
            s[c] = acc;
        }
        return s;
    }

    /** The instance-level map (eqs. 8-10) on the layer's grid, length n. */
    public static float[] instanceMap(float[] a, float[] g, int k, int n) {
        check(a, k, n);
        check(g, k, n);
        double[] s = sums(a, k, n);
        double[] acc = new double[n];
        for (int c = 0; c < k; c++) {
            int o = c * n;
            double sc = s[c];
            for (int e = 0; e < n; e++) {
                double gv = g[o + e];
                if (gv <= 0) continue;                  // ReLU(g) = 0
                acc[e] += alpha(gv, sc) * gv * a[o + e];
            }
        }
        float[] out = new float[n];
        for (int e = 0; e < n; e++) out[e] = acc[e] > 0 ? (float) acc[e] : 0f;
        return out;
    }

    /** The class-level weights w_k (eq. 6), length K. */
    public static double[] classWeights(float[] a, float[] g, int k, int n) {
        check(a, k, n);
        check(g, k, n);
        double[] s = sums(a, k, n);
        double[] w = new double[k];
        for (int c = 0; c < k; c++) {
            int o = c * n;
            double acc = 0;
            for (int e = 0; e < n; e++) {
                double gv = g[o + e];
                if (gv > 0) acc += alpha(gv, s[c]) * gv;
            }
            w[c] = acc;
        }
        return w;
    }

    /** The class-level map (eqs. 4-7) on the layer's grid, length n. */
    public static float[] classMap(float[] a, float[] g, int k, int n) {
        double[] w = classWeights(a, g, k, n);
        double[] acc = new double[n];
        for (int c = 0; c < k; c++) {
            if (w[c] == 0) continue;
            int o = c * n;
            for (int e = 0; e < n; e++) acc[e] += w[c] * a[o + e];
        }
        float[] out = new float[n];
        for (int e = 0; e < n; e++) out[e] = acc[e] > 0 ? (float) acc[e] : 0f;
        return out;
    }

    private static void check(float[] x, int k, int n) {
        if (k <= 0 || n <= 0 || (long) k * n != x.length) {
            throw new IllegalArgumentException("expected " + k + " x " + n + " values, got " + x.length);
        }
    }
}
