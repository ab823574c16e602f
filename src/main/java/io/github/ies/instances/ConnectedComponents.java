package io.github.ies.instances;

import io.github.ies.io.Volume;
import net.imglib2.Cursor;
import net.imglib2.RandomAccessibleInterval;
import net.imglib2.type.numeric.RealType;
import net.imglib2.view.Views;

import java.util.Arrays;
import java.util.List;

/**
 * 3D connected-component labeling of a binary volume (any nonzero voxel is foreground, NaN included, as in
 * NumPy's {@code astype(bool)}).
 *
 * <p>Algorithm: one raster scan in NIfTI order (i fastest, then j, then k) that gives each foreground voxel the
 * label of an already visited neighbour (the backward half of the neighbourhood) or a new provisional label, and
 * merges provisional labels that meet in a union-find forest on a flat {@code int[]} (the smaller label always
 * becomes the root); then one pass that replaces each provisional label by its final id. Time is linear in the
 * number of voxels, memory is one {@code int} per voxel plus one per provisional label.
 *
 * <p><b>Label ids</b> are 1..n, ordered by the raster position (NIfTI index {@code i + nx*(j + ny*k)}) of each
 * component's first voxel: component 1 contains the foreground voxel with the smallest index, component 2 the
 * smallest index not in component 1, and so on. This is the order of {@code scipy.ndimage.label} applied to the
 * array transposed to (k, j, i) (C order with i fastest). 0 is background.
 */
public final class ConnectedComponents {

    private ConnectedComponents() {}

    /** Labels the nonzero voxels of a volume. */
    public static Labeling label(Volume v, Connectivity c) {
        return label(v.data(), v.dims(), c);
    }

    /**
     * Labels the nonzero voxels of any 3D ImgLib2 image. The image is first copied to a flat {@code float[]} in
     * its flat iteration order (dimension 0 fastest), so dimension 0, 1, 2 play the roles of i, j, k and label ids
     * follow that raster order; the interval's minimum is ignored (the label array starts at index 0). Values are
     * read with {@link RealType#getRealFloat()}.
     */
    public static Labeling label(RandomAccessibleInterval<? extends RealType<?>> image, Connectivity c) {
        if (image.numDimensions() != 3) {
            throw new IllegalArgumentException("labeling needs a 3D image, got " + image.numDimensions() + " dimensions");
        }
        long n = image.dimension(0) * image.dimension(1) * image.dimension(2);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("image too large to label: " + n + " voxels");
        int[] dims = {(int) image.dimension(0), (int) image.dimension(1), (int) image.dimension(2)};
        float[] data = new float[(int) n];
        Cursor<? extends RealType<?>> cur = Views.flatIterable(image).cursor();
        int o = 0;
        while (cur.hasNext()) data[o++] = cur.next().getRealFloat();
        return label(data, dims, c);
    }

    /** Labels the nonzero entries of a flat array in NIfTI order ({@code data.length == nx*ny*nz}). */
    public static Labeling label(float[] data, int[] dims, Connectivity c) {
        final int nx = dims[0], ny = dims[1], nz = dims[2];
        if (nx <= 0 || ny <= 0 || nz <= 0 || (long) nx * ny * nz != data.length) {
            throw new IllegalArgumentException("data length " + data.length + " does not match dims " + Arrays.toString(dims));
        }
        final int nxy = nx * ny;
        List<int[]> back = c.backwardOffsets();
        final int nb = back.size();
        final int[] bi = new int[nb], bj = new int[nb], bk = new int[nb], boff = new int[nb];
        for (int t = 0; t < nb; t++) {
            int[] o = back.get(t);
            bi[t] = o[0];
            bj[t] = o[1];
            bk[t] = o[2];
            boff[t] = o[0] + nx * (o[1] + ny * o[2]); // negative: earlier in raster order
        }
        final int[] lab = new int[data.length];
        int[] parent = new int[1024];
        int next = 1;

        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                final int row = nx * (j + ny * k);
                final boolean rowInterior = j > 0 && j < ny - 1 && k > 0;
                for (int i = 0; i < nx; i++) {
                    final int idx = row + i;
                    if (data[idx] == 0f) continue;
                    int cur = 0;
                    if (rowInterior && i > 0 && i < nx - 1) {
                        for (int t = 0; t < nb; t++) {
                            int l = lab[idx + boff[t]];
                            if (l != 0 && l != cur) cur = cur == 0 ? l : union(parent, cur, l);
                        }
                    } else {
                        for (int t = 0; t < nb; t++) {
                            int ii = i + bi[t], jj = j + bj[t], kk = k + bk[t];
                            if (ii < 0 || ii >= nx || jj < 0 || jj >= ny || kk < 0) continue;
                            int l = lab[idx + boff[t]];
                            if (l != 0 && l != cur) cur = cur == 0 ? l : union(parent, cur, l);
                        }
                    }
                    if (cur == 0) {
                        if (next == parent.length) parent = Arrays.copyOf(parent, parent.length * 2);
                        parent[next] = next;
                        cur = next++;
                    }
                    lab[idx] = cur;
                }
            }
        }

        // Final ids: roots in increasing provisional order. Every link points to a smaller label, so the parent of
        // label l is resolved before l.
        final int[] fin = new int[next];
        int count = 0;
        for (int l = 1; l < next; l++) {
            int p = parent[l];
            fin[l] = p == l ? ++count : fin[p];
        }
        final int[] sizes = new int[count + 1];
        for (int idx = 0; idx < lab.length; idx++) {
            int l = lab[idx];
            if (l != 0) {
                int f = fin[l];
                lab[idx] = f;
                sizes[f]++;
            }
        }
        sizes[0] = lab.length - sumFrom1(sizes);
        return new Labeling(lab, dims, count, sizes, c);
    }

    private static int sumFrom1(int[] a) {
        int s = 0;
        for (int t = 1; t < a.length; t++) s += a[t];
        return s;
    }

    /** Merges the sets of a and b (the smaller root becomes the root of both); returns the root. */
    private static int union(int[] parent, int a, int b) {
        int ra = find(parent, a), rb = find(parent, b);
        if (ra == rb) return ra;
        if (ra < rb) {
            parent[rb] = ra;
            return ra;
        }
        parent[ra] = rb;
        return rb;
    }

    /** Root of x with path halving. */
    private static int find(int[] parent, int x) {
        while (parent[x] != x) {
            int p = parent[parent[x]];
            parent[x] = p;
            x = p;
        }
        return x;
    }
}
