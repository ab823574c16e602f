package io.github.ies.io;

import java.util.Locale;

/**
 * NaN and infinite values in volumes: counting them and the policy that decides what a run does with them. A NaN
 * voxel in an input spreads through the normalisation and every convolution, so one of them silently ruins a whole
 * probability map; IES therefore refuses them by default ({@link Policy#ERROR}) and, when asked
 * ({@link Policy#ZERO}, the command line's {@code --non-finite zero}), sets them to 0 and warns with their count.
 */
public final class NonFinite {

    private NonFinite() {}

    /** What to do with non-finite values. */
    public enum Policy {
        /** Stop with a message naming the volume, the count and the first voxel (the default). */
        ERROR("error"),
        /** Set them to 0 and warn with the count. */
        ZERO("zero");

        public final String key;

        Policy(String key) { this.key = key; }

        /** "error" or "zero" (case-insensitive); null when unknown. */
        public static Policy fromKey(String key) {
            for (Policy p : values()) if (p.key.equalsIgnoreCase(key == null ? "" : key.trim())) return p;
            return null;
        }
    }

    /** Counts of NaN, +Inf and -Inf values, and the index of the first non-finite one (-1 when none). */
    public static final class Count {
        public long nan, posInf, negInf;
        public int first = -1;

        public long total() { return nan + posInf + negInf; }

        /** "3 NaN, 1 +Infinity" (only the kinds present). */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            if (nan > 0) sb.append(nan).append(" NaN");
            if (posInf > 0) sb.append(sb.length() > 0 ? ", " : "").append(posInf).append(" +Infinity");
            if (negInf > 0) sb.append(sb.length() > 0 ? ", " : "").append(negInf).append(" -Infinity");
            return sb.toString();
        }
    }

    /** Counts the non-finite values of {@code a[from..to)}. */
    public static Count count(float[] a, int from, int to) {
        Count c = new Count();
        for (int i = from; i < to; i++) {
            float x = a[i];
            if (x - x != 0f) {      // NaN or infinite (x - x is NaN for both)
                if (Float.isNaN(x)) c.nan++;
                else if (x > 0) c.posInf++;
                else c.negInf++;
                if (c.first < 0) c.first = i;
            }
        }
        return c;
    }

    public static Count count(float[] a) {
        return count(a, 0, a.length);
    }

    /** Sets the non-finite values of {@code a[from..to)} to 0. */
    public static void zero(float[] a, int from, int to) {
        for (int i = from; i < to; i++) if (a[i] - a[i] != 0f) a[i] = 0f;
    }

    /**
     * Applies the policy to a volume: nothing when every voxel is finite (returns null); with {@link Policy#ERROR} a
     * {@link NonFiniteException} naming {@code what}, the counts and the first voxel; with {@link Policy#ZERO} the
     * values are set to 0 (in place) and the warning is returned.
     */
    public static String check(Volume v, String what, Policy policy) {
        Count c = count(v.data());
        if (c.total() == 0) return null;
        int[] d = v.dims();
        int f = c.first;
        String where = String.format(Locale.ROOT, "%s: %s voxel(s) of %d (the first at voxel i,j,k = %d,%d,%d)", what, c.describe(),
                v.size(), f % d[0], (f / d[0]) % d[1], f / (d[0] * d[1]));
        if (policy != Policy.ZERO) {
            throw new NonFiniteException(where + "; IES needs finite values (a NaN spreads through the whole network): fix the file,"
                    + " or set them to 0 with the non-finite policy 'zero' (--non-finite zero)");
        }
        zero(v.data(), 0, v.size());
        return where + " set to 0 (--non-finite zero)";
    }

    /** Non-finite values that the policy refuses. */
    public static final class NonFiniteException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public NonFiniteException(String message) {
            super(message);
        }
    }
}
