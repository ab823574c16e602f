package io.github.ies.instances;

import java.util.ArrayList;
import java.util.List;

/**
 * The one definition of the lesion table's columns: names, order and the text of each cell. lesions.csv is
 * {@link #BASE} (the measurements of {@link LesionRow}) then, per map ({@link PeakKey}, in the order the maps were
 * added), {@code <prefix>_peak_pos}, {@code <prefix>_peak_neg} (not for a layer map, a ReLU) and, with the
 * uncertainty option, {@code <prefix>_peak_pos_se} and {@code <prefix>_peak_neg_se}; the prefix is
 * {@link PeakKey#columnPrefix} (e.g. {@code smoothgrad_max_flair_peak_pos}); then, with SmoothGrad-max maps of more
 * than one channel, one {@link #shareColumn} per channel ({@code smoothgrad_max_flair_share}). Cell text: {@link LesionTable#format}
 * (integers as is, derived doubles to 6 significant digits, float32 values as the shortest text that reads back,
 * undefined values empty).
 */
public final class LesionColumns {

    private LesionColumns() {}

    public static final String ID = "id", CATEGORY = "category", VOXELS = "voxels", VOLUME = "volume_mm3",
            MEAN_PROBABILITY = "mean_probability", MAX_PROBABILITY = "max_probability";
    /** The axes of the voxel centroid and box ({@code i, j, k}) and of the world centroid ({@code x, y, z}). */
    private static final String[] VOXEL_AXES = {"i", "j", "k"}, WORLD_AXES = {"x", "y", "z"};
    public static final List<String> CENTROID_VOXEL = List.of(centroid(VOXEL_AXES[0]), centroid(VOXEL_AXES[1]), centroid(VOXEL_AXES[2]));
    public static final List<String> CENTROID_WORLD = List.of(centroid(WORLD_AXES[0]), centroid(WORLD_AXES[1]), centroid(WORLD_AXES[2]));
    public static final List<String> BBOX_MIN = List.of(bbox(0, false), bbox(1, false), bbox(2, false));
    public static final List<String> BBOX_MAX = List.of(bbox(0, true), bbox(1, true), bbox(2, true));

    /** The measurement columns, in order (every lesions.csv starts with them). */
    public static final List<String> BASE = base();

    private static final String PEAK_POS = "_peak_pos", PEAK_NEG = "_peak_neg", SE = "_se";

    private static String centroid(String axis) { return "centroid_" + axis; }
    private static String bbox(int axis, boolean max) { return "bbox_" + VOXEL_AXES[axis] + (max ? "_max" : "_min"); }

    private static List<String> base() {
        List<String> b = new ArrayList<>(List.of(ID, CATEGORY, VOXELS, VOLUME));
        b.addAll(CENTROID_VOXEL);
        b.addAll(CENTROID_WORLD);
        b.addAll(BBOX_MIN);
        b.addAll(BBOX_MAX);
        b.add(MEAN_PROBABILITY);
        b.add(MAX_PROBABILITY);
        return List.copyOf(b);
    }

    /** A derived double as its cell reads back (6 significant digits: {@link LesionTable#round}); NaN when undefined. */
    public static double asWritten(double d) {
        String t = LesionTable.round(d, LesionTable.SIGNIFICANT_DIGITS);
        return t.isEmpty() ? Double.NaN : Double.parseDouble(t);
    }

    /** A peak column: {@code <prefix>_peak_pos} or {@code _peak_neg}, {@code _se} appended for its standard error. */
    public static String peakColumn(PeakKey key, boolean positive, boolean standardError) {
        return key.columnPrefix() + (positive ? PEAK_POS : PEAK_NEG) + (standardError ? SE : "");
    }

    /** The columns of one map's peaks, in order: positive, negative (not for a layer map), their errors when asked. */
    public static List<String> peakColumns(PeakKey key, boolean standardErrors) {
        List<String> out = new ArrayList<>();
        out.add(peakColumn(key, true, false));
        if (key.hasNegative()) out.add(peakColumn(key, false, false));
        if (standardErrors) {
            out.add(peakColumn(key, true, true));
            out.add(peakColumn(key, false, true));
        }
        return out;
    }

    /** The SmoothGrad-max method's column prefix (the saliency registry's key, written with {@code _}). */
    private static final String SHARE = "_share", SMOOTHGRAD_MAX = "smoothgrad_max";

    /**
     * A channel-share column, {@code smoothgrad_max_<channel>_share}: the channel's share of the SmoothGrad-max
     * attribution inside the lesion's bounding box, sum over the box of |S_max,c| divided by that sum over every
     * channel (0..1; the channels of a lesion add up to 1; empty when every map is zero in the box).
     */
    public static String shareColumn(String channel) {
        return (SMOOTHGRAD_MAX + "_" + channel).replace('-', '_') + SHARE;
    }

    /** Whether a column is a channel-share column ({@link #shareColumn}). */
    public static boolean isShare(String column) {
        return column.startsWith(SMOOTHGRAD_MAX + "_") && column.endsWith(SHARE);
    }

    /** Whether a column is a peak (positive or negative, not a standard error). */
    public static boolean isPeak(String column) {
        return column.endsWith(PEAK_POS) || column.endsWith(PEAK_NEG);
    }

    /** Whether a column is a peak or a peak's standard error. */
    public static boolean isPeakOrError(String column) {
        return parsePeak(column) != null;
    }

    /** A peak or standard-error column parsed: its key's prefix, sign and whether it is an error; null for any other column. */
    record ParsedPeak(String prefix, boolean positive, boolean standardError) { }

    static ParsedPeak parsePeak(String column) {
        boolean se = column.endsWith(SE);
        String c = se ? column.substring(0, column.length() - SE.length()) : column;
        if (c.endsWith(PEAK_POS)) return new ParsedPeak(c.substring(0, c.length() - PEAK_POS.length()), true, se);
        if (c.endsWith(PEAK_NEG)) return new ParsedPeak(c.substring(0, c.length() - PEAK_NEG.length()), false, se);
        return null;
    }

    /** The value of a base column of a row, as {@link LesionTable#format} writes it (Integer, Double, Float or String). */
    static Object value(LesionRow r, String column) {
        switch (column) {
            case ID: return r.id();
            case CATEGORY: return r.category();
            case VOXELS: return r.voxels() < 0 ? null : r.voxels();
            case VOLUME: return r.volumeMm3();
            case MEAN_PROBABILITY: return r.meanProbability();
            case MAX_PROBABILITY: return r.maxProbabilityRounded() ? (Object) (double) r.maxProbability() : (Object) r.maxProbability();
            default:
        }
        int a;
        if ((a = CENTROID_VOXEL.indexOf(column)) >= 0) return r.centroidVoxel() == null ? null : r.centroidVoxel()[a];
        if ((a = CENTROID_WORLD.indexOf(column)) >= 0) return r.centroidWorld() == null ? null : r.centroidWorld()[a];
        if ((a = BBOX_MIN.indexOf(column)) >= 0) return r.bboxMin() == null ? null : r.bboxMin()[a];
        if ((a = BBOX_MAX.indexOf(column)) >= 0) return r.bboxMax() == null ? null : r.bboxMax()[a];
        throw new IllegalArgumentException("not a lesion table column: " + column);
    }
}
