package io.github.ies.phantom;

import java.util.SplittableRandom;

import static io.github.ies.phantom.Anatomy.BG;
import static io.github.ies.phantom.PhantomGenerator.uniform;

/**
 * The scanner's part: a smooth multiplicative bias field per sequence (shared and own second-order polynomials), Rician
 * noise inside the head, and int16 quantisation with a scanner-like slope.
 */
final class BiasAndNoise {

    private final int[] d;
    private final int n;
    private final double sp;
    private final double[] centre;
    private final byte[] tissue;

    BiasAndNoise(Anatomy anatomy) {
        this.d = anatomy.d;
        this.n = anatomy.n;
        this.sp = anatomy.sp;
        this.centre = anatomy.centre;
        this.tissue = anatomy.tissue;
    }

    static double[] biasCoefficients(SplittableRandom r) {
        double[] c = new double[9];
        for (int t = 0; t < c.length; t++) c[t] = uniform(r, -1, 1) * (t < 3 ? 1.0 : 0.6);
        return c;
    }

    static double[] mixBias(double[] shared, double[] own) {
        double[] c = new double[shared.length];
        for (int t = 0; t < c.length; t++) c[t] = 0.65 * shared[t] + 0.35 * own[t];
        return c;
    }

    /** exp of a second-order polynomial in normalised coordinates, scaled to +-amp (log) inside the head. */
    float[] biasField(double[] c, double amp) {
        float[] log = new float[n];
        double maxAbs = 0;
        for (int k = 0, p = 0; k < d[2]; k++) {
            double z = (k - centre[2]) * sp / 90;
            for (int j = 0; j < d[1]; j++) {
                double y = (j - centre[1]) * sp / 100;
                for (int i = 0; i < d[0]; i++, p++) {
                    if (tissue[p] == BG) continue;
                    double x = (i - centre[0]) * sp / 80;
                    double v = c[0] * x + c[1] * y + c[2] * z + c[3] * x * x + c[4] * y * y + c[5] * z * z
                            + c[6] * x * y + c[7] * x * z + c[8] * y * z;
                    log[p] = (float) v;
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                }
            }
        }
        double scale = maxAbs > 0 ? StrictMath.log(1 + amp) / maxAbs : 0;
        for (int p = 0; p < n; p++) log[p] = tissue[p] == BG ? 0f : (float) StrictMath.exp(log[p] * scale);
        return log;
    }

    /**
     * Applies the bias field and Rician noise inside the head, zeroes the background and quantises to int16 with
     * a scanner-like slope (the largest value maps to about {@code storedMax}); returns the slope.
     */
    double finish(float[] img, float[] bias, double sigma, double storedMax, SplittableRandom rng) {
        double max = 0;
        for (int p = 0; p < n; p++) {
            if (tissue[p] == BG) {
                img[p] = 0;
                continue;
            }
            double v = rician(img[p] * bias[p], sigma, rng);
            img[p] = (float) v;
            max = Math.max(max, v);
        }
        double slope = (float) (max / storedMax);
        if (!(slope > 0)) slope = 1;
        for (int p = 0; p < n; p++) {
            if (tissue[p] == BG) continue;
            double stored = Math.max(1, Math.min(32767, Math.rint(img[p] / slope)));
            img[p] = (float) (stored * slope);
        }
        return slope;
    }

    /**
     * A Rician sample of signal {@code s}: the magnitude of s plus complex Gaussian noise of standard deviation
     * {@code sigma} per component (Box-Muller from two uniforms of {@code rng}, StrictMath for the same values on
     * every machine).
     */
    static double rician(double s, double sigma, SplittableRandom rng) {
        double u1 = rng.nextDouble(), u2 = rng.nextDouble();
        double rad = Math.sqrt(-2 * StrictMath.log(1 - u1)) * sigma;
        double n1 = rad * StrictMath.cos(2 * Math.PI * u2), n2 = rad * StrictMath.sin(2 * Math.PI * u2);
        return Math.sqrt((s + n1) * (s + n1) + n2 * n2);
    }

}
