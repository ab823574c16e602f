package io.github.ies.phantom;

/**
 * Deterministic smooth 3D value noise: pseudo-random values on the integer lattice (a hash of the lattice point and
 * the seed, no tables) interpolated with a quintic fade, so the field is C2 and costs eight hashes per evaluation.
 * Values lie in [-1, 1]. The same seed and coordinates give the same value on every JVM (integer hashing and
 * IEEE arithmetic only).
 */
final class Noise {

    private final long seed;

    Noise(long seed) {
        this.seed = mix(seed ^ 0x5DEECE66DL);
    }

    /** The splitmix64 finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private double lattice(int x, int y, int z) {
        long h = seed + x * 0x9E3779B97F4A7C15L + y * 0xC2B2AE3D27D4EB4FL + z * 0x165667B19E3779F9L;
        h = mix(h);
        return (h >>> 11) * 0x1.0p-52 - 1.0;
    }

    private static double fade(double t) {
        return t * t * t * (t * (t * 6 - 15) + 10);
    }

    /** Noise at a point given in lattice units (one lattice cell = one feature size). */
    double at(double x, double y, double z) {
        double fx = Math.floor(x), fy = Math.floor(y), fz = Math.floor(z);
        int ix = (int) fx, iy = (int) fy, iz = (int) fz;
        double u = fade(x - fx), v = fade(y - fy), w = fade(z - fz);
        double c000 = lattice(ix, iy, iz), c100 = lattice(ix + 1, iy, iz);
        double c010 = lattice(ix, iy + 1, iz), c110 = lattice(ix + 1, iy + 1, iz);
        double c001 = lattice(ix, iy, iz + 1), c101 = lattice(ix + 1, iy, iz + 1);
        double c011 = lattice(ix, iy + 1, iz + 1), c111 = lattice(ix + 1, iy + 1, iz + 1);
        double x00 = c000 + u * (c100 - c000), x10 = c010 + u * (c110 - c010);
        double x01 = c001 + u * (c101 - c001), x11 = c011 + u * (c111 - c011);
        double y0 = x00 + v * (x10 - x00), y1 = x01 + v * (x11 - x01);
        return y0 + w * (y1 - y0);
    }

    /** Noise at a point in mm with the given feature size in mm. */
    double atMm(double x, double y, double z, double featureMm) {
        return at(x / featureMm, y / featureMm, z / featureMm);
    }

    /** Two octaves (feature size and half of it, weights 2/3 and 1/3), still in [-1, 1]. */
    double fbmMm(double x, double y, double z, double featureMm) {
        double a = atMm(x, y, z, featureMm);
        double b = at(x * 2 / featureMm + 17.31, y * 2 / featureMm - 5.77, z * 2 / featureMm + 3.19);
        return (2 * a + b) / 3;
    }

    private static final double[][] GRAD = {
        {1, 1, 0}, {-1, 1, 0}, {1, -1, 0}, {-1, -1, 0}, {1, 0, 1}, {-1, 0, 1}, {1, 0, -1}, {-1, 0, -1},
        {0, 1, 1}, {0, -1, 1}, {0, 1, -1}, {0, -1, -1}, {1, 1, 0}, {-1, 1, 0}, {0, -1, 1}, {0, -1, -1}};

    private double grad(int x, int y, int z, double dx, double dy, double dz) {
        long h = mix(seed + x * 0x9E3779B97F4A7C15L + y * 0xC2B2AE3D27D4EB4FL + z * 0x165667B19E3779F9L);
        double[] g = GRAD[(int) (h >>> 60)];
        return g[0] * dx + g[1] * dy + g[2] * dz;
    }

    /**
     * Gradient (Perlin) noise at a point in lattice units, roughly in [-1, 1], zero on the lattice points. Its
     * zero set is a random smooth surface, used for sulci.
     */
    double perlin(double x, double y, double z) {
        double fx = Math.floor(x), fy = Math.floor(y), fz = Math.floor(z);
        int ix = (int) fx, iy = (int) fy, iz = (int) fz;
        double rx = x - fx, ry = y - fy, rz = z - fz;
        double u = fade(rx), v = fade(ry), w = fade(rz);
        double c000 = grad(ix, iy, iz, rx, ry, rz), c100 = grad(ix + 1, iy, iz, rx - 1, ry, rz);
        double c010 = grad(ix, iy + 1, iz, rx, ry - 1, rz), c110 = grad(ix + 1, iy + 1, iz, rx - 1, ry - 1, rz);
        double c001 = grad(ix, iy, iz + 1, rx, ry, rz - 1), c101 = grad(ix + 1, iy, iz + 1, rx - 1, ry, rz - 1);
        double c011 = grad(ix, iy + 1, iz + 1, rx, ry - 1, rz - 1);
        double c111 = grad(ix + 1, iy + 1, iz + 1, rx - 1, ry - 1, rz - 1);
        double x00 = c000 + u * (c100 - c000), x10 = c010 + u * (c110 - c010);
        double x01 = c001 + u * (c101 - c001), x11 = c011 + u * (c111 - c011);
        double y0 = x00 + v * (x10 - x00), y1 = x01 + v * (x11 - x01);
        return y0 + w * (y1 - y0);
    }
}
