package io.github.ies.phantom;

import java.util.Arrays;

/**
 * What to generate: seed, grid shape (i, j, k), isotropic voxel size in mm and the number of lesions requested.
 * The anatomy is defined in millimetres, so phantoms of the same seed at 1 mm and 2 mm show the same head.
 */
public final class PhantomSpec {

    public static final int[] DEFAULT_SHAPE = {96, 112, 96};
    public static final double DEFAULT_SPACING = 2.0;
    public static final int DEFAULT_LESIONS = 24;
    /** Smallest and largest accepted size per axis. */
    public static final int MIN_DIM = 32, MAX_DIM = 512;

    public final long seed;
    private final int[] shape;
    public final double spacing;
    public final int lesions;
    /** Which generator ({@link PhantomStyle#CLASSIC} unless given). */
    public final PhantomStyle style;
    /** Field of view (mm) of the realistic style's default grid ({@link #realistic}): 192 x 224 x 192 mm. */
    public static final double[] REALISTIC_FOV_MM = {192, 224, 192};

    /**
     * @throws IllegalArgumentException naming the bad value: an axis below {@value #MIN_DIM} or above
     *     {@value #MAX_DIM} voxels, a spacing that is not a positive finite number (or above 10 mm), or a
     *     negative lesion count
     */
    public PhantomSpec(long seed, int[] shape, double spacing, int lesions) {
        this(seed, shape, spacing, lesions, PhantomStyle.CLASSIC);
    }

    /** As {@link #PhantomSpec(long, int[], double, int)}, for the given style. */
    public PhantomSpec(long seed, int[] shape, double spacing, int lesions, PhantomStyle style) {
        if (style == null) throw new IllegalArgumentException("phantom style missing: use classic or realistic");
        if (shape == null || shape.length != 3) {
            throw new IllegalArgumentException("shape needs 3 sizes (I,J,K), got "
                    + (shape == null ? "none" : Arrays.toString(shape)));
        }
        for (int s : shape) {
            if (s < MIN_DIM || s > MAX_DIM) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + ": every axis must have "
                        + MIN_DIM + " to " + MAX_DIM + " voxels");
            }
        }
        if (!(spacing > 0) || !Double.isFinite(spacing) || spacing > 10) {
            throw new IllegalArgumentException("spacing must be a positive number of mm (at most 10), got " + spacing);
        }
        if (lesions < 0) throw new IllegalArgumentException("lesion count must be >= 0, got " + lesions);
        if (lesions > 200) throw new IllegalArgumentException("lesion count must be <= 200, got " + lesions);
        this.seed = seed;
        this.shape = shape.clone();
        this.spacing = spacing;
        this.lesions = lesions;
        this.style = style;
    }

    /**
     * A realistic-style subject on the default field of view ({@link #REALISTIC_FOV_MM}) at {@code spacing} mm:
     * 96 x 112 x 96 voxels at 2 mm, 192 x 224 x 192 at 1 mm (the same head: the anatomy is in mm).
     */
    public static PhantomSpec realistic(long seed, double spacing, int lesions) {
        return new PhantomSpec(seed, realisticShape(spacing), spacing, lesions, PhantomStyle.REALISTIC);
    }

    /** The realistic style's default grid at {@code spacing} mm: the field of view {@link #REALISTIC_FOV_MM}. */
    public static int[] realisticShape(double spacing) {
        if (!(spacing > 0) || !Double.isFinite(spacing)) {
            throw new IllegalArgumentException("spacing must be a positive number of mm (at most 10), got " + spacing);
        }
        int[] s = new int[3];
        for (int a = 0; a < 3; a++) s[a] = (int) Math.max(1, Math.round(REALISTIC_FOV_MM[a] / spacing));
        return s;
    }

    /** The default subject: 96x112x96 voxels of 2 mm, {@value #DEFAULT_LESIONS} lesions. */
    public static PhantomSpec defaults(long seed) {
        return new PhantomSpec(seed, DEFAULT_SHAPE, DEFAULT_SPACING, DEFAULT_LESIONS);
    }

    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return "PhantomSpec[seed=" + seed + ", shape=" + Arrays.toString(shape) + ", spacing=" + spacing
                + ", lesions=" + lesions + (style == PhantomStyle.CLASSIC ? "" : ", style=" + style.label) + "]";
    }
}
