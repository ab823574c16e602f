package io.github.ies.saliency;

import org.junit.Test;

import java.util.SplittableRandom;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

public class SmoothGradAccumulatorTest {

    @Test
    public void meanAndStandardErrorOverCopies() {
        SmoothGradAccumulator acc = new SmoothGradAccumulator(3, true);
        acc.addCopy(new float[] {-1f, -2f, 0.25f}, 0);
        // a copy given at an offset inside a larger array
        acc.addCopy(new float[] {9f, 3f, -0.5f, 0.75f}, 1);
        assertArrayEquals(new float[] {1f, -1.25f, 0.5f}, acc.mean(), 1e-7f);
        // standard error: sd over copies / sqrt(2)
        float[] se = acc.standardError();
        assertEquals(Math.sqrt(8.0) / Math.sqrt(2), se[0], 1e-6);
        assertEquals(Math.sqrt(1.125) / Math.sqrt(2), se[1], 1e-6);
        assertEquals(Math.sqrt(0.125) / Math.sqrt(2), se[2], 1e-6);
    }

    @Test
    public void matchesNaiveComputationOnRandomData() {
        SplittableRandom r = new SplittableRandom(3);
        int size = 50, copies = 7;
        SmoothGradAccumulator acc = new SmoothGradAccumulator(size, true);
        double[] sum = new double[size], sq = new double[size];
        for (int c = 0; c < copies; c++) {
            float[] m = new float[size];
            for (int i = 0; i < size; i++) m[i] = (float) r.nextGaussian();
            acc.addCopy(m, 0);
            for (int i = 0; i < size; i++) {
                sum[i] += m[i];
                sq[i] += (double) m[i] * m[i];
            }
        }
        float[] mean = acc.mean(), se = acc.standardError();
        for (int i = 0; i < size; i++) {
            double mu = sum[i] / copies, var = (sq[i] - copies * mu * mu) / (copies - 1);
            assertEquals(mu, mean[i], 1e-6);
            assertEquals(Math.sqrt(var / copies), se[i], 1e-6);
        }
        assertEquals(copies, acc.copies());
    }

    @Test(expected = IllegalStateException.class)
    public void aMeanOfNoCopyFails() {
        new SmoothGradAccumulator(2, false).mean();
    }
}
