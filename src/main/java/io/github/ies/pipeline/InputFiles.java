package io.github.ies.pipeline;

import io.github.ies.io.InputVolumes;
import io.github.ies.io.NonFinite;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.Segmenter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading a run's input files, the same way for every command: the model's channels and volumes on their grid. */
public final class InputFiles {

    private InputFiles() {}

    /**
     * The input channels named as the user wrote them (matched to the bundle's inputs case-insensitively), read with
     * the non-finite policy, in the bundle's order and checked for one grid. {@code sources} (may be null) receives
     * channel name to file.
     */
    public static Volume[] channels(ModelBundle bundle, Map<String, Path> files, NonFinite.Policy policy, List<String> warnings,
            Map<String, String> sources) throws IOException {
        Map<String, Volume> named = new LinkedHashMap<>();
        Map<String, String> src = sources != null ? sources : new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            if (bundle.inputIndex(e.getKey()) < 0) {
                throw new IllegalArgumentException("input channel '" + e.getKey() + "' is not one of the model's inputs " + bundle.inputs()
                        + " (names match case-insensitively)");
            }
            named.put(e.getKey(), InputVolumes.read(e.getValue(), "input " + e.getKey(), policy, warnings));
            src.put(e.getKey(), e.getValue().toString());
        }
        return Segmenter.matchInputs(bundle, named, src);
    }

    /**
     * The bundle a model argument names: a bundle folder or .zip as is; a file inside a bundle folder
     * ({@code ies-model.json} or {@code model.pt}: what Fiji's file chooser picks and what a recorded macro holds) stands
     * for its folder. The same rule for the command line and Fiji.
     */
    public static Path bundlePath(Path model) {
        if (model == null) return null;
        String n = model.getFileName() == null ? "" : model.getFileName().toString();
        if (java.nio.file.Files.isRegularFile(model) && (n.equals(ModelBundle.META_FILE) || n.equals(ModelBundle.MODEL_FILE))
                && model.toAbsolutePath().getParent() != null) {
            return model.toAbsolutePath().getParent();
        }
        return model;
    }

    /** {@link ModelBundle#load} of {@link #bundlePath}. */
    public static ModelBundle bundle(Path model) throws IOException {
        return ModelBundle.load(bundlePath(model));
    }

    /** An optional volume (null file: null) that must lie on {@code ref}'s grid (the first input channel). */
    public static Volume onGrid(Path file, String what, Volume ref, NonFinite.Policy policy, List<String> warnings) throws IOException {
        return onGrid(file, what, ref, "the first input channel", policy, warnings);
    }

    /**
     * An optional volume (null file: null) that must lie on {@code ref}'s grid, described by {@code refWhat} (e.g.
     * {@code "FLAIR 'flair.nii.gz'"}): {@link Volume#requireOnGrid}'s one message otherwise, before any inference.
     */
    public static Volume onGrid(Path file, String what, Volume ref, String refWhat, NonFinite.Policy policy, List<String> warnings)
            throws IOException {
        if (file == null) return null;
        return Volume.requireOnGrid(InputVolumes.read(file, what, policy, warnings), what + " '" + file + "'", ref, refWhat);
    }

    /** {@code v} when it lies on {@code ref}'s grid, else {@link Volume#requireOnGrid}'s message naming the file. */
    public static Volume sameGrid(Volume v, Volume ref, Path file) {
        return Volume.requireOnGrid(v, "'" + file + "'", ref, "the first input channel");
    }

    /** How messages name the first input channel (the grid reference): its name and file, e.g. {@code FLAIR 'flair.nii.gz'}. */
    public static String reference(ModelBundle bundle, Map<String, String> sources) {
        String name = bundle.inputs().get(0);
        for (Map.Entry<String, String> e : sources.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) return name + " '" + e.getValue() + "'";
        }
        return name;
    }
}
