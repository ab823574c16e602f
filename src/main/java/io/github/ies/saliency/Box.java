package io.github.ies.saliency;

import io.github.ies.io.Crops;

import java.util.Arrays;

/**
 * An axis-aligned box of voxels {@code [origin, origin + size)} on a volume's (i, j, k) grid. Boxes may extend past
 * the volume (the part outside is zero-padded when the input is cropped). Crops are stored in C order (k fastest),
 * the layout of a {@code [C, i, j, k]} tensor.
 */
public final class Box {

    final int[] origin;
    final int[] size;

    public Box(int[] origin, int[] size) {
        if (origin.length != 3 || size.length != 3) throw new IllegalArgumentException("3D box expected");
        for (int s : size) if (s < 1) throw new IllegalArgumentException("empty box " + Arrays.toString(size));
        this.origin = origin.clone();
        this.size = size.clone();
    }

    public int[] origin() { return origin.clone(); }
    public int[] size() { return size.clone(); }

    public int voxels() { return size[0] * size[1] * size[2]; }

    /** The part of this box inside a volume of the given dims. */
    public Box clip(int[] dims) {
        int[] o = new int[3], s = new int[3];
        for (int d = 0; d < 3; d++) {
            int lo = Math.max(0, origin[d]), hi = Math.min(dims[d], origin[d] + size[d]);
            if (hi <= lo) throw new IllegalArgumentException("box " + this + " does not meet the volume " + Arrays.toString(dims));
            o[d] = lo;
            s[d] = hi - lo;
        }
        return new Box(o, s);
    }

    /** Flat C-order index within this box of volume voxel (i, j, k), or -1 when outside. */
    int local(int i, int j, int k) {
        int a = i - origin[0], b = j - origin[1], c = k - origin[2];
        if (a < 0 || b < 0 || c < 0 || a >= size[0] || b >= size[1] || c >= size[2]) return -1;
        return (a * size[1] + b) * size[2] + c;
    }

    /** Volume coordinates {i, j, k} of the voxel at flat C-order index {@code v} within this box. */
    int[] global(int v) {
        return new int[] {origin[0] + v / (size[1] * size[2]), origin[1] + (v / size[2]) % size[1], origin[2] + v % size[2]};
    }

    /**
     * The crop {@code [C, size]} of a volume {@code x [C, dims]} (both C order), zero outside the volume.
     */
    float[] extract(float[] x, int channels, int[] dims) {
        float[] out = new float[channels * voxels()];
        int vol = dims[0] * dims[1] * dims[2];
        for (int c = 0; c < channels; c++) Crops.crop(x, c * vol, dims, Crops.Order.C, origin, out, c * voxels(), size, Crops.Order.C);
        return out;
    }

    /** Copies the part of a crop on this box that lies inside {@code inner} (a sub-box) into a crop on inner. */
    float[] sub(float[] crop, int cropOffset, Box inner) {
        int[] at = new int[3];
        for (int d = 0; d < 3; d++) {
            at[d] = inner.origin[d] - origin[d];
            if (at[d] < 0 || at[d] + inner.size[d] > size[d]) throw new IllegalArgumentException(inner + " is not inside " + this);
        }
        float[] out = new float[inner.voxels()];
        Crops.crop(crop, cropOffset, size, Crops.Order.C, at, out, 0, inner.size, Crops.Order.C);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Box b && Arrays.equals(origin, b.origin) && Arrays.equals(size, b.size);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(origin) + Arrays.hashCode(size); }

    @Override
    public String toString() { return "Box[origin " + Arrays.toString(origin) + ", size " + Arrays.toString(size) + "]"; }
}
