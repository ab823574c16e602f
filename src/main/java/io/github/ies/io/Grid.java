package io.github.ies.io;

import java.util.Arrays;

/**
 * Index arithmetic on a 3D grid of {@code dims = {ni, nj, nk}} voxels, in both layouts the project uses: NIfTI order
 * (i fastest: {@code i + ni (j + nj k)}, {@link Volume#data()}) and C order (k fastest: {@code (i nj + j) nk + k},
 * the layout of a {@code [C, i, j, k]} tensor).
 */
public final class Grid {

    public final int ni, nj, nk;

    public Grid(int[] dims) {
        if (dims.length != 3) throw new IllegalArgumentException("3D grid expected, got " + Arrays.toString(dims));
        this.ni = dims[0];
        this.nj = dims[1];
        this.nk = dims[2];
    }

    public int voxels() { return ni * nj * nk; }

    /** Flat C-order index of (i, j, k). */
    public int c(int i, int j, int k) { return (i * nj + j) * nk + k; }

    /** Flat NIfTI-order index of (i, j, k). */
    public int nifti(int i, int j, int k) { return i + ni * (j + nj * k); }

    /** {i, j, k} of a flat C-order index. */
    public int[] ijkOfC(int idx) { return new int[] {idx / (nj * nk), (idx / nk) % nj, idx % nk}; }

    /** {i, j, k} of a flat NIfTI-order index. */
    public int[] ijkOfNifti(int idx) { return new int[] {idx % ni, (idx / ni) % nj, idx / (ni * nj)}; }

    /** The C-order index of the voxel at NIfTI-order index {@code idx}. */
    public int cOfNifti(int idx) {
        int i = idx % ni, j = (idx / ni) % nj, k = idx / (ni * nj);
        return c(i, j, k);
    }

    /** The NIfTI-order index of the voxel at C-order index {@code idx}. */
    public int niftiOfC(int idx) {
        int i = idx / (nj * nk), j = (idx / nk) % nj, k = idx % nk;
        return nifti(i, j, k);
    }
}
