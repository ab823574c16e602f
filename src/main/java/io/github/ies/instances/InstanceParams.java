package io.github.ies.instances;

import io.github.ies.request.InvalidRequest;

/**
 * Parameters of instance extraction and evaluation (immutable; {@code with...} return modified copies).
 * Defaults follow the authors' code: 18-connectivity, components below 6 voxels dropped (5 or fewer), 10 TN spheres.
 */
public final class InstanceParams {

    /** The defaults of every interface (the authors' code's). */
    public static final int DEFAULT_MIN_LESION_VOXELS = 6;
    public static final int DEFAULT_TN_SPHERES = 10;
    public static final long DEFAULT_SEED = 1;

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
        check(minLesionVoxels, tnSpheres);
        if (tnMaxTries < 0) throw new IllegalArgumentException("TN tries must be >= 0, got " + tnMaxTries);
        this.connectivity = connectivity;
        this.minLesionVoxels = minLesionVoxels;
        this.tnSpheres = tnSpheres;
        this.seed = seed;
        this.tnMaxTries = tnMaxTries;
    }

    /**
     * The one check of the instance settings a user gives, for every interface (null: the bundle's).
     *
     * @throws InvalidRequest naming the setting by key
     */
    public static void check(Integer minLesionVoxels, int tnSpheres) {
        if (minLesionVoxels != null && minLesionVoxels < 0) throw new InvalidRequest("{min_size} must be >= 0, got " + minLesionVoxels);
        if (tnSpheres < 0) throw new InvalidRequest("{tn_spheres} must be >= 0, got " + tnSpheres);
    }

    public static InstanceParams defaults() {
        return new InstanceParams(Connectivity.EIGHTEEN, DEFAULT_MIN_LESION_VOXELS, DEFAULT_TN_SPHERES, DEFAULT_SEED, 100_000);
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
