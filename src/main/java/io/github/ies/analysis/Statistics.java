package io.github.ies.analysis;

import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.commons.statistics.inference.AlternativeHypothesis;
import org.apache.commons.statistics.inference.ContinuityCorrection;
import org.apache.commons.statistics.inference.MannWhitneyUTest;
import org.apache.commons.statistics.inference.PValueMethod;

import java.util.Arrays;

/**
 * The statistics of the paper's analyses: two-sided Mann-Whitney U test (Apache Commons Statistics, normal
 * approximation with continuity correction and tie correction, i.e. SciPy's {@code mannwhitneyu(x, y,
 * alternative="two-sided", method="asymptotic", use_continuity=True)}), the rank-biserial correlation, and the
 * median with its distribution-free 95% confidence interval from order statistics.
 */
public final class Statistics {

    private Statistics() {}

    private static final MannWhitneyUTest MWU = MannWhitneyUTest.withDefaults()
            .with(AlternativeHypothesis.TWO_SIDED)
            .with(PValueMethod.ASYMPTOTIC)
            .with(ContinuityCorrection.ENABLED);

    /** Result of a two-sample test: U of the first sample, the two-sided p-value and the rank-biserial correlation. */
    public static final class MannWhitney {
        public final int nA, nB;
        /** The Mann-Whitney U statistic of sample a (number of pairs with a > b, ties counting 1/2). */
        public final double u;
        public final double pValue;
        /** 2 U / (n_a n_b) - 1 = P(a > b) - P(a < b), in [-1, 1]. */
        public final double rankBiserial;

        MannWhitney(int nA, int nB, double u, double pValue) {
            this.nA = nA;
            this.nB = nB;
            this.u = u;
            this.pValue = pValue;
            this.rankBiserial = 2.0 * u / ((double) nA * nB) - 1.0;
        }
    }

    /**
     * Two-sided Mann-Whitney U test of a against b (asymptotic p-value, continuity and tie corrected). When every
     * value of both samples is the same the statistic has no variance and the p-value is 1 (as SciPy reports).
     */
    public static MannWhitney mannWhitney(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new IllegalArgumentException("Mann-Whitney U test needs two non-empty samples, got sizes " + a.length + " and " + b.length);
        }
        checkFinite(a, "first sample");
        checkFinite(b, "second sample");
        if (allEqual(a, b)) return new MannWhitney(a.length, b.length, a.length * (double) b.length / 2.0, 1.0);
        // Commons ranks -0.0 below 0.0 (Double.compare order); numerically they are the same value (a tie)
        MannWhitneyUTest.Result r = MWU.test(positiveZero(a), positiveZero(b));
        return new MannWhitney(a.length, b.length, r.getStatistic(), r.getPValue());
    }

    private static double[] positiveZero(double[] x) {
        double[] c = x.clone();
        for (int i = 0; i < c.length; i++) c[i] += 0.0;
        return c;
    }

    private static boolean allEqual(double[] a, double[] b) {
        double v = a[0];
        for (double x : a) if (x != v) return false;
        for (double x : b) if (x != v) return false;
        return true;
    }

    private static void checkFinite(double[] x, String what) {
        for (double v : x) if (!Double.isFinite(v)) throw new IllegalArgumentException(what + " contains a non-finite value: " + v);
    }

    /** A median with its confidence interval (NaN bounds when the sample is too small for the level). */
    public static final class Median {
        public final int n;
        public final double median, lo, hi;
        /** The exact coverage of [lo, hi] for a continuous distribution (NaN when there is no interval). */
        public final double coverage;

        Median(int n, double median, double lo, double hi, double coverage) {
            this.n = n;
            this.median = median;
            this.lo = lo;
            this.hi = hi;
            this.coverage = coverage;
        }
    }

    /**
     * The median (mean of the two middle values for an even count, as NumPy) and the distribution-free 95%
     * confidence interval [x_(k), x_(n-k+1)] (1-based order statistics) with k the 2.5% quantile of Binomial(n, 1/2)
     * (the smallest k with P(B <= k) >= 0.025); its coverage 1 - 2 P(B <= k - 1) is at least 95%. No interval
     * (NaN) for n <= 5. Empty input: all NaN.
     */
    public static Median median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return medianOfSorted(s);
    }

    /** As {@link #median} for an already sorted array (not copied). */
    public static Median medianOfSorted(double[] s) {
        int n = s.length;
        if (n == 0) return new Median(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        checkFinite(s, "sample");
        double med = (n % 2 == 1) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
        BinomialDistribution bin = BinomialDistribution.of(n, 0.5);
        int k = bin.inverseCumulativeProbability(0.025);
        if (k < 1) return new Median(n, med, Double.NaN, Double.NaN, Double.NaN);
        double coverage = 1 - 2 * bin.cumulativeProbability(k - 1);
        return new Median(n, med, s[k - 1], s[n - k], coverage);
    }

    /** Fraction of values > 0 and < 0 (NaN for an empty array). */
    public static double[] signFractions(double[] values) {
        if (values.length == 0) return new double[] {Double.NaN, Double.NaN};
        int pos = 0, neg = 0;
        for (double v : values) {
            if (v > 0) pos++;
            else if (v < 0) neg++;
        }
        return new double[] {pos / (double) values.length, neg / (double) values.length};
    }

    /** Quartiles (linear interpolation between order statistics, NumPy's default) of a sorted array: q25, q50, q75. */
    public static double quantileOfSorted(double[] s, double q) {
        if (s.length == 0) return Double.NaN;
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}
