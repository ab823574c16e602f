package io.github.ies.fiji;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which open images the model commands' dialogs propose for FLAIR and MPRAGE, by title: FLAIR the one whose title has
 * "flair" (else "t2" as a word start), MPRAGE "mprage"/"mp2rage" (else "t1", as in {@code sub-01_T1w}); else the active
 * image for FLAIR and another open image for MPRAGE. Never the same image for both (with one image open, MPRAGE is
 * left empty for the user). Not used headless, where no dialog shows the guess.
 */
final class InputImageDefaults {

    private static final Pattern[] FLAIR = {Pattern.compile("flair"), Pattern.compile("(?<![a-z])t2")};
    private static final Pattern[] MPRAGE = {Pattern.compile("mp-?2?rage"), Pattern.compile("(?<![a-z])t1")};

    private InputImageDefaults() {}

    /**
     * The bundle's names of the FLAIR and MPRAGE inputs, {FLAIR, MPRAGE}: its two inputs recognised by name, with the
     * same patterns the dialogs use for image titles ({@code FLAIR}/{@code T2_FLAIR}/{@code t2}; {@code MPRAGE},
     * {@code MP2RAGE}, {@code T1}, {@code t1w}). The Fiji commands take one FLAIR and one MPRAGE image; a bundle with
     * other inputs is refused in one line that says what to do.
     */
    static String[] bundleInputs(java.util.List<String> inputs) {
        String f = inputs.size() == 2 ? byName(inputs.toArray(new String[0]), FLAIR, null) : null;
        String m = f == null ? null : byName(inputs.toArray(new String[0]), MPRAGE, f);
        if (f == null || m == null) {
            throw new IllegalArgumentException("the model's inputs are " + inputs + "; the Fiji commands give one FLAIR and one MPRAGE (T1) image: "
                    + "use a bundle whose two inputs are named for them (e.g. FLAIR and MPRAGE, or T2_FLAIR and T1w), "
                    + "or the command line, which takes any inputs ('ies explain --input NAME=FILE ...')");
        }
        return new String[] {f, m};
    }

    /** Whether a dialog can show the defaults (not headless); the tests' emulated Fiji says yes. */
    static volatile java.util.function.BooleanSupplier dialogs = () -> !java.awt.GraphicsEnvironment.isHeadless();

    /**
     * {FLAIR, MPRAGE} titles among {@code open} ({@code active} may be null); {@code flair}/{@code mprage} are values
     * already given (kept, and not proposed for the other input).
     */
    static String[] pick(String[] open, String active, String flair, String mprage) {
        String f = flair != null ? flair : byName(open, FLAIR, mprage);
        String m = mprage != null ? mprage : byName(open, MPRAGE, f);
        if (f == null) f = firstOther(open, active, m);
        if (m == null) m = firstOther(open, null, f);
        return new String[] {f, m};
    }

    private static String byName(String[] open, Pattern[] patterns, String not) {
        for (Pattern p : patterns) {
            for (String t : open) {
                if (!t.equals(not) && p.matcher(t.toLowerCase(Locale.ROOT)).find()) return t;
            }
        }
        return null;
    }

    /** {@code preferred} unless it is {@code not}; else the first open title that is not {@code not}; else null. */
    private static String firstOther(String[] open, String preferred, String not) {
        if (preferred != null && !preferred.equals(not)) return preferred;
        for (String t : open) if (!t.equals(not)) return t;
        return null;
    }
}
