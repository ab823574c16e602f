package io.github.ies.analysis;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.Segmenter;
import io.github.ies.model.SlidingWindow;
import org.junit.Test;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Random;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The lesion-restricted sliding window equals a whole-volume sliding-window inference of the zeroed input. */
public class ContextExperimentTest {

    static Path tinyBundle() throws Exception {
        return Paths.get(ContextExperimentTest.class.getResource("/model/tiny-bundle").toURI());
    }

    static Volume[] subject(int[] dims, Random r) {
        Geometry g = Geometry.axisAligned(new double[] {1.2, 1, 2}, new double[] {0, 0, 0});
        Volume f = Volume.zeros(dims, g), m = Volume.zeros(dims, g);
        for (int v = 0; v < f.size(); v++) {
            f.data()[v] = (float) (100 + 20 * r.nextGaussian());
            m.data()[v] = (float) (300 + 50 * r.nextGaussian());
        }
        return new Volume[] {f, m};
    }

    static void blob(Volume labels, int id, int ci, int cj, int ck, int n) {
        int added = 0;
        for (int k = ck; k < labels.dim(2) && added < n; k++)
            for (int j = cj; j < cj + 3 && added < n; j++)
                for (int i = ci; i < ci + 3 && added < n; i++) { labels.set(i, j, k, id); added++; }
    }

    void check(int[] dims, int[][] lesions) throws Exception {
        check(dims, lesions, tinyBundle(), false);
    }

    /**
     * {@code wholeImageZscore}: the bundle normalises with "zscore" (whole image), so the reference sets the input
     * outside the context to what that normalisation makes of a raw 0 voxel, -mean / std per channel (computed here
     * independently, as NumPy would: population std in double precision), instead of 0.
     */
    void check(int[] dims, int[][] lesions, Path bundlePath, boolean wholeImageZscore) throws Exception {
        Random r = new Random(5);
        Volume[] ch = subject(dims, r);
        Volume labels = ch[0].zerosLike();
        for (int[] l : lesions) blob(labels, l[0], l[1], l[2], l[3], l[4]);
        ModelBundle bundle = ModelBundle.load(bundlePath);
        float[] fill = new float[2];
        if (wholeImageZscore) {
            for (int c = 0; c < 2; c++) {
                double sum = 0, ss = 0;
                float[] d = ch[c].data();
                for (float v : d) sum += v;
                double mean = sum / d.length;
                for (float v : d) ss += (v - mean) * (v - mean);
                fill[c] = (float) (-mean / Math.sqrt(ss / d.length));
                assertTrue(fill[c] < -1); // far from 0: the test tells the two fills apart
            }
        }
        Segmenter.Options so = new Segmenter.Options();
        so.threads = 1;
        try (Segmenter seg = new Segmenter(bundle, so)) {
            ContextExperiment.Options o = new ContextExperiment.Options();
            o.minVoxels = 5;
            o.maxVoxels = 40;
            o.steps = 3;
            o.batchSize = 3;
            o.threshold = 0.5;
            ContextExperiment.Result res = ContextExperiment.run(seg, ch, labels, o, null);
            for (int c = 0; c < 2; c++) assertEquals(fill[c], res.fill[c], 1e-6);
            assertEquals(lesions.length - 1, res.lesions.size()); // the last blob is too large
            float[] x = Segmenter.normalize(bundle, ch);
            SlidingWindow sw = new SlidingWindow(bundle.patchSize(), bundle.overlap(), bundle.blending());
            int[] p = bundle.patchSize();
            int d0 = dims[0], d1 = dims[1], d2 = dims[2], vox = d0 * d1 * d2;
            for (int l = 0; l < res.lesions.size(); l++) {
                int id = res.lesions.get(l).id;
                boolean[] region = new boolean[vox];
                for (int v = 0; v < vox; v++) region[v] = labels.data()[v] == id;
                boolean[] lesion = region.clone();
                for (int s = 0; s <= o.steps; s++) {
                    if (s > 0) region = Operators.dilate18(region, dims);
                    float[] xz = new float[x.length];
                    for (int v = 0; v < vox; v++) {
                        int i = v % d0, j = (v / d0) % d1, k = v / (d0 * d1), t = (i * d1 + j) * d2 + k;
                        for (int c = 0; c < 2; c++) xz[c * vox + t] = region[v] ? x[c * vox + t] : fill[c];
                    }
                    SlidingWindow.Output out = sw.run(xz, 2, dims, (batch, b) -> seg.model().forward(batch, new long[] {b, 2, p[0], p[1], p[2]}),
                            4, null);
                    float[] prob = bundle.activation().lesionProbability(out.values, out.channels, bundle.lesionChannel());
                    double sum = 0, mx = -1;
                    int n = 0;
                    for (int v = 0; v < vox; v++) {
                        if (!lesion[v]) continue;
                        int i = v % d0, j = (v / d0) % d1, k = v / (d0 * d1);
                        float pv = prob[(i * d1 + j) * d2 + k];
                        sum += pv;
                        mx = Math.max(mx, pv);
                        n++;
                    }
                    assertEquals("lesion " + id + " step " + s, sum / n, res.meanScore[s][l], 1e-6);
                    assertEquals(mx, res.maxScore[s][l], 1e-6);
                    assertEquals(mx > 0.5, res.detected[s][l]);
                }
            }
            // the context changes the scores (the experiment is not trivially constant)
            assertTrue(Math.abs(res.meanScore[0][0] - res.meanScore[3][0]) > 1e-4);
            String csv = res.csv();
            assertTrue(csv.startsWith("step,distance_mm,mean_score,std_score,n_detected,n_lesions,lesion_" + lesions[0][0]));
            assertEquals(o.steps + 2, csv.split("\r\n").length);
            assertEquals(3 * 1.0, res.distanceMm[3], 1e-12);
        }
    }

    @Test
    public void restrictedWindowsEqualWholeVolumeInference() throws Exception {
        check(new int[] {34, 26, 21}, new int[][] {{2, 3, 4, 5, 12}, {5, 20, 10, 8, 20}, {7, 28, 20, 15, 9}, {9, 15, 15, 2, 45}});
    }

    /**
     * Under whole-image "zscore" a normalised 0 is the image's mean (mid-grey tissue), not background: outside the
     * context the experiment uses the normalised value of a raw 0 voxel, as an empty background would be.
     */
    @Test
    public void wholeImageZscoreFillsWithTheNormalisedZero() throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("ies-ctx-zscore");
        try {
            Path src = tinyBundle();
            java.nio.file.Files.copy(src.resolve("model.pt"), dir.resolve("model.pt"));
            String json = java.nio.file.Files.readString(src.resolve("ies-model.json"));
            assertTrue(json.contains("\"zscore-nonzero\""));
            java.nio.file.Files.writeString(dir.resolve("ies-model.json"), json.replace("\"zscore-nonzero\"", "\"zscore\""));
            check(new int[] {34, 26, 21}, new int[][] {{2, 3, 4, 5, 12}, {5, 20, 10, 8, 20}, {9, 15, 15, 2, 45}}, dir, true);
        } finally {
            for (String f : new String[] {"model.pt", "ies-model.json"}) java.nio.file.Files.deleteIfExists(dir.resolve(f));
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    @Test
    public void paddedVolumeSmallerThanThePatch() throws Exception {
        check(new int[] {20, 14, 10}, new int[][] {{1, 2, 2, 2, 10}, {3, 14, 9, 5, 15}, {4, 8, 2, 0, 45}});
    }
}
