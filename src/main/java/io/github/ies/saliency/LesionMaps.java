package io.github.ies.saliency;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** The maps of one instance, as crops on their regions (C order, k fastest). */
public final class LesionMaps {
    public final int id;
    public final int voxels;
    /** The context box (may extend past the volume). */
    public final Box context;
    /** The context box inside the volume (Grad-CAM++ is computed on it; its map is stored on {@link #regionOf}). */
    public final Box region;
    /**
     * The region of the SmoothGrad maps: the lesion's receptive-field box inside the context box and the volume
     * ({@link SaliencyEngine#smoothGradBox}); the gradients are exactly zero outside it.
     */
    public final Box smoothGradRegion;
    /** Per method (in registry order), one crop per input channel ({@link SaliencyMethod.Kind#PER_CHANNEL}) or one crop. */
    public final Map<SaliencyMethod, float[][]> maps = new TreeMap<>(SaliencyMethods.ORDER);
    /** Per method with standard errors, with uncertainty: the standard error crops per channel. */
    public final Map<SaliencyMethod, float[][]> standardErrors = new TreeMap<>(SaliencyMethods.ORDER);
    /** Seconds spent on this instance (shared work split between the lesions sharing it). */
    public double seconds;
    /**
     * The regions of the maps stored with {@link #put}, e.g. the instance Grad-CAM++ map's: the bounding box of its
     * nonzero voxels inside {@link #region} (the map is zero elsewhere; one voxel when it is all zero).
     */
    private final Map<SaliencyMethod, Box> regions = new HashMap<>();

    LesionMaps(int id, int voxels, Box context, Box region, Box smoothGradRegion) {
        this.id = id;
        this.voxels = voxels;
        this.context = context;
        this.region = region;
        this.smoothGradRegion = smoothGradRegion;
    }

    /**
     * Maps of an instance on another grid (the input's, when the model ran on a declared grid): every method's crops,
     * to put in {@link #maps} and {@link #standardErrors}, live on {@code region}, and so does {@link #regionOf}.
     */
    public static LesionMaps on(int id, int voxels, Box context, Box region, double seconds) {
        LesionMaps m = new LesionMaps(id, voxels, context, region, region);
        m.seconds = seconds;
        return m;
    }

    /** Stores a method's crops (one per channel) and their standard errors (or null), all on {@code on}. */
    public void put(SaliencyMethod m, float[][] crops, float[][] se, Box on) {
        maps.put(m, crops);
        if (se != null) standardErrors.put(m, se);
        regions.put(m, on);
    }

    /**
     * The region a method's crops live on: the one given to {@link #put}; else {@link #smoothGradRegion} for
     * per-channel maps and {@link #region} for the others.
     */
    public Box regionOf(SaliencyMethod m) {
        Box b = regions.get(m);
        if (b != null) return b;
        return m.kind == SaliencyMethod.Kind.PER_CHANNEL ? smoothGradRegion : region;
    }
}
