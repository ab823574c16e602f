package io.github.ies.phantom;

/**
 * One ground-truth lesion of a phantom: a single 18-connected component of the lesion mask, separated from every
 * other lesion by at least one voxel (no two lesions are 26-adjacent).
 */
public final class Lesion {

    /** 1-based, in order of placement. */
    public final int id;
    public final LesionKind kind;
    /** Centroid in voxel coordinates (i, j, k). */
    private final double[] centroid;
    /** Number of voxels in the mask at the phantom's spacing. */
    public final int voxels;
    /** Mean FLAIR and MPRAGE contrast given to the lesion, as a multiple of the white matter intensity. */
    public final double flairContrast, mprageContrast;
    /**
     * Realistic style only (else null): the location class ({@code periventricular}, {@code juxtacortical},
     * {@code infratentorial}, {@code deep_wm}) and the MPRAGE appearance ({@code black_hole}, {@code faint}).
     */
    public final String location, t1Appearance;

    Lesion(int id, LesionKind kind, double[] centroid, int voxels, double flairContrast, double mprageContrast) {
        this(id, kind, centroid, voxels, flairContrast, mprageContrast, null, null);
    }

    Lesion(int id, LesionKind kind, double[] centroid, int voxels, double flairContrast, double mprageContrast,
            String location, String t1Appearance) {
        this.location = location;
        this.t1Appearance = t1Appearance;
        this.id = id;
        this.kind = kind;
        this.centroid = centroid.clone();
        this.voxels = voxels;
        this.flairContrast = flairContrast;
        this.mprageContrast = mprageContrast;
    }

    public double[] centroid() {
        return centroid.clone();
    }

    @Override
    public String toString() {
        return "Lesion[" + id + " " + kind.label + ", " + voxels + " voxels]";
    }
}
