package io.github.ies.saliency;

import java.util.EnumMap;
import java.util.Map;

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
    /** Per method, one crop per input channel (SmoothGrad) or one crop (Grad-CAM++). */
    public final Map<Method, float[][]> maps = new EnumMap<>(Method.class);
    /** Per SmoothGrad method with uncertainty: the standard error crops per channel. */
    public final Map<Method, float[][]> standardErrors = new EnumMap<>(Method.class);
    /** Seconds spent on this instance (shared work split between the lesions sharing it). */
    public double seconds;
    /**
     * The region of the instance Grad-CAM++ map: the bounding box of its nonzero voxels inside {@link #region} (the
     * map is zero elsewhere; one voxel when it is all zero); null before the map is computed.
     */
    Box gradCamRegion;

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
        m.gradCamRegion = region;
        m.seconds = seconds;
        return m;
    }

    /** The region a method's crops live on. */
    public Box regionOf(Method m) {
        if (m.smoothGrad()) return smoothGradRegion;
        return gradCamRegion != null ? gradCamRegion : region;
    }
}
