package io.github.ies.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import io.github.ies.io.Nifti;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place where a text value given for an image input (a macro's {@code flair=...}, headless Fiji's
 * {@code --run} arguments, {@code ies run}, a script's string) becomes an {@link ImagePlus}: the title (or ID) of an
 * open image, else a NIfTI file read with IES's reader (affine kept, {@link VolumeImages}), else another file ImageJ
 * opens. A NIfTI path that cannot be read still becomes an image, an empty one carrying the reason under
 * {@link #ERROR_PROPERTY}, because SciJava's converters cannot report an error: the command that receives it stops
 * with one line naming the parameter, the path and why ({@link CommandSupport#volume}).
 */
public final class ImageInputs {

    /** The property of a placeholder image that says why a path could not be read. */
    public static final String ERROR_PROPERTY = "ies.input.error";

    private ImageInputs() {}

    /** {@code ImagePlus.toString()}: {@code img["title" (id), ...]}. */
    private static final java.util.regex.Pattern IMAGE_TO_STRING = java.util.regex.Pattern.compile("img\\[\"(.*)\" \\((-?\\d+)\\),.*\\]");

    /** True for names IES's NIfTI reader takes (.nii, .nii.gz, .hdr, .img, gzipped or not), any case. */
    public static boolean isNiftiName(String s) {
        if (s == null) return false;
        String low = s.trim().toLowerCase(Locale.ROOT);
        return low.endsWith(".nii") || low.endsWith(".nii.gz") || low.endsWith(".hdr") || low.endsWith(".hdr.gz")
                || low.endsWith(".img") || low.endsWith(".img.gz");
    }

    /** True for {@code .nii} and {@code .nii.gz} names (any case): the paths the converter claims from every plugin. */
    public static boolean isNiiName(String s) {
        if (s == null) return false;
        String low = s.trim().toLowerCase(Locale.ROOT);
        return low.endsWith(".nii") || low.endsWith(".nii.gz");
    }

    /** An open image with this title or ID, or null. */
    public static ImagePlus openImage(String value) {
        if (value == null) return null;
        String v = value.trim();
        try {
            ImagePlus byId = WindowManager.getImage(Integer.parseInt(v));
            if (byId != null) return byId;
        } catch (NumberFormatException e) {
            // not an ID
        }
        return WindowManager.getImage(v);
    }

    /**
     * A NIfTI file read with IES's reader, titled by its name without extension; a file that is missing or cannot be
     * read gives a placeholder carrying the reason ({@link #error}).
     */
    public static ImagePlus readNifti(String path) {
        String v = path.trim();
        Path p;
        try {
            p = Path.of(v);
        } catch (InvalidPathException e) {
            return unreadable(v, "not a valid path");
        }
        if (!Files.exists(p)) return unreadable(v, "no such file");
        if (!Files.isRegularFile(p)) return unreadable(v, "not a file");
        try {
            ImagePlus imp = VolumeImages.toImagePlus(Nifti.read(p), OpenNiftiCommand.titleOf(p.getFileName().toString()));
            imp.setProp("ies.source", p.toAbsolutePath().toString());
            return imp;
        } catch (Exception e) {
            return unreadable(v, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /**
     * The image a value names: an open image's title or ID, a NIfTI file (IES's reader), or another file ImageJ can
     * open. Throws IllegalArgumentException naming {@code key} when it is none of these.
     */
    public static ImagePlus resolve(String value, String key) {
        ImagePlus open = openImage(value);
        if (open != null) return open;
        String v = value.trim();
        java.util.regex.Matcher shown = IMAGE_TO_STRING.matcher(v);
        if (shown.matches()) {
            // an ImagePlus object given by a script, turned into text by SciJava (ImagePlus.toString): an open image is
            // found by its ID; any other cannot be
            ImagePlus byId = WindowManager.getImage(Integer.parseInt(shown.group(2)));
            if (byId != null) return byId;
            throw new IllegalArgumentException(key + ": the image '" + shown.group(1) + "' is not open in ImageJ: give an open image's "
                    + "title (imp.getTitle() after imp.show()) or a NIfTI path");
        }
        if (isNiftiName(v)) {
            ImagePlus imp = readNifti(v);
            String err = error(imp);
            if (err != null) throw new IllegalArgumentException(key + ": " + err);
            return imp;
        }
        Path p = null;
        try {
            p = Path.of(v);
        } catch (InvalidPathException e) {
            // not a path
        }
        if (p != null && Files.isRegularFile(p)) {
            ImagePlus imp = IJ.openImage(p.toString());
            if (imp == null || imp.getStackSize() < 1 || imp.getWidth() < 1) {
                throw new IllegalArgumentException(key + ": ImageJ cannot open " + p + " (give a NIfTI file or an open image's title)");
            }
            return imp;
        }
        throw new IllegalArgumentException(key + ": no open image titled '" + v + "' and no such file (give an open image's title or a NIfTI path)");
    }

    /** A placeholder image for a path that could not be read, carrying the reason. */
    static ImagePlus unreadable(String path, String why) {
        ImagePlus imp = new ImagePlus();
        imp.setTitle(path);
        imp.setProp(ERROR_PROPERTY, "cannot read " + path + ": " + why);
        return imp;
    }

    /** The reason a placeholder carries, or null for a real image. */
    public static String error(ImagePlus imp) {
        if (imp == null) return null;
        String e = imp.getProp(ERROR_PROPERTY);
        return e == null || e.isEmpty() ? null : e;
    }
}
