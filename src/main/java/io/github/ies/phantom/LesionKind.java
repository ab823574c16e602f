package io.github.ies.phantom;

/** How a phantom lesion was shaped and where it was placed. */
public enum LesionKind {
    /** A rotated ellipsoid in deep white matter. */
    ELLIPSOID("ellipsoid"),
    /** An ellipsoid roughened by thresholded smooth noise: irregular outline. */
    BLOB("blob"),
    /** An ovoid next to a lateral ventricle, long axis pointing away from it (a "Dawson finger"). */
    PERIVENTRICULAR("periventricular"),
    /** Confluent white matter hugging a ventricle wall (a periventricular cap), the largest lesions. */
    CONFLUENT_CAP("confluent_cap"),
    /** An irregular lesion in white matter touching the cortical grey matter. */
    JUXTACORTICAL("juxtacortical"),
    /** A small lesion in brainstem or cerebellar white matter (realistic style only). */
    INFRATENTORIAL("infratentorial");

    public final String label;

    LesionKind(String label) {
        this.label = label;
    }
}
