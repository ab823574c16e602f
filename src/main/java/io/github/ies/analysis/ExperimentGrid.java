package io.github.ies.analysis;

import io.github.ies.geometry.ModelGrid;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;

import java.util.Arrays;
import java.util.List;

/**
 * The grid the experiments run on: the model's declared grid, as {@code ies segment} and {@code ies explain} run the
 * model ({@link ModelGrid}: images trilinear, label images and masks nearest, ids kept). The experiments change the
 * network's input (context zeroed, lesions pasted) and read its output voxel by voxel, so unlike segment and explain
 * they stay on that grid: their voxel counts, distances and written volumes are the model grid's, and a warning says
 * so when it is not the input's grid.
 */
final class ExperimentGrid {

    final ModelGrid grid;

    private ExperimentGrid(ModelGrid grid) {
        this.grid = grid;
    }

    /** The plan for a subject whose first channel is {@code first}; a note goes to {@code warnings} when it moves the inputs. */
    static ExperimentGrid of(ModelBundle bundle, Volume first, List<String> warnings) {
        ModelGrid g = ModelGrid.plan(first.dims(), first.geometry(), bundle.geometry());
        if (!g.identity() || g.orientationAssumed()) {
            warnings.add(g.describe().replace("results are mapped back to the native grid",
                    "the experiment runs there (its voxel counts, distances, voxel coordinates and written volumes are the model grid's;"
                    + " targets given in input voxels are mapped there)"));
        }
        return new ExperimentGrid(g);
    }

    boolean identity() {
        return grid.identity();
    }

    /** The channels on the model grid (trilinear); the arrays themselves when nothing changes. */
    Volume[] images(Volume[] channels) {
        if (identity()) return channels;
        Volume[] out = new Volume[channels.length];
        for (int c = 0; c < out.length; c++) out[c] = grid.toModel(channels[c], ModelGrid.Interpolation.LINEAR);
        return out;
    }

    /** A label image on the model grid (nearest, ids kept); ids with no voxel left there are named in {@code warnings}. */
    Volume labels(Volume labels, String what, List<String> warnings) {
        if (identity()) return labels;
        Volume m = grid.toModel(labels, ModelGrid.Interpolation.NEAREST);
        int[] before = ids(labels.data()), after = ids(m.data());
        int[] lost = Arrays.stream(before).filter(id -> Arrays.binarySearch(after, id) < 0).toArray();
        if (lost.length > 0) {
            warnings.add(what + ": " + lost.length + " lesion(s) have no voxel on the model grid (smaller than one voxel there), left out: "
                    + Arrays.toString(lost));
        }
        return m;
    }

    /** A voxel (i, j, k) of the input's grid as the nearest voxel of the model grid (clamped); null stays null. */
    int[] voxel(int[] nativeVoxel) {
        if (nativeVoxel == null || identity()) return nativeVoxel;
        double[][] a = io.github.ies.geometry.Affines.inverse(grid.nativeFromModel());
        int[] md = grid.modelDims(), out = new int[3];
        for (int d = 0; d < 3; d++) {
            double v = a[d][0] * nativeVoxel[0] + a[d][1] * nativeVoxel[1] + a[d][2] * nativeVoxel[2] + a[d][3];
            out[d] = (int) Math.max(0, Math.min(md[d] - 1, Math.round(v)));
        }
        return out;
    }

    /** A mask on the model grid (nearest); null stays null. */
    boolean[] mask(boolean[] mask, Volume nativeRef) {
        if (mask == null || identity()) return mask;
        float[] f = new float[mask.length];
        for (int v = 0; v < f.length; v++) f[v] = mask[v] ? 1 : 0;
        float[] m = grid.toModel(new Volume(f, nativeRef.dims(), nativeRef.geometry()), ModelGrid.Interpolation.NEAREST).data();
        boolean[] out = new boolean[m.length];
        for (int v = 0; v < out.length; v++) out[v] = m[v] != 0;
        return out;
    }

    private static int[] ids(float[] data) {
        return Arrays.stream(toInts(data)).filter(v -> v > 0).distinct().sorted().toArray();
    }

    private static int[] toInts(float[] data) {
        int[] out = new int[data.length];
        for (int v = 0; v < out.length; v++) out[v] = Math.round(data[v]);
        return out;
    }
}
