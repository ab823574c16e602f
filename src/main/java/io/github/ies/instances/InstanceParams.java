package io.github.ies.instances;

/**
 * Parameters of instance extraction and evaluation (immutable; {@code with...} return modified copies).
 * Defaults follow the authors' code: 18-connectivity, components below 6 voxels dropped (5 or fewer), 10 TN spheres.
 */
public final class InstanceParams {

    public final Connectivity connectivity;
    /** Components with fewer voxels are dropped (1 or less keeps all). */
    public final int minLesionVoxels;
    /** Number of TN spheres to place when a ground truth is given. */
    public final int tnSpheres;
    /** Seed of the TN sphere placement. */
    public final long seed;
    /** Upper bound on random centre draws for all TN spheres together. */
    public final int tnMaxTries;

    public InstanceParams(Connectivity connectivity, int minLesionVoxels, int tnSpheres, long seed, int tnMaxTries) {
        if (connectivity == null) throw new IllegalArgumentException("connectivity is required");
        if (minLesionVoxels < 0) throw new IllegalArgumentException("min_lesion_voxels must be >= 0, got " + minLesionVoxels);
        if (tnSpheres < 0) throw new IllegalArgumentException("number of TN spheres must be >= 0, got " + tnSpheres);
        if (tnMaxTries < 0) throw new IllegalArgumentException("TN tries must be >= 0, got " + tnMaxTries);
        this.connectivity = connectivity;
        this.minLesionVoxels = minLesionVoxels;
        this.tnSpheres = tnSpheres;
        this.seed = seed;
        this.tnMaxTries = tnMaxTries;
    }

    public static InstanceParams defaults() {
        return new InstanceParams(Connectivity.EIGHTEEN, 6, 10, 1L, 100_000);
    }

    public InstanceParams withConnectivity(Connectivity c) {
        return new InstanceParams(c, minLesionVoxels, tnSpheres, seed, tnMaxTries);
    }

    public InstanceParams withMinLesionVoxels(int v) {
        return new InstanceParams(connectivity, v, tnSpheres, seed, tnMaxTries);
    }

    public InstanceParams withTnSpheres(int n) {
        return new InstanceParams(connectivity, minLesionVoxels, n, seed, tnMaxTries);
    }

    public InstanceParams withSeed(long s) {
        return new InstanceParams(connectivity, minLesionVoxels, tnSpheres, s, tnMaxTries);
    }

    public InstanceParams withTnMaxTries(int t) {
        return new InstanceParams(connectivity, minLesionVoxels, tnSpheres, seed, t);
    }
}
