package io.github.ies.saliency;

/**
 * What a saliency map's values are, in words and units, for the NIfTI description of the map files, the report's
 * colour bars and the docs (docs/saliency.md, "Units"). y is the lesion-class logit, x the network's input after the
 * bundle's normalisation (z-scored for the demo bundle: one unit is one standard deviation of the channel's
 * intensities), L the instance's voxels.
 * <ul>
 * <li>SmoothGrad-max: d y_(j*) / dx, the signed gradient of largest magnitude over the lesion's voxels j, averaged over
 *     the noisy copies: logit per input unit.</li>
 * <li>SmoothGrad-mean: d/dx of the mean logit over L, averaged over the copies: logit per input unit (about 1/|L| of
 *     the max aggregation's values).</li>
 * <li>Grad-CAM++ (instance and class): ReLU(sum_k w_k A_k) with w_k = alpha ReLU(dY/dA_k) and Y the summed lesion
 *     logit (alpha is dimensionless): logit (a first-order share of Y per layer cell).</li>
 * </ul>
 */
public final class MapUnits {

    private MapUnits() {}

    /** The unit of a method's values, short (colour bars): "logit / input unit" or "logit". */
    public static String unit(SaliencyMethod m) {
        return m.kind == SaliencyMethod.Kind.PER_CHANNEL ? "logit / input unit" : "logit";
    }

    /** What the values are, one line (the colour bar's caption). */
    public static String meaning(SaliencyMethod m) {
        if (m == SaliencyMethods.SMOOTHGRAD_MAX) return "d(lesion voxel logit)/d(normalised input), max |.| over voxels";
        if (m == SaliencyMethods.SMOOTHGRAD_MEAN) return "d(mean lesion logit)/d(normalised input)";
        if (m == SaliencyMethods.CLASS_GRADCAMPP) return "Grad-CAM++ of the summed logit above threshold";
        if (m == SaliencyMethods.GRADCAMPP) return "Grad-CAM++ of the summed lesion logit";
        return m.displayName;
    }

    /**
     * The NIfTI {@code descrip} of a map file (at most 79 ASCII characters): method, channel, what and unit, e.g.
     * "IES smoothgrad-max flair: d(logit)/d(norm. input) [logit/input unit]".
     */
    public static String descrip(SaliencyMethod m, String channel, boolean standardError) {
        String what = m.kind == SaliencyMethod.Kind.PER_CHANNEL
                ? (m == SaliencyMethods.SMOOTHGRAD_MEAN ? "d(mean logit)" : "d(logit)") + "/d(norm. input)"
                : "Grad-CAM++ of the summed lesion logit";
        String s = "IES " + m.key + (channel == null || channel.isEmpty() ? "" : " " + channel) + (standardError ? " SE" : "") + ": "
                + what + " [" + unit(m).replace(" / ", "/") + "]";
        return s.length() > 79 ? s.substring(0, 79) : s;
    }
}
