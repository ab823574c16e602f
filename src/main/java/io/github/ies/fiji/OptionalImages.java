package io.github.ies.fiji;

import ij.ImagePlus;
import ij.WindowManager;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Optional image inputs (ground truth, label image, tissue labels) that can be left empty in every route.
 *
 * <p>An optional {@code ImagePlus} parameter cannot be left empty in Fiji: the dialog offers only open images and
 * fills an empty one with the first (scijava-common's {@code DefaultWidgetModel}), and a macro that leaves it out
 * gets the active image (imagej-legacy's {@code ActiveImagePlusPreprocessor}, which fills a single unresolved
 * {@code ImagePlus} input). So these inputs are {@code String} choices: {@value #NONE} (the default) or the title of
 * an open image, the titles being filled in by the commands' initializer when the dialog is built. Macros write
 * {@code ground_truth=none} or {@code ground_truth=[title]}; headless runs, {@code ies run} and scripts may also give
 * a file path (NIfTI is read with our reader and keeps its affine; other formats through ImageJ).
 */
public final class OptionalImages {

    /** The value that leaves an optional image empty (also: an empty value). */
    public static final String NONE = "none";

    /** The initializer name the optional image parameters carry (see {@link ModelCommand#initImageChoices()}). */
    static final String INITIALIZER = "initImageChoices";

    private OptionalImages() {}

    /** True for {@value #NONE} (any case), an empty value or null. */
    public static boolean isNone(String value) {
        return value == null || value.isBlank() || value.trim().equalsIgnoreCase(NONE);
    }

    /**
     * The dialog's choices: {@value #NONE}, then the titles of the open images (ImageJ's windows and batch-mode
     * images), then {@code current} when it is neither (e.g. a path given by a script), so it stays selectable.
     */
    public static List<String> choices(String current) {
        List<String> out = new ArrayList<>();
        out.add(NONE);
        for (String t : WindowManager.getImageTitles()) if (!out.contains(t)) out.add(t);
        if (current != null && !isNone(current) && !out.contains(current)) out.add(current);
        return out;
    }

    /**
     * The image named by an optional image parameter: null for {@value #NONE}; else what {@link ImageInputs#resolve}
     * makes of the value (an open image's title or ID, a NIfTI file read with IES's reader, another file ImageJ
     * opens); anything else is an error that names the parameter's key ({@value #NONE} leaves it empty).
     */
    public static ImagePlus resolve(String value, String key) {
        if (isNone(value)) return null;
        try {
            return ImageInputs.resolve(value, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (" + NONE + " leaves it empty)", e);
        }
    }

    /** The folder of an optional output folder parameter, or null for none (no value, an empty path or "none"). */
    public static Path folder(File f) {
        if (f == null || isNone(f.getPath())) return null;
        return f.toPath();
    }
}
