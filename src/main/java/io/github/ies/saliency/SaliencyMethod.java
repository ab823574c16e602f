package io.github.ies.saliency;

import io.github.ies.io.ExplainLayout;

import java.util.List;

/**
 * A saliency method (paper sections 2.3-2.4): its key (command line, macros, file names, lesions.csv columns), its
 * display name, the kind of map it makes and the {@link Computation} that makes it. The methods are the entries of
 * {@link SaliencyMethods}; everything that writes, reads or shows maps iterates that registry.
 */
public final class SaliencyMethod {

    /** The kind of map a method makes. */
    public enum Kind {
        /**
         * Per lesion, one signed map per input channel (input gradients): exactly zero outside the lesion's
         * receptive-field box ({@link SaliencyEngine#smoothGradBox}), stored on it; file channel: the input's key.
         */
        PER_CHANNEL,
        /** Per lesion, one map on the feature layer upsampled to the input (a ReLU, never negative); file channel "layer". */
        LAYER,
        /** One whole-volume map per subject, not per lesion (file {@code <key>_layer.nii.gz}, with {@code _} for {@code -}). */
        VOLUME
    }

    /** How one or more methods are computed, started once per engine: methods with the same computation share its runs. */
    interface Computation {
        Runner start(Session s);

        /** @throws IllegalArgumentException when the bundle cannot give this computation (said in the user's words) */
        default void check(io.github.ies.model.ModelBundle bundle) { }
    }

    /**
     * A computation on one engine. {@link #lesions} computes every selected method of the computation for a group of
     * lesions sharing a context box at once (SmoothGrad max and mean from one set of noisy copies).
     */
    interface Runner {
        /** Progress steps per lesion of a group run (SmoothGrad: one per noisy copy). */
        default long steps() { return 1; }

        /** Memory held per lesion while its group runs, for a lesion's box (the group's memory budget). */
        default long bytes(Box lesionBox, java.util.Set<SaliencyMethod> methods) { return 0; }

        /** A lesion's share of the group's time (seconds in run.json): 1 each unless the work per lesion differs. */
        default double weight(Target t) { return 1; }

        /**
         * The maps of {@code methods} (all of this computation, selected) for every lesion of the group, stored with
         * {@link LesionMaps#put}; advances the group's progress by {@link #steps()} per lesion.
         */
        default void lesions(LesionGroup g, java.util.Set<SaliencyMethod> methods) {
            throw new UnsupportedOperationException("no lesion maps: " + methods);
        }

        /** A {@link Kind#VOLUME} method's map on the normalised input {@code x [C, dims]}: C order on {@code dims}. */
        default float[] volume(SaliencyMethod m, float[] x, int[] dims) {
            throw new UnsupportedOperationException("no whole-volume map: " + m.key);
        }
    }

    /** "smoothgrad-max": lower case letters, digits and '-'. */
    public final String key;
    /** "SmoothGrad-max", for figures, galleries and reports. */
    public final String displayName;
    public final Kind kind;
    /** Whether the computation gives standard errors (over noisy copies) with the uncertainty option. */
    public final boolean standardErrors;
    final Computation computation;

    SaliencyMethod(String key, String displayName, Kind kind, boolean standardErrors, Computation computation) {
        if (!key.matches("[a-z0-9]+(-[a-z0-9]+)*") || key.equals(SaliencyMethods.EVERY)) throw new IllegalArgumentException("bad method key '" + key + "'");
        this.key = key;
        this.displayName = displayName;
        this.kind = kind;
        this.standardErrors = standardErrors;
        this.computation = computation;
    }

    SaliencyMethod(String key, String displayName, Kind kind, Computation computation) {
        this(key, displayName, kind, false, computation);
    }

    /** Whether this method makes maps per lesion (not a whole-volume map). */
    public boolean perLesion() { return kind != Kind.VOLUME; }

    /**
     * The file-name channels of a lesion's maps, one per array: the input channels' keys
     * ({@link ExplainLayout#channelKey}) for {@link Kind#PER_CHANNEL}, else {@link ExplainLayout#LAYER}.
     */
    public List<String> channels(List<String> inputChannels) {
        return kind == Kind.PER_CHANNEL ? inputChannels : List.of(ExplainLayout.LAYER);
    }

    @Override
    public String toString() { return key; }
}
