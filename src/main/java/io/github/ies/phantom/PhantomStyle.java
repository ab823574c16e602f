package io.github.ies.phantom;

/**
 * Which phantom to generate. {@link #CLASSIC} is the original generator (the demo subject, the demo model's training
 * data; its images never change for a seed); {@link #REALISTIC} adds what real MS scans have: per-lesion contrast from
 * FLAIR/MPRAGE ranges (most lesions faint on MPRAGE, a minority of black holes), lesion locations drawn from the
 * typical distribution, normal FLAIR hyperintensities that are not lesions, stronger bias, Rician noise in the
 * background too and partial volume at every spacing (see {@code docs/phantom.md}).
 */
public enum PhantomStyle {
    CLASSIC("classic"), REALISTIC("realistic");

    public final String label;

    PhantomStyle(String label) {
        this.label = label;
    }

    /** The style of a label ({@code classic}, {@code realistic}); IllegalArgumentException naming the choices. */
    public static PhantomStyle parse(String s) {
        for (PhantomStyle p : values()) if (p.label.equalsIgnoreCase(s == null ? "" : s.trim())) return p;
        throw new IllegalArgumentException("unknown phantom style '" + s + "': use classic or realistic");
    }
}
