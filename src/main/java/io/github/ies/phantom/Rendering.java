package io.github.ies.phantom;

import static io.github.ies.phantom.Anatomy.BG;
import static io.github.ies.phantom.Anatomy.WM;
import static io.github.ies.phantom.PhantomGenerator.LESION_EDGE_SIGMA_MM;
import static io.github.ies.phantom.PhantomGenerator.PV_SIGMA_MM;

/** The noise-free images of an {@link Anatomy} for one {@link Contrast}: tissue means, texture, lesions, partial volume. */
final class Rendering {

    private final int[] d;
    private final int n;
    private final double sp;
    private final double[] spacing, centre;
    private final byte[] tissue;
    private final int[] subIndex;
    private final byte[] subLabels;
    private final Noise textureNoise, lesionNoise;

    Rendering(Anatomy anatomy, Noise lesionNoise) {
        this.d = anatomy.d;
        this.n = anatomy.n;
        this.sp = anatomy.sp;
        this.spacing = anatomy.spacing;
        this.centre = anatomy.centre;
        this.tissue = anatomy.tissue;
        this.subIndex = anatomy.subIndex;
        this.subLabels = anatomy.subLabels;
        this.textureNoise = anatomy.textureNoise;
        this.lesionNoise = lesionNoise;
    }

    /**
     * Noise-free image: tissue means with a smooth texture, lesions at their own contrast, blurred for partial
     * volume.
     */
    float[] render(Contrast c, double[] lesionContrast, short[] lesionId) {
        return render(c, lesionContrast, lesionId, null);
    }

    /**
     * As {@link #render(Contrast, double[], short[])}, with {@code extra} (may be null) added before the blur: per
     * voxel, in multiples of the white matter intensity (times the texture), for the realistic style's normal
     * hyperintensities that are not lesions.
     */
    float[] render(Contrast c, double[] lesionContrast, short[] lesionId, float[] extra) {
        float[] img = new float[n];
        float[] delta = new float[n];
        for (int k = 0, p = 0; k < d[2]; k++) {
            double z = (k - centre[2]) * sp;
            for (int j = 0; j < d[1]; j++) {
                double y = (j - centre[1]) * sp;
                for (int i = 0; i < d[0]; i++, p++) {
                    int t = tissue[p];
                    if (t == BG) continue;
                    double x = (i - centre[0]) * sp;
                    double tex = 1 + c.texture * textureNoise.fbmMm(x, y, z, 7.0);
                    double base = c.mean[t];
                    int si = subIndex == null ? -1 : subIndex[p];
                    if (si >= 0) {
                        base = 0;
                        for (int q = 0; q < 8; q++) base += c.mean[subLabels[8 * si + q]];
                        base /= 8;
                    }
                    img[p] = (float) (base * tex);
                    if (extra != null && extra[p] != 0) img[p] += (float) (c.wm * tex * extra[p]);
                    int id = lesionId[p];
                    if (id > 0) {
                        double nz = lesionNoise.atMm(x, y, z, 3.0);
                        delta[p] = (float) (c.wm * tex * (lesionContrast[id] - 1) * (1 + 0.12 * nz));
                    }
                }
            }
        }
        // lesion borders are fuzzy: the lesion contrast spreads a little into the surrounding white matter only
        // (a halo outside the ground truth, as a rater's outline sits inside the visible hyperintensity)
        float[] halo = delta.clone();
        Filters.gaussian(halo, d, spacing, LESION_EDGE_SIGMA_MM);
        for (int p = 0; p < n; p++) {
            if (lesionId[p] > 0) img[p] += delta[p];
            else if (tissue[p] == WM) img[p] += halo[p];
        }
        Filters.gaussian(img, d, spacing, PV_SIGMA_MM);
        return img;
    }
}
