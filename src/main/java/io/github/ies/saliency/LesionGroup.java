package io.github.ies.saliency;

import io.github.ies.model.ProgressListener;

import java.util.List;

/**
 * A group of lesions that share a context box, as a {@link SaliencyMethod.Runner} computes it: the box, the input,
 * each lesion's target, its box for {@link SaliencyMethod.Kind#PER_CHANNEL} maps and its {@link LesionMaps}, and
 * the run's progress.
 */
final class LesionGroup {
    /** The context box (may extend past the volume) and its part inside the volume. */
    final Box box, region;
    final List<Target> targets;
    /** Per target: the receptive-field box of its per-channel maps inside the context box (see {@link SaliencyEngine#smoothGradBox}). */
    final List<Box> lesionBoxes;
    /** Per target: the maps computed so far. */
    final List<LesionMaps> out;
    /** The normalised input {@code [C, dims]} (C order) and the noise sigma. */
    final float[] x;
    final int[] dims;
    final double sigma;
    final ProgressListener listener;
    /** Progress steps done so far (shared by the groups of a run) and in all. */
    final long[] done;
    final long total;

    LesionGroup(Box box, Box region, List<Target> targets, List<Box> lesionBoxes, List<LesionMaps> out, float[] x, int[] dims,
            double sigma, ProgressListener listener, long[] done, long total) {
        this.box = box;
        this.region = region;
        this.targets = targets;
        this.lesionBoxes = lesionBoxes;
        this.out = out;
        this.x = x;
        this.dims = dims;
        this.sigma = sigma;
        this.listener = listener;
        this.done = done;
        this.total = total;
    }

    int size() { return targets.size(); }

    /** Advances the progress by {@code steps} and reports it. */
    void advance(long steps) {
        done[0] += steps;
        listener.progress("explain", done[0], total);
    }
}
