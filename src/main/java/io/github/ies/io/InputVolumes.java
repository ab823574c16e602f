package io.github.ies.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Reading a run's input volumes (images, ground truths, masks, label images) with the checks a run needs beyond a
 * valid file: a 3D volume (a 4D file is refused instead of silently using its first volume) and finite values (the
 * {@link NonFinite.Policy}). Messages name the input ({@code what}, e.g. "input FLAIR") and the file.
 */
public final class InputVolumes {

    private InputVolumes() {}

    /**
     * Reads a 3D input; non-finite voxels are refused or zeroed by {@code policy}, and a zeroing warning is added to
     * {@code warnings} (which may be null when the policy is {@link NonFinite.Policy#ERROR}).
     */
    public static Volume read(Path file, String what, NonFinite.Policy policy, List<String> warnings) throws IOException {
        NiftiHeader h;
        try {
            h = Nifti.readHeader(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.io.FileNotFoundException(what + ": no such file: " + file + (e.getReason() != null
                    && e.getReason().contains("(") ? " " + e.getReason().substring(e.getReason().indexOf('(')) : ""));
        }
        long vols = h.volumeCount();
        if (vols > 1) {
            throw new NiftiFormatException(file.toString(), what + " has " + vols + " volumes (dims " + Arrays.toString(h.dims())
                    + "); IES needs one 3D volume: extract the one you mean first, e.g. fslroi IN OUT 0 1 (or nibabel's"
                    + " img.slicer[..., 0])");
        }
        Volume v = Nifti.read(file);
        String w = NonFinite.check(v, what + " (" + file + ")", policy);
        if (w != null) warnings.add(w);
        return v;
    }
}
