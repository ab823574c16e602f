import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Read/write times of a 182x218x182 volume (MNI 1 mm grid) in the formats IES uses. Run by scripts/bench-nifti. */
public class NiftiBench {
    public static void main(String[] args) throws Exception {
        int[] d = {182, 218, 182};
        int n = d[0] * d[1] * d[2];
        float[] data = new float[n];
        Random r = new Random(1);
        // a head-like ellipsoid with smooth intensity and noise (compresses like an MRI, not like zeros)
        for (int k = 0; k < d[2]; k++)
            for (int j = 0; j < d[1]; j++)
                for (int i = 0; i < d[0]; i++) {
                    double x = (i - 91) / 75.0, y = (j - 109) / 95.0, z = (k - 91) / 80.0;
                    double rr = x * x + y * y + z * z;
                    double v = rr < 1 ? 400 + 300 * Math.cos(6 * x) * Math.sin(5 * y) + 20 * r.nextGaussian() : 3 * Math.abs(r.nextGaussian());
                    data[i + d[0] * (j + d[1] * k)] = (float) Math.rint(v);
                }
        Volume vol = new Volume(data, d, Geometry.axisAligned(new double[] {1, 1, 1}, new double[] {91, 126, 72}));
        Path dir = Files.createTempDirectory("ies-bench");
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("volume %dx%dx%d (%d voxels), %d repetitions, median seconds%n", d[0], d[1], d[2], n, reps);
        for (Object[] c : new Object[][] {{"int16", ".nii.gz"}, {"int16", ".nii"}, {"float32", ".nii.gz"}, {"float32", ".nii"}}) {
            NiftiDataType t = NiftiDataType.fromLabel((String) c[0]);
            Path p = dir.resolve("bench_" + c[0] + c[1]);
            double[] w = new double[reps], rd = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                Nifti.write(vol, p, t);
                long t1 = System.nanoTime();
                Volume back = Nifti.read(p);
                long t2 = System.nanoTime();
                if (!Arrays.equals(back.data(), data)) throw new AssertionError("round trip differs");
                w[i] = (t1 - t0) / 1e9;
                rd[i] = (t2 - t1) / 1e9;
            }
            Arrays.sort(w);
            Arrays.sort(rd);
            System.out.printf("%-8s %-8s write %6.3f s  read %6.3f s  size %6.1f MB%n", c[0], c[1], w[reps / 2], rd[reps / 2],
                    Files.size(p) / 1e6);
            Files.delete(p);
        }
        Files.delete(dir);
    }
}
