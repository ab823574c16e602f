package io.github.ies.instances;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Benchmark of {@link ConnectedComponents} (run by {@code scripts/bench-labeling}): a 182x218x182 volume (1 mm
 * MNI grid) with a synthetic lesion load (random ellipsoids of 1 to 6 voxels radius inside a brain-shaped
 * ellipsoid, plus scattered single voxels) at the given foreground fraction; median voxels per second of
 * {@code label} over repeated runs on one thread, for 6/18/26-connectivity, and the best time of the instance table (centroids, bounding boxes).
 *
 * <p>Arguments: {@code [foregroundFraction=0.015] [repeats=15] [seed=1]}.
 */
public final class LabelingBenchmark {

    private LabelingBenchmark() {}

    static Volume lesionLoad(int[] dims, double fraction, long seed) {
        Volume v = Volume.zeros(dims, Geometry.axisAligned(new double[] {1, 1, 1}, new double[] {91, 126, 72}));
        float[] d = v.data();
        int nx = dims[0], ny = dims[1], nz = dims[2];
        SplittableRandom rng = new SplittableRandom(seed);
        long target = (long) (fraction * d.length), fg = 0;
        while (fg < target) {
            double ci = nx / 2.0 + (rng.nextDouble() - 0.5) * nx * 0.7, cj = ny / 2.0 + (rng.nextDouble() - 0.5) * ny * 0.7,
                    ck = nz / 2.0 + (rng.nextDouble() - 0.5) * nz * 0.7;
            if (rng.nextInt(4) == 0) { // scattered small specks
                int idx = (int) ci + nx * ((int) cj + ny * (int) ck);
                if (d[idx] == 0) { d[idx] = 1; fg++; }
                continue;
            }
            double ra = 1 + rng.nextDouble() * 5, rb = 1 + rng.nextDouble() * 5, rc = 1 + rng.nextDouble() * 5;
            for (int k = (int) Math.max(0, ck - rc); k <= Math.min(nz - 1, ck + rc); k++)
                for (int j = (int) Math.max(0, cj - rb); j <= Math.min(ny - 1, cj + rb); j++)
                    for (int i = (int) Math.max(0, ci - ra); i <= Math.min(nx - 1, ci + ra); i++) {
                        double x = (i - ci) / ra, y = (j - cj) / rb, z = (k - ck) / rc;
                        int idx = i + nx * (j + ny * k);
                        if (x * x + y * y + z * z <= 1 && d[idx] == 0) { d[idx] = 1; fg++; }
                    }
        }
        return v;
    }

    public static void main(String[] args) {
        double fraction = args.length > 0 ? Double.parseDouble(args[0]) : 0.015;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        int[] dims = {182, 218, 182};
        Volume v = lesionLoad(dims, fraction, seed);
        int fg = 0;
        for (float x : v.data()) if (x != 0) fg++;
        System.out.printf(Locale.ROOT, "volume %dx%dx%d = %d voxels, foreground %d (%.2f%%), %d repeats, 1 thread, %s%n",
                dims[0], dims[1], dims[2], v.size(), fg, 100.0 * fg / v.size(), repeats, System.getProperty("java.vm.name")
                        + " " + System.getProperty("java.version"));
        System.out.println("connectivity  components  median_ms  min_ms  Mvoxels/s(median)  Mvoxels/s(best)  table_ms");
        for (Connectivity c : Connectivity.values()) {
            for (int w = 0; w < 5; w++) ConnectedComponents.label(v, c); // warm-up (JIT)
            double[] ms = new double[repeats];
            Labeling l = null;
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                l = ConnectedComponents.label(v, c);
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            int n = 0;
            double tableMs = Double.MAX_VALUE;
            for (int r = 0; r < 5; r++) { // best of 5 (the first runs include JIT compilation)
                long t0 = System.nanoTime();
                n = l.instances(v.geometry()).size();
                tableMs = Math.min(tableMs, (System.nanoTime() - t0) / 1e6);
            }
            Arrays.sort(ms);
            double med = ms[repeats / 2], min = ms[0];
            System.out.printf(Locale.ROOT, "%12d  %10d  %9.1f  %6.1f  %17.1f  %15.1f  %8.1f%n", c.neighbours, n, med, min,
                    v.size() / med / 1e3, v.size() / min / 1e3, tableMs);
        }
    }
}
