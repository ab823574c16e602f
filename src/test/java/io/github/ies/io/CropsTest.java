package io.github.ies.io;

import io.github.ies.io.Crops.Order;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.type.numeric.real.FloatType;
import net.imglib2.view.Views;
import org.junit.Test;

import java.util.Random;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

/**
 * {@link Crops} against hand-written nested loops (both voxel orders, boxes partly or wholly outside the volume, zero
 * fill, offsets into larger arrays), known answers, and the ImgLib2 path against the flat fast path, bit for bit.
 */
public class CropsTest {

    private static int index(int i, int j, int k, int[] d, Order o) {
        return o == Order.NIFTI ? i + d[0] * (j + d[1] * k) : (i * d[1] + j) * d[2] + k;
    }

    /** Reference crop: every voxel of the box, 0 outside the volume. */
    private static float[] refCrop(float[] src, int[] d, Order so, int[] origin, int[] s, Order co) {
        float[] out = new float[s[0] * s[1] * s[2]];
        for (int a = 0; a < s[0]; a++)
            for (int b = 0; b < s[1]; b++)
                for (int c = 0; c < s[2]; c++) {
                    int i = origin[0] + a, j = origin[1] + b, k = origin[2] + c;
                    boolean in = i >= 0 && j >= 0 && k >= 0 && i < d[0] && j < d[1] && k < d[2];
                    out[index(a, b, c, s, co)] = in ? src[index(i, j, k, d, so)] : 0f;
                }
        return out;
    }

    /** Reference paste onto a copy of dst: the part of the crop inside the volume. */
    private static float[] refPaste(float[] crop, int[] s, Order co, int[] origin, float[] dst, int[] d, Order so) {
        float[] out = dst.clone();
        for (int a = 0; a < s[0]; a++)
            for (int b = 0; b < s[1]; b++)
                for (int c = 0; c < s[2]; c++) {
                    int i = origin[0] + a, j = origin[1] + b, k = origin[2] + c;
                    if (i >= 0 && j >= 0 && k >= 0 && i < d[0] && j < d[1] && k < d[2]) out[index(i, j, k, d, so)] = crop[index(a, b, c, s, co)];
                }
        return out;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int v = 0; v < n; v++) a[v] = r.nextFloat() * 2 - 1;
        return a;
    }

    @Test
    public void knownAnswersInBothOrders() {
        int[] d = {3, 2, 2};
        float[] nifti = new float[12], c = new float[12];
        for (int k = 0; k < 2; k++) for (int j = 0; j < 2; j++) for (int i = 0; i < 3; i++) {
            float v = 100 * i + 10 * j + k + 1;
            nifti[i + 3 * (j + 2 * k)] = v;
            c[(i * 2 + j) * 2 + k] = v;
        }
        // box [1..2] x [1..2] x [-1..0]: voxels (1,1,0), (2,1,0) inside (crop voxels (0,0,1), (1,0,1)), the rest zero
        int[] o = {1, 1, -1}, s = {2, 2, 2};
        // NIfTI order of the crop: (a, b, c) at a + 2 (b + 2 c)
        assertArrayEquals(new float[] {0, 0, 0, 0, 111, 211, 0, 0}, Crops.crop(nifti, d, Order.NIFTI, o, s), 0f);
        // C order of the crop: (a, b, c) at (a 2 + b) 2 + c
        assertArrayEquals(new float[] {0, 111, 0, 0, 0, 211, 0, 0}, Crops.crop(c, d, Order.C, o, s), 0f);
        // mixed: C-order source, NIfTI-order crop
        float[] mixed = new float[8];
        Crops.crop(c, 0, d, Order.C, o, mixed, 0, s, Order.NIFTI);
        assertArrayEquals(new float[] {0, 0, 0, 0, 111, 211, 0, 0}, mixed, 0f);
        // paste back partly outside: only (1,1,0) and (2,1,0) land
        float[] back = Crops.paste(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, s, Order.NIFTI, o, d);
        float[] want = new float[12];
        want[1 + 3 * 1] = 5;
        want[2 + 3 * 1] = 6;
        assertArrayEquals(want, back, 0f);
        // a box wholly outside: all zeros, and a paste that changes nothing
        assertArrayEquals(new float[8], Crops.crop(nifti, d, Order.NIFTI, new int[] {5, 0, 0}, s), 0f);
        assertArrayEquals(new float[12], Crops.paste(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, s, Order.C, new int[] {0, -2, 0}, d), 0f);
    }

    @Test
    public void flatCropAndPasteMatchNestedLoopsInBothOrders() {
        Random r = new Random(21);
        for (int t = 0; t < 400; t++) {
            int[] d = {1 + r.nextInt(7), 1 + r.nextInt(7), 1 + r.nextInt(7)};
            int[] s = {1 + r.nextInt(6), 1 + r.nextInt(6), 1 + r.nextInt(6)};
            int[] o = {r.nextInt(d[0] + 6) - 5, r.nextInt(d[1] + 6) - 5, r.nextInt(d[2] + 6) - 5};
            int nd = d[0] * d[1] * d[2], ns = s[0] * s[1] * s[2];
            Order so = r.nextBoolean() ? Order.NIFTI : Order.C, co = r.nextBoolean() ? Order.NIFTI : Order.C;
            int srcOff = r.nextInt(3), dstOff = r.nextInt(3);
            float[] src = random(r, srcOff + nd + 2), volume = java.util.Arrays.copyOfRange(src, srcOff, srcOff + nd);
            String what = "dims " + java.util.Arrays.toString(d) + " box " + java.util.Arrays.toString(o) + "+" + java.util.Arrays.toString(s) + " " + so + "->" + co;

            // crop into a non-zero destination at an offset: every voxel of the box written, the rest kept
            float[] dst = random(r, dstOff + ns + 2), keep = dst.clone();
            Crops.crop(src, srcOff, d, so, o, dst, dstOff, s, co);
            float[] want = refCrop(volume, d, so, o, s, co);
            for (int v = 0; v < dst.length; v++) {
                float w = v >= dstOff && v < dstOff + ns ? want[v - dstOff] : keep[v];
                assertEquals(what + " voxel " + v, Float.floatToRawIntBits(w), Float.floatToRawIntBits(dst[v]));
            }
            if (so == co) assertArrayEquals(what, want, Crops.crop(volume, d, so, o, s), 0f);

            // paste into a non-zero target at an offset: the part inside written, the rest kept
            float[] crop = random(r, ns);
            float[] target = random(r, dstOff + nd + 1), before = target.clone();
            Crops.paste(crop, 0, s, co, o, target, dstOff, d, so);
            float[] wantVol = refPaste(crop, s, co, o, java.util.Arrays.copyOfRange(before, dstOff, dstOff + nd), d, so);
            for (int v = 0; v < target.length; v++) {
                float w = v >= dstOff && v < dstOff + nd ? wantVol[v - dstOff] : before[v];
                assertEquals(what + " paste voxel " + v, Float.floatToRawIntBits(w), Float.floatToRawIntBits(target[v]));
            }
            if (so == co) assertArrayEquals(what, refPaste(crop, s, co, o, new float[nd], d, so), Crops.paste(crop, s, co, o, d), 0f);
        }
    }

    @Test
    public void imglib2PathMatchesNestedLoopsInBothOrders() {
        Random r = new Random(7);
        for (int t = 0; t < 100; t++) {
            int[] d = {1 + r.nextInt(6), 1 + r.nextInt(6), 1 + r.nextInt(6)};
            int[] s = {1 + r.nextInt(5), 1 + r.nextInt(5), 1 + r.nextInt(5)};
            int[] o = {r.nextInt(d[0] + 4) - 3, r.nextInt(d[1] + 4) - 3, r.nextInt(d[2] + 4) - 3};
            Order so = r.nextBoolean() ? Order.NIFTI : Order.C, co = r.nextBoolean() ? Order.NIFTI : Order.C;
            float[] volume = random(r, d[0] * d[1] * d[2]);
            // crop view materialised by a paste onto a zero-min image
            float[] crop = new float[s[0] * s[1] * s[2]];
            RandomAccessibleInterval<FloatType> view = Crops.crop(Crops.wrap(volume, 0, d, so), new long[] {o[0], o[1], o[2]}, new long[] {s[0], s[1], s[2]});
            Crops.paste(view, new long[3], Crops.wrap(crop, 0, s, co));
            assertArrayEquals(refCrop(volume, d, so, o, s, co), crop, 0f);
            // paste
            float[] target = random(r, volume.length), before = target.clone();
            Crops.paste(Crops.wrap(crop, 0, s, co), new long[] {o[0], o[1], o[2]}, Crops.wrap(target, 0, d, so));
            assertArrayEquals(refPaste(crop, s, co, o, before, d, so), target, 0f);
        }
    }

    @Test
    public void wrapSeesTheArrayWithoutCopying() {
        int[] d = {4, 3, 2};
        float[] c = new float[1 + 24];
        RandomAccessibleInterval<FloatType> img = Crops.wrap(c, 1, d, Order.C);
        assertArrayEquals(new long[] {4, 3, 2}, img.dimensionsAsLongArray());
        img.getAt(3, 2, 1).set(5f);
        assertEquals(5f, c[1 + (3 * 3 + 2) * 2 + 1], 0f);
        float[] n = new float[24];
        Crops.wrap(n, 0, d, Order.NIFTI).getAt(3, 2, 1).set(6f);
        assertEquals(6f, n[3 + 4 * (2 + 3 * 1)], 0f);
        // the same as the ImgLib2 image of a Volume (x fastest)
        assertEquals(6f, ArrayImgs.floats(n, 4, 3, 2).getAt(3, 2, 1).get(), 0f);
    }

    @Test
    public void maskedPasteCopiesOnlyTheMaskShifted() {
        int[] d = {5, 4, 3};
        Random r = new Random(3);
        float[] src = random(r, 60), dst = random(r, 60), before = dst.clone();
        boolean[] mask = new boolean[60];
        for (int v = 0; v < 60; v++) mask[v] = r.nextInt(3) == 0;
        int[] off = {1, -1, 2};
        Crops.paste(Crops.wrap(src, 0, d, Order.NIFTI), Crops.wrap(mask, d, Order.NIFTI), new long[] {1, -1, 2}, Crops.wrap(dst, 0, d, Order.NIFTI));
        float[] want = before.clone();
        for (int k = 0; k < 3; k++) for (int j = 0; j < 4; j++) for (int i = 0; i < 5; i++) {
            int v = i + 5 * (j + 4 * k);
            int ii = i + off[0], jj = j + off[1], kk = k + off[2];
            if (!mask[v] || ii < 0 || jj < 0 || kk < 0 || ii >= 5 || jj >= 4 || kk >= 3) continue;
            want[ii + 5 * (jj + 4 * kk)] = src[v];
        }
        assertArrayEquals(want, dst, 0f);
        // a view of a view: crop, then back with Views.translate, unchanged
        RandomAccessibleInterval<FloatType> v = Crops.crop(Crops.wrap(src, 0, d, Order.C), new long[] {1, 1, 1}, new long[] {2, 2, 1});
        assertEquals(src[(1 * 4 + 1) * 3 + 1], Views.translate(v, 1, 1, 1).getAt(1, 1, 1).get(), 0f);
    }
}
