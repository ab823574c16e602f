package io.github.ies.fiji;

import ij.ImagePlus;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which open images the model commands' dialogs offer first for FLAIR and MPRAGE: by title (FLAIR: "flair", then
 * "t2"; MPRAGE: "mprage", "mp-rage", "mp2rage", then "t1"; any case, as a word or part of a name such as
 * {@code sub-01_T1w}), else the active image for FLAIR and another open image for MPRAGE; the two are never the same
 * image (with one image open, MPRAGE is left to the dialog). Not used headless, where no dialog shows the guess.
 */
final class InputImageDefaults {

    private static final Pattern[] FLAIR = {Pattern.compile("flair"), Pattern.compile("(?<![a-z])t2")};
    private static final Pattern[] MPRAGE = {Pattern.compile("mp-?2?rage"), Pattern.compile("(?<![a-z])t1")};

    private InputImageDefaults() {}

    /** Whether a dialog can show the defaults (not headless); the tests' emulated Fiji says yes. */
    static volatile java.util.function.BooleanSupplier dialogs = () -> !java.awt.GraphicsEnvironment.isHeadless();

    /**
     * {FLAIR, MPRAGE} among {@code open} ({@code active} may be null); {@code flair}/{@code mprage} are values already
     * set (kept, and not offered for the other input).
     */
    static ImagePlus[] pick(ImagePlus[] open, ImagePlus active, ImagePlus flair, ImagePlus mprage) {
        ImagePlus f = flair != null ? flair : byName(open, FLAIR, mprage);
        ImagePlus m = mprage != null ? mprage : byName(open, MPRAGE, f);
        if (f == null) f = firstOther(open, active, m);
        if (m == null) m = firstOther(open, null, f);
        return new ImagePlus[] {f, m};
    }

    private static ImagePlus byName(ImagePlus[] open, Pattern[] patterns, ImagePlus not) {
        for (Pattern p : patterns) {
            for (ImagePlus imp : open) {
                if (imp != not && p.matcher(imp.getTitle().toLowerCase(Locale.ROOT)).find()) return imp;
            }
        }
        return null;
    }

    /** {@code preferred} unless it is {@code not}; else the first open image that is not {@code not}; else null. */
    private static ImagePlus firstOther(ImagePlus[] open, ImagePlus preferred, ImagePlus not) {
        if (preferred != null && preferred != not) return preferred;
        for (ImagePlus imp : open) if (imp != not) return imp;
        return null;
    }
}
