package io.github.ies.io;

import net.imglib2.Interval;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.img.array.ArrayImgs;
import net.imglib2.img.basictypeaccess.FloatAccess;
import net.imglib2.loops.LoopBuilder;
import net.imglib2.type.BooleanType;
import net.imglib2.type.Type;
import net.imglib2.type.logic.NativeBoolType;
import net.imglib2.type.numeric.NumericType;
import net.imglib2.type.numeric.real.FloatType;
import net.imglib2.util.Intervals;
import net.imglib2.view.Views;

import java.util.Arrays;

/**
 * The project's one crop and paste of voxel boxes, on ImgLib2: a crop is a view ({@link Views#extendZero}, {@link
 * Views#interval}, {@link Views#zeroMin}: zero outside the source), a paste a {@link LoopBuilder} copy over the
 * overlap of the moved crop and the target (the part outside the target is dropped). Both take and give {@link
 * RandomAccessibleInterval}s of any dimensionality and type.
 *
 * <p>Flat {@code float[]} arrays, which the hot paths keep, are handled by thin overloads. A flat array holds a grid of
 * {@code dims = {ni, nj, nk}} voxels in one of the two {@link Order}s of the project; {@link #wrap} shows it (no copy)
 * as an image whose coordinates are always (i, j, k), whatever the order. When source and destination have the same
 * order, the overloads copy rows with {@link System#arraycopy} along the fastest axis (the same values, bit for bit, as
 * the ImgLib2 path, which took 17 to 27 ms for a 64x64x64 window on one core against 0.2 to 1.2 ms for the rows: the
 * window copies of the sliding window and the saliency boxes keep this fast path); when they differ, they run the
 * ImgLib2 path on the wrapped arrays. A flat array may start at an offset (one channel of a {@code [C, i, j, k]}
 * tensor, one patch of a batch).
 */
public final class Crops {

    private Crops() {}

    /** The layout of a flat array on an (i, j, k) grid. */
    public enum Order {
        /** i fastest: {@code i + ni (j + nj k)}; {@link Volume#data()}, ImageJ's and ImgLib2's x fastest. */
        NIFTI,
        /** k fastest: {@code (i nj + j) nk + k}; one channel of a {@code [C, i, j, k]} tensor (C order). */
        C
    }

    // ---------------------------------------------------------------- ImgLib2

    /**
     * The box {@code [origin, origin + size)} of {@code src} as a view with its minimum at 0 (no copy); voxels outside
     * {@code src} read 0.
     */
    public static <T extends NumericType<T>> RandomAccessibleInterval<T> crop(RandomAccessibleInterval<T> src, long[] origin, long[] size) {
        long[] minSize = new long[2 * origin.length];
        System.arraycopy(origin, 0, minSize, 0, origin.length);
        System.arraycopy(size, 0, minSize, origin.length, size.length);
        return Views.zeroMin(Views.interval(Views.extendZero(src), Intervals.createMinSize(minSize)));
    }

    /**
     * Copies every voxel {@code p} of {@code crop} to {@code p + offset} of {@code dst} (for a crop with its minimum
     * at 0: to the box at {@code offset}); the part that falls outside {@code dst} is dropped, the rest of {@code dst}
     * is left as it is.
     */
    public static <T extends Type<T>> void paste(RandomAccessibleInterval<T> crop, long[] offset, RandomAccessibleInterval<T> dst) {
        RandomAccessibleInterval<T> moved = Views.translate(crop, offset);
        Interval overlap = Intervals.intersect(moved, dst);
        if (Intervals.isEmpty(overlap)) return;
        LoopBuilder.setImages(Views.interval(moved, overlap), Views.interval(dst, overlap)).forEachPixel((s, d) -> d.set(s));
    }

    /**
     * Like {@link #paste(RandomAccessibleInterval, long[], RandomAccessibleInterval)}, only the voxels where
     * {@code mask} (on the grid of {@code src}) is true: voxel {@code p} of {@code src} goes to {@code p + offset} of
     * {@code dst} where {@code mask(p)}.
     */
    public static <T extends Type<T>, B extends BooleanType<B>> void paste(RandomAccessibleInterval<T> src, RandomAccessibleInterval<B> mask,
            long[] offset, RandomAccessibleInterval<T> dst) {
        RandomAccessibleInterval<T> moved = Views.translate(src, offset);
        RandomAccessibleInterval<B> movedMask = Views.translate(mask, offset);
        Interval overlap = Intervals.intersect(Intervals.intersect(moved, movedMask), dst);
        if (Intervals.isEmpty(overlap)) return;
        LoopBuilder.setImages(Views.interval(moved, overlap), Views.interval(movedMask, overlap), Views.interval(dst, overlap))
                .forEachPixel((s, m, d) -> { if (m.get()) d.set(s); });
    }

    /**
     * The flat array {@code data[offset, offset + ni nj nk)} in the given order as an image with coordinates (i, j, k)
     * (no copy: an {@link ArrayImgs} image, x fastest, with its axes permuted for C order).
     */
    public static RandomAccessibleInterval<FloatType> wrap(float[] data, int offset, int[] dims, Order order) {
        int n = voxels(dims);
        check(data.length, offset, n, "array");
        long[] fastestFirst = order == Order.NIFTI ? new long[] {dims[0], dims[1], dims[2]} : new long[] {dims[2], dims[1], dims[0]};
        RandomAccessibleInterval<FloatType> img = offset == 0 && data.length == n
                ? ArrayImgs.floats(data, fastestFirst)
                : ArrayImgs.floats(new Shifted(data, offset), fastestFirst);
        return order == Order.NIFTI ? img : Views.permute(img, 0, 2);
    }

    /** A boolean mask on (i, j, k) in the given order as an image with coordinates (i, j, k) (no copy). */
    public static RandomAccessibleInterval<NativeBoolType> wrap(boolean[] mask, int[] dims, Order order) {
        if (mask.length != voxels(dims)) throw new IllegalArgumentException("mask of " + mask.length + " voxels for " + Arrays.toString(dims));
        RandomAccessibleInterval<NativeBoolType> img = order == Order.NIFTI
                ? ArrayImgs.booleans(mask, dims[0], dims[1], dims[2]) : ArrayImgs.booleans(mask, dims[2], dims[1], dims[0]);
        return order == Order.NIFTI ? img : Views.permute(img, 0, 2);
    }

    // ---------------------------------------------------------------- flat arrays

    /** The box {@code [origin, origin + size)} of {@code src} (grid {@code dims}) as a new array in the same order, zero outside {@code src}. */
    public static float[] crop(float[] src, int[] dims, Order order, int[] origin, int[] size) {
        float[] out = new float[voxels(size)];
        crop(src, 0, dims, order, origin, out, 0, size, order);
        return out;
    }

    /**
     * Writes the box {@code [origin, origin + size)} of the grid {@code dims} held by {@code src} from {@code srcOff}
     * into the {@code size} grid held by {@code dst} from {@code dstOff}, every voxel of it: zero outside the source.
     */
    public static void crop(float[] src, int srcOff, int[] dims, Order srcOrder, int[] origin, float[] dst, int dstOff, int[] size, Order dstOrder) {
        check(src.length, srcOff, voxels(dims), "source");
        check(dst.length, dstOff, voxels(size), "crop");
        if (srcOrder != dstOrder) {
            paste(crop(wrap(src, srcOff, dims, srcOrder), longs(origin), longs(size)), new long[3], wrap(dst, dstOff, size, dstOrder));
            return;
        }
        int[] lo = new int[3], n = new int[3], at = new int[3];
        boolean whole = true;
        for (int d = 0; d < 3; d++) {
            lo[d] = Math.max(0, origin[d]);
            n[d] = Math.min(dims[d], origin[d] + size[d]) - lo[d];
            at[d] = lo[d] - origin[d];
            whole &= n[d] == size[d];
        }
        if (!whole) Arrays.fill(dst, dstOff, dstOff + voxels(size), 0f);
        if (n[0] <= 0 || n[1] <= 0 || n[2] <= 0) return;
        rows(src, srcOff, dims, lo, dst, dstOff, size, at, n, srcOrder);
    }

    /** The {@code size} crop (same order) pasted at {@code origin} on a new zero grid of {@code dims}; the part outside is dropped. */
    public static float[] paste(float[] crop, int[] size, Order order, int[] origin, int[] dims) {
        float[] out = new float[voxels(dims)];
        paste(crop, 0, size, order, origin, out, 0, dims, order);
        return out;
    }

    /**
     * Writes the {@code size} grid held by {@code crop} from {@code cropOff} at {@code origin} of the grid {@code dims}
     * held by {@code dst} from {@code dstOff}: the part outside {@code dims} is dropped, the rest of {@code dst} kept.
     */
    public static void paste(float[] crop, int cropOff, int[] size, Order cropOrder, int[] origin, float[] dst, int dstOff, int[] dims, Order dstOrder) {
        check(crop.length, cropOff, voxels(size), "crop");
        check(dst.length, dstOff, voxels(dims), "target");
        if (cropOrder != dstOrder) {
            paste(wrap(crop, cropOff, size, cropOrder), longs(origin), wrap(dst, dstOff, dims, dstOrder));
            return;
        }
        int[] lo = new int[3], n = new int[3], from = new int[3];
        for (int d = 0; d < 3; d++) {
            lo[d] = Math.max(0, origin[d]);
            n[d] = Math.min(dims[d], origin[d] + size[d]) - lo[d];
            from[d] = lo[d] - origin[d];
            if (n[d] <= 0) return;
        }
        rows(crop, cropOff, size, from, dst, dstOff, dims, lo, n, cropOrder);
    }

    /** Copies the box of {@code n} voxels at {@code a} of grid {@code ad} to {@code b} of grid {@code bd} (both inside), row by row. */
    private static void rows(float[] src, int srcOff, int[] ad, int[] a, float[] dst, int dstOff, int[] bd, int[] b, int[] n, Order order) {
        // axes fastest first: (i, j, k) for NIfTI order, (k, j, i) for C order
        int x = order == Order.NIFTI ? 0 : 2, z = 2 - x;
        for (int w = 0; w < n[z]; w++)
            for (int v = 0; v < n[1]; v++) {
                int s = srcOff + a[x] + ad[x] * (a[1] + v + ad[1] * (a[z] + w));
                int t = dstOff + b[x] + bd[x] * (b[1] + v + bd[1] * (b[z] + w));
                System.arraycopy(src, s, dst, t, n[x]);
            }
    }

    private static int voxels(int[] dims) {
        if (dims.length != 3) throw new IllegalArgumentException("3D grid expected, got " + Arrays.toString(dims));
        return Math.multiplyExact(Math.multiplyExact(dims[0], dims[1]), dims[2]);
    }

    private static void check(int length, int offset, int n, String what) {
        if (offset < 0 || (long) offset + n > length) {
            throw new IllegalArgumentException(what + " of " + n + " voxels from " + offset + " does not fit an array of " + length);
        }
    }

    private static long[] longs(int[] a) {
        return Arrays.stream(a).asLongStream().toArray();
    }

    /** A float[] seen from an offset, for {@link ArrayImgs#floats(FloatAccess, long...)}. */
    private static final class Shifted implements FloatAccess {
        private final float[] data;
        private final int offset;

        Shifted(float[] data, int offset) {
            this.data = data;
            this.offset = offset;
        }

        @Override public float getValue(int index) { return data[offset + index]; }
        @Override public void setValue(int index, float value) { data[offset + index] = value; }
    }
}
