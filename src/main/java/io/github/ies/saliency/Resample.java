package io.github.ies.saliency;

/**
 * Trilinear resampling of a 3D grid stored in C order (last axis fastest), with PyTorch's
 * {@code F.interpolate(mode="trilinear", align_corners=False)} rule (what MONAI's Grad-CAM upsampler uses):
 * source coordinate = (dst + 0.5) * in / out - 0.5, clamped at 0, neighbours clamped at the border.
 */
public final class Resample {

    private Resample() {}

    public static float[] trilinear(float[] src, int[] srcDims, int[] dstDims) {
        if (srcDims.length != 3 || dstDims.length != 3) throw new IllegalArgumentException("3D grids expected");
        if ((long) srcDims[0] * srcDims[1] * srcDims[2] != src.length) {
            throw new IllegalArgumentException("source length does not match its dims");
        }
        int[][] lo = new int[3][], hi = new int[3][];
        double[][] w = new double[3][];
        for (int d = 0; d < 3; d++) {
            int nin = srcDims[d], nout = dstDims[d];
            lo[d] = new int[nout];
            hi[d] = new int[nout];
            w[d] = new double[nout];
            double scale = (double) nin / nout;
            for (int o = 0; o < nout; o++) {
                double s = (o + 0.5) * scale - 0.5;
                if (s < 0) s = 0;
                int i0 = (int) Math.floor(s);
                if (i0 > nin - 1) i0 = nin - 1;
                int i1 = Math.min(i0 + 1, nin - 1);
                lo[d][o] = i0;
                hi[d][o] = i1;
                w[d][o] = s - i0;
            }
        }
        int s1 = srcDims[1] * srcDims[2], s2 = srcDims[2];
        float[] out = new float[dstDims[0] * dstDims[1] * dstDims[2]];
        int p = 0;
        for (int x = 0; x < dstDims[0]; x++) {
            int x0 = lo[0][x] * s1, x1 = hi[0][x] * s1;
            double wx = w[0][x];
            for (int y = 0; y < dstDims[1]; y++) {
                int y0 = lo[1][y] * s2, y1 = hi[1][y] * s2;
                double wy = w[1][y];
                for (int z = 0; z < dstDims[2]; z++) {
                    int z0 = lo[2][z], z1 = hi[2][z];
                    double wz = w[2][z];
                    double c00 = src[x0 + y0 + z0] * (1 - wz) + src[x0 + y0 + z1] * wz;
                    double c01 = src[x0 + y1 + z0] * (1 - wz) + src[x0 + y1 + z1] * wz;
                    double c10 = src[x1 + y0 + z0] * (1 - wz) + src[x1 + y0 + z1] * wz;
                    double c11 = src[x1 + y1 + z0] * (1 - wz) + src[x1 + y1 + z1] * wz;
                    double c0 = c00 * (1 - wy) + c01 * wy;
                    double c1 = c10 * (1 - wy) + c11 * wy;
                    out[p++] = (float) (c0 * (1 - wx) + c1 * wx);
                }
            }
        }
        return out;
    }
}
