package io.github.ies.saliency;

import org.junit.Test;

import java.util.SplittableRandom;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

public class SmoothGradAccumulatorTest {

    @Test
    public void maxAggregationKeepsSignedValueOfLargestMagnitudeThenAveragesCopies() {
        SmoothGradAccumulator acc = new SmoothGradAccumulator(3, true);
        // copy 1: voxels j1, j2
        acc.addVoxelGradient(new float[] {0.5f, -2f, 0f}, 0);
        acc.addVoxelGradient(new float[] {-1f, 1f, 0.25f}, 0);
        acc.endCopy();                               // M1 = {-1, -2, 0.25}
        // copy 2: gradient given at an offset inside a larger array
        acc.addVoxelGradient(new float[] {9f, 3f, -0.5f, 0.75f}, 1);
        acc.endCopy();                               // M2 = {3, -0.5, 0.75}
        assertArrayEquals(new float[] {1f, -1.25f, 0.5f}, acc.mean(), 1e-7f);
        // standard error: sd over copies / sqrt(2)
        float[] se = acc.standardError();
        assertEquals(Math.sqrt(8.0) / Math.sqrt(2), se[0], 1e-6);
        assertEquals(Math.sqrt(1.125) / Math.sqrt(2), se[1], 1e-6);
    }

    @Test
    public void matchesNaiveComputationOnRandomData() {
        SplittableRandom r = new SplittableRandom(3);
        int size = 50, copies = 7, voxels = 9;
        SmoothGradAccumulator acc = new SmoothGradAccumulator(size, false);
        double[] expected = new double[size];
        for (int c = 0; c < copies; c++) {
            float[][] g = new float[voxels][size];
            for (float[] row : g) for (int i = 0; i < size; i++) row[i] = (float) r.nextGaussian();
            for (float[] row : g) acc.addVoxelGradient(row, 0);
            acc.endCopy();
            for (int i = 0; i < size; i++) {
                float best = 0;
                for (float[] row : g) if (Math.abs(row[i]) > Math.abs(best)) best = row[i];
                expected[i] += best / (double) copies;
            }
        }
        float[] mean = acc.mean();
        for (int i = 0; i < size; i++) assertEquals(expected[i], mean[i], 1e-6);
        assertEquals(copies, acc.copies());
    }

    @Test(expected = IllegalStateException.class)
    public void endingAnEmptyCopyFails() {
        new SmoothGradAccumulator(2, false).endCopy();
    }
}
