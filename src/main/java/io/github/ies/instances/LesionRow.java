package io.github.ies.instances;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One instance of the lesion table, typed: its id, category ({@code TP}, {@code FP}, {@code FN}, {@code TN}, or empty
 * without ground truth), measurements and the peaks of its maps keyed by method and channel. lesions.csv and the Fiji
 * results table are views of these rows ({@link LesionColumns}). Undefined values: NaN; from a table lacking the
 * columns (read back): NaN, {@code voxels} -1, the box and centroids null.
 *
 * @param centroidVoxel mean (i, j, k) of the voxels
 * @param centroidWorld that point through the affine (x, y, z, mm)
 * @param bboxMin inclusive bounding box minima (i, j, k)
 * @param bboxMax inclusive bounding box maxima (i, j, k)
 * @param meanProbability mean probability over the voxels (a derived quantity: 6 significant digits)
 * @param maxProbability max probability over the voxels (a float32 value of the map)
 * @param maxProbabilityRounded the max probability is written like a derived quantity (6 significant digits), as rows
 *        recomputed on the input's grid ({@link InstanceResult#onGrid}) always wrote it; otherwise as a float32 value
 * @param peaks the maps' peaks, in column order
 */
public record LesionRow(int id, String category, int voxels, double volumeMm3, double[] centroidVoxel, double[] centroidWorld,
        int[] bboxMin, int[] bboxMax, double meanProbability, float maxProbability, boolean maxProbabilityRounded,
        Map<PeakKey, Peak> peaks) {

    public LesionRow {
        category = category == null ? "" : category;
        if (!Double.isFinite(meanProbability)) meanProbability = Double.NaN;
        if (!Float.isFinite(maxProbability)) maxProbability = Float.NaN;
        centroidVoxel = centroidVoxel == null ? null : centroidVoxel.clone();
        centroidWorld = centroidWorld == null ? null : centroidWorld.clone();
        bboxMin = bboxMin == null ? null : bboxMin.clone();
        bboxMax = bboxMax == null ? null : bboxMax.clone();
        peaks = Collections.unmodifiableMap(new LinkedHashMap<>(peaks == null ? Map.of() : peaks));
    }

    /** The row of an instance found in a label image (no peaks). */
    public static LesionRow of(Instance in, int id, String category, double meanProbability, float maxProbability) {
        return new LesionRow(id, category, in.voxels, in.volumeMm3, in.centroidVoxel, in.centroidWorld, in.bboxMin, in.bboxMax,
                meanProbability, maxProbability, false, Map.of());
    }

    public LesionRow withCategory(String c) {
        return new LesionRow(id, c, voxels, volumeMm3, centroidVoxel, centroidWorld, bboxMin, bboxMax, meanProbability, maxProbability,
                maxProbabilityRounded, peaks);
    }

    /** This row with a peak set (replacing one of the same key). */
    public LesionRow withPeak(PeakKey key, Peak peak) {
        Map<PeakKey, Peak> p = new LinkedHashMap<>(peaks);
        p.put(key, peak);
        return new LesionRow(id, category, voxels, volumeMm3, centroidVoxel, centroidWorld, bboxMin, bboxMax, meanProbability, maxProbability,
                maxProbabilityRounded, p);
    }

    /** The peak of a map, or null when the lesion has none (not explained, or not with that method). */
    public Peak peak(PeakKey key) { return peaks.get(key); }

    /** Whether any map of this lesion has a (defined) positive peak: the lesion was explained. */
    public boolean explained() {
        for (Peak p : peaks.values()) if (!Float.isNaN(p.pos())) return true;
        return false;
    }

    /**
     * The voxel nearest the centroid: each coordinate as the table writes it (6 significant digits), rounded; null
     * without a centroid.
     */
    public int[] centreVoxel() {
        if (centroidVoxel == null) return null;
        int[] c = new int[3];
        for (int a = 0; a < 3; a++) c[a] = (int) Math.round(LesionColumns.asWritten(centroidVoxel[a]));
        return c;
    }

    /** The bounding box extent along an axis (voxels), or -1 without a box. */
    public int extent(int axis) {
        return bboxMin == null || bboxMax == null ? -1 : bboxMax[axis] - bboxMin[axis] + 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LesionRow r && id == r.id && category.equals(r.category) && voxels == r.voxels
                && Double.compare(volumeMm3, r.volumeMm3) == 0 && Arrays.equals(centroidVoxel, r.centroidVoxel)
                && Arrays.equals(centroidWorld, r.centroidWorld) && Arrays.equals(bboxMin, r.bboxMin) && Arrays.equals(bboxMax, r.bboxMax)
                && Double.compare(meanProbability, r.meanProbability) == 0 && Float.compare(maxProbability, r.maxProbability) == 0
                && maxProbabilityRounded == r.maxProbabilityRounded && peaks.equals(r.peaks);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, category, voxels, volumeMm3, Arrays.hashCode(centroidVoxel), Arrays.hashCode(centroidWorld),
                Arrays.hashCode(bboxMin), Arrays.hashCode(bboxMax), meanProbability, maxProbability, maxProbabilityRounded, peaks);
    }

    @Override
    public String toString() {
        return "LesionRow[id=" + id + ", category=" + category + ", voxels=" + voxels + ", volume_mm3=" + volumeMm3 + ", centroid="
                + Arrays.toString(centroidVoxel) + ", bbox=" + Arrays.toString(bboxMin) + ".." + Arrays.toString(bboxMax) + ", peaks=" + peaks + "]";
    }
}
