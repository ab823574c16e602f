package io.github.ies.saliency;

import java.util.SplittableRandom;

/**
 * Standard-normal noise e_n for SmoothGrad copy n, as a function of the copy, the channel and the voxel only, so that
 * any crop of the volume sees the same values at the same voxels (the maps of one seed do not depend on the
 * context's box, the batch size or the device). The engine scales it by sigma.
 */
interface NoiseSource {

    /** e_n on {@code box} for all channels, {@code [C, box]} in C order, 0 outside the volume. */
    float[] standardNormal(int copy, Box box, int channels, int[] dims);

    /**
     * The default source: each row of voxels along k (fixed copy, channel, i, j) is drawn from its own
     * {@link SplittableRandom} seeded by a hash of (seed, copy, channel, i, j), with Java 17's
     * {@code RandomGenerator.nextGaussian} (deterministic for a given seed, on any machine).
     */
    static NoiseSource seeded(long seed) {
        return (copy, box, channels, dims) -> {
            float[] out = new float[channels * box.voxels()];
            float[] row = new float[dims[2]];
            for (int c = 0; c < channels; c++) {
                for (int a = 0; a < box.size[0]; a++) {
                    int i = box.origin[0] + a;
                    if (i < 0 || i >= dims[0]) continue;
                    for (int b = 0; b < box.size[1]; b++) {
                        int j = box.origin[1] + b;
                        if (j < 0 || j >= dims[1]) continue;
                        int k0 = Math.max(0, box.origin[2]), k1 = Math.min(dims[2], box.origin[2] + box.size[2]);
                        if (k1 <= k0) continue;
                        SplittableRandom r = new SplittableRandom(mix(seed, copy, c, i, j));
                        for (int k = 0; k < k1; k++) row[k] = (float) r.nextGaussian();
                        int dst = c * box.voxels() + (a * box.size[1] + b) * box.size[2] + (k0 - box.origin[2]);
                        System.arraycopy(row, k0, out, dst, k1 - k0);
                    }
                }
            }
            return out;
        };
    }

    /** A 64-bit hash of the row coordinates (SplitMix64 finaliser over a running combination). */
    static long mix(long seed, int copy, int channel, int i, int j) {
        long h = seed * 0x9E3779B97F4A7C15L;
        h = fmix(h ^ copy);
        h = fmix(h ^ ((long) channel << 32 | (i & 0xffffffffL)));
        h = fmix(h ^ j);
        return h;
    }

    private static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Noise read from a full-volume array {@code [N, C, dims]} (C order); for tests that compare with an
     * independent computation given the same noise.
     */
    static NoiseSource fromArray(float[] noise, int copies, int channels, int[] dims) {
        int per = channels * dims[0] * dims[1] * dims[2];
        if ((long) copies * per != noise.length) throw new IllegalArgumentException("noise array has " + noise.length + " values");
        return (copy, box, ch, d) -> {
            float[] one = new float[per];
            System.arraycopy(noise, copy * per, one, 0, per);
            return box.extract(one, ch, d);
        };
    }
}
