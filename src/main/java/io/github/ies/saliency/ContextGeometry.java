package io.github.ies.saliency;

/**
 * Where the network looks: the context box of a target ({@code full}, {@code patch}, {@code local}), the lesion's
 * receptive-field box inside it, and the box of one alignment cell; all aligned to the network's total stride.
 */
final class ContextGeometry {

    final int align;
    /** {below, above}: the receptive-field bound in use; null when unbounded, unknown or turned off. */
    private int[][] rf;
    private final SaliencySettings o;
    private final int[] patch;

    ContextGeometry(int align, int[][] rf, SaliencySettings o, int[] patch) {
        this.align = align;
        this.rf = rf;
        this.o = o;
        this.patch = patch.clone();
    }

    int[][] receptiveField() { return rf == null ? null : new int[][] {rf[0].clone(), rf[1].clone()}; }

    boolean bounded() { return rf != null; }

    /** Turns the receptive-field boxes off (after a failed check on the data). */
    void dropReceptiveField() { rf = null; }

    static int roundUp(int v, int a) { return (v + a - 1) / a * a; }

    static int alignDown(int v, int a) { return Math.floorDiv(v, a) * a; }

    static int alignUp(int v, int a) { return -Math.floorDiv(-v, a) * a; }

    /** {i, j, k} of a flat C-order index on {@code dims}. */
    static int[] coords(int idx, int[] dims) {
        return new int[] {idx / (dims[1] * dims[2]), (idx / dims[2]) % dims[1], idx % dims[2]};
    }

    /** Zero padding per axis that the {@code full} context adds at the high end (none for multiples of the alignment). */
    int[] fullPadding(int[] dims) {
        int[] p = new int[3];
        for (int d = 0; d < 3; d++) p[d] = roundUp(dims[d], align) - dims[d];
        return p;
    }

    /** The whole volume, padded by the least that makes it a multiple of the alignment. */
    Box wholeVolume(int[] dims) {
        int[] size = new int[3];
        for (int d = 0; d < 3; d++) size[d] = roundUp(dims[d], align);
        return new Box(new int[3], size);
    }

    /**
     * The context box of a target. Origins are multiples of the alignment: a strided network is translation
     * equivariant only by multiples of its total stride, so an unaligned crop changes the logits even where the
     * receptive field lies inside it. Within that constraint the box is centred on the lesion, kept inside the volume
     * where it fits, and always holds the lesion's bounding box plus the margin.
     */
    Box contextBox(Target t, int[] dims) {
        if (o.context == SaliencyContext.FULL) return wholeVolume(dims);
        int[] origin = new int[3], size = new int[3];
        for (int d = 0; d < 3; d++) {
            int m = o.context == SaliencyContext.PATCH ? o.margin : o.localMargin;
            int needLo = t.bboxMin[d] - m, needHi = t.bboxMax[d] + m + 1;       // [needLo, needHi) must be inside
            int s = roundUp(needHi - alignDown(needLo, align), align);
            if (o.context == SaliencyContext.PATCH) s = Math.max(s, roundUp(patch[d], align));
            int lo = alignDown((needLo + needHi - s) / 2, align);               // centred
            if (s <= dims[d]) lo = Math.min(lo, alignDown(dims[d] - s, align)); // inside the volume where it fits
            lo = Math.max(lo, 0);
            lo = Math.max(lo, alignUp(needHi - s, align));                     // the lesion and margin always inside
            lo = Math.min(lo, alignDown(needLo, align));
            origin[d] = lo;
            size[d] = s;
        }
        return new Box(origin, size);
    }

    /**
     * The box SmoothGrad runs on for a target in a context box: the target's receptive-field box (its bounding box
     * widened to alignment cells, plus the receptive-field bound rounded up to the alignment, on each side)
     * intersected with the context box; the context box itself when the bound is unknown.
     *
     * <p>Identical results (not an approximation): the box's origin and size are multiples of the alignment, so the
     * network's grids at every level line up with the context's; every face of the box either is a face of the
     * context box (same zero padding there) or lies beyond every lesion voxel's receptive field, so each activation
     * that y_j (j in the lesion) depends on is computed from the same input values as in the context box, and the
     * gradient of y_j is zero outside the box in both. Checked against the whole-volume computation in the tests.
     */
    Box smoothGradBox(Target t, Box context) {
        if (rf == null) return context;
        int[] origin = new int[3], size = new int[3];
        for (int d = 0; d < 3; d++) {
            int lo = alignDown(t.bboxMin[d], align) - alignUp(rf[0][d], align);
            int hi = alignUp(t.bboxMax[d] + 1, align) + alignUp(rf[1][d], align);
            lo = Math.max(lo, context.origin[d]);
            hi = Math.min(hi, context.origin[d] + context.size[d]);
            origin[d] = lo;
            size[d] = hi - lo;
        }
        return new Box(origin, size);
    }

    /** The receptive-field box of one alignment cell (the cell holding voxel p, global coordinates) inside a box. */
    Box cellBox(int[] p, Box inside) {
        int[] lo = new int[3], size = new int[3];
        for (int d = 0; d < 3; d++) {
            int c = alignDown(p[d], align);
            int a = Math.max(c - alignUp(rf[0][d], align), inside.origin[d]);
            int b = Math.min(c + align + alignUp(rf[1][d], align), inside.origin[d] + inside.size[d]);
            lo[d] = a;
            size[d] = b - a;
        }
        return new Box(lo, size);
    }
}
