package io.github.ies.phantom;

/** Tissue classes of the phantom's label map ({@link Phantom#tissues()}); the code is the stored label value. */
public enum Tissue {
    BACKGROUND(0), SCALP(1), SKULL(2), SOFT_TISSUE(3), CSF(4), CORTICAL_GM(5), DEEP_GM(6), WHITE_MATTER(7),
    VENTRICLE(8);

    public final int code;

    Tissue(int code) {
        this.code = code;
    }

    private static final Tissue[] BY_CODE = values();

    public static Tissue fromCode(int code) {
        return BY_CODE[code];
    }
}
