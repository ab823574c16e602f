package io.github.ies.instances;

/**
 * A lesion's map extremes (float32 map values, written as the shortest text that reads back as the same float): the
 * maximum and minimum, and their standard errors; NaN where undefined (the minimum of a layer map, the errors without
 * the uncertainty option): an empty cell.
 */
public record Peak(float pos, float neg, float posSe, float negSe) {

    /** A peak without standard errors. */
    public static Peak of(float pos, float neg) {
        return new Peak(pos, neg, Float.NaN, Float.NaN);
    }

    /** The positive or negative peak. */
    public float value(boolean positive) { return positive ? pos : neg; }

    /** The standard error of the positive or negative peak. */
    public float standardError(boolean positive) { return positive ? posSe : negSe; }

    /** A float32 value as the double its lesions.csv text (the shortest text of the float) reads as; NaN stays NaN. */
    public static double decimal(float f) {
        return Float.isNaN(f) ? Double.NaN : Double.parseDouble(Float.toString(f));
    }
}
