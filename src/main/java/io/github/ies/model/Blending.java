package io.github.ies.model;

import java.util.Locale;

/** How overlapping sliding-window patches are weighted (MONAI {@code BlendMode}). */
public enum Blending {
    GAUSSIAN("gaussian"), CONSTANT("constant");

    public final String key;

    Blending(String key) { this.key = key; }

    public static Blending fromKey(String key) {
        for (Blending b : values()) if (b.key.equals(key.toLowerCase(Locale.ROOT))) return b;
        return null;
    }
}
