package io.github.ies.geometry;

import java.util.Arrays;
import java.util.Locale;

/**
 * The grid a network was trained on, as a bundle declares it ({@code "orientation"}, {@code "spacing"},
 * {@code "spacing_tolerance"} in ies-model.json): MONAI's {@code Orientationd(axcodes)} followed by
 * {@code Spacingd(pixdim)}. Either part may be absent (null): no reorientation, or no resampling.
 */
public final class ModelGeometry {

    /** MONAI's AFFINE_TOL: a spacing within this many mm of the target is kept (no resampling along that axis). */
    public static final double DEFAULT_SPACING_TOLERANCE = 1e-3;

    private final String orientation;
    private final double[] spacing;
    private final double spacingTolerance;

    /**
     * @param orientation axis codes such as "RAS" (see {@link Orientation#ofCodes}), or null
     * @param spacing     voxel size in mm along the model grid's three axes (after reorientation), or null
     * @param tolerance   mm; a native spacing within it of the target is kept
     * @throws IllegalArgumentException naming the bad value
     */
    public ModelGeometry(String orientation, double[] spacing, double tolerance) {
        if (orientation != null) Orientation.ofCodes(orientation);
        if (spacing != null) {
            if (spacing.length != 3) throw new IllegalArgumentException("spacing must have 3 values (mm), got " + spacing.length);
            for (double s : spacing) {
                if (!(s > 0) || Double.isInfinite(s)) throw new IllegalArgumentException("spacing must be positive (mm), got " + Arrays.toString(spacing));
            }
        }
        if (!(tolerance >= 0) || Double.isInfinite(tolerance)) throw new IllegalArgumentException("spacing tolerance must be >= 0 (mm), got " + tolerance);
        this.orientation = orientation == null ? null : orientation.toUpperCase(Locale.ROOT);
        this.spacing = spacing == null ? null : spacing.clone();
        this.spacingTolerance = tolerance;
    }

    public ModelGeometry(String orientation, double[] spacing) {
        this(orientation, spacing, DEFAULT_SPACING_TOLERANCE);
    }

    /** Axis codes (upper case), or null when the bundle declares no orientation. */
    public String orientation() { return orientation; }

    /** mm per model-grid axis, or null when the bundle declares no spacing. */
    public double[] spacing() { return spacing == null ? null : spacing.clone(); }

    public double spacingTolerance() { return spacingTolerance; }

    /** True when neither an orientation nor a spacing is declared (inputs run as stored). */
    public boolean none() { return orientation == null && spacing == null; }

    @Override
    public String toString() {
        return "ModelGeometry[orientation " + (orientation == null ? "as stored" : orientation) + ", spacing "
                + (spacing == null ? "as stored" : Arrays.toString(spacing) + " mm (tolerance " + spacingTolerance + " mm)") + "]";
    }
}
