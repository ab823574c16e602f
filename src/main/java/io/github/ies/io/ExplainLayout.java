package io.github.ies.io;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one owner of the names in an output folder of {@code ies segment} and {@code ies explain} (and of each subject
 * of {@code ies batch}): every reader and writer asks it. The names:
 * <pre>
 * probability.nii.gz, mask.nii.gz, labels.nii.gz, fn_labels.nii.gz, tn_spheres.nii.gz, metrics.json, lesions.csv, run.json
 * saliency/lesion-&lt;id&gt;_&lt;method&gt;_&lt;channel&gt;[_se].nii.gz     saliency/class_gradcampp_layer.nii.gz
 * </pre>
 * with the id zero-padded to three digits ({@code lesion-007_smoothgrad-max_flair.nii.gz}; folders written before
 * the padding, {@code lesion-7_...}, are still read: {@link #existingMap}, {@link #parseMapName}). The columns of
 * {@code lesions.csv} (the maps' peaks among them) are {@code instances.LesionColumns}'.
 */
public final class ExplainLayout {

    public static final String PROBABILITY = "probability.nii.gz";
    public static final String MASK = "mask.nii.gz";
    public static final String LABELS = "labels.nii.gz";
    public static final String FN_LABELS = "fn_labels.nii.gz";
    public static final String TN_SPHERES = "tn_spheres.nii.gz";
    public static final String METRICS = "metrics.json";
    public static final String LESIONS = "lesions.csv";
    public static final String RUN = "run.json";
    public static final String SALIENCY = "saliency";
    public static final String CLASS_MAP = "class_gradcampp_layer.nii.gz";
    /** The channel name of layer maps (Grad-CAM++). */
    public static final String LAYER = "layer";

    /**
     * Every name IES writes at the top of an output folder (files and folders; the relocation cases' folders are
     * checked by the experiment itself). {@link OutputFolder#check} refuses a folder holding one of them that no IES
     * run wrote.
     */
    public static java.util.List<String> outputNames() {
        return java.util.List.of(PROBABILITY, MASK, LABELS, FN_LABELS, TN_SPHERES, METRICS, LESIONS, RUN, SALIENCY, FIGURES, GROUP_TESTS,
                GROUP_SUMMARY, CHANNEL_CONTRIBUTIONS, "peaks.csv", CONTEXT_CSV, CONTEXT_LESIONS_CSV, CONTEXT_FIGURE, RELOCATE_CSV,
                RELOCATE_FIGURE, "summary.csv", "relocate_summary.csv");
    }

    private static final Pattern MAP = Pattern.compile("lesion-(\\d+)_([a-z0-9-]+)_([a-z0-9-]+?)(_se)?\\.nii(\\.gz)?");

    private final Path root;

    public ExplainLayout(Path root) { this.root = root; }

    public Path root() { return root; }

    public Path probability() { return root.resolve(PROBABILITY); }
    public Path mask() { return root.resolve(MASK); }
    public Path labels() { return root.resolve(LABELS); }
    public Path metrics() { return root.resolve(METRICS); }
    public Path lesions() { return root.resolve(LESIONS); }
    public Path run() { return root.resolve(RUN); }
    public Path saliency() { return root.resolve(SALIENCY); }
    public Path classMap() { return saliency().resolve(CLASS_MAP); }

    /** A whole-volume map: {@code saliency/<method>_layer.nii.gz} with {@code _} for {@code -} ({@link #CLASS_MAP} for class-gradcampp). */
    public Path volumeMap(String method) { return saliency().resolve((method + "_" + LAYER).replace('-', '_') + ".nii.gz"); }

    /** The label image holding the instances of a category ({@code FN}, {@code TN} or a predicted one). */
    public Path labelsFor(String category) { return root.resolve(labelFileFor(category)); }

    /** A lesion's map: {@code saliency/lesion-<id>_<method>_<channel>.nii.gz} ({@code _se} for its standard error). */
    public Path map(int id, String method, String channel, boolean standardError) {
        return saliency().resolve(mapName(id, method, channel, standardError));
    }

    /**
     * A lesion's map as it exists in this folder: {@link #map}, or the unpadded name of folders written before the
     * ids were padded ({@code lesion-7_...}) when only that one exists.
     */
    public Path existingMap(int id, String method, String channel, boolean standardError) {
        Path p = map(id, method, channel, standardError);
        if (java.nio.file.Files.exists(p)) return p;
        Path old = saliency().resolve("lesion-" + id + "_" + method + "_" + channel + (standardError ? "_se" : "") + ".nii.gz");
        return java.nio.file.Files.exists(old) ? old : p;
    }

    /** The file name of a lesion's map (see {@link #map}): the id zero-padded to three digits. */
    public static String mapName(int id, String method, String channel, boolean standardError) {
        return "lesion-" + paddedId(id) + "_" + method + "_" + channel + (standardError ? "_se" : "") + ".nii.gz";
    }

    /** An id as file names and display names write it: zero-padded to three digits ({@code 007}; {@code 1234} as is). */
    public static String paddedId(int id) {
        return String.format(Locale.ROOT, "%03d", id);
    }

    /** The file of a category's label image: {@code fn_labels.nii.gz}, {@code tn_spheres.nii.gz} or {@code labels.nii.gz}. */
    public static String labelFileFor(String category) {
        if ("FN".equals(category)) return FN_LABELS;
        if ("TN".equals(category)) return TN_SPHERES;
        return LABELS;
    }

    /** An analysis: the figures folder and the tables. */
    public static final String FIGURES = "figures", GROUP_TESTS = "group_tests.csv", GROUP_SUMMARY = "group_summary.csv",
            CHANNEL_CONTRIBUTIONS = "channel_contributions.csv", CONTRIBUTIONS_FIGURE = "contributions.png";
    /** {@code ies report}'s default file, beside the first explain folder. */
    public static final String REPORT = "report.html";
    /** A context experiment. */
    public static final String CONTEXT_CSV = "context.csv", CONTEXT_LESIONS_CSV = "context_lesions.csv", CONTEXT_FIGURE = "context.png";
    /** A relocation experiment: per case folder the modified channels, the pasted mask, an explain folder. */
    public static final String RELOCATE_CSV = "relocate.csv", RELOCATE_FIGURE = "relocate.png",
            PASTED = "pasted.nii.gz", EXPLAIN = "explain";

    /** A channel's file in a relocate case folder ("FLAIR" -> "flair.nii.gz"). */
    public static String channelFile(String inputName) {
        return channelKey(inputName) + ".nii.gz";
    }

    /** The file-name channel of an input name: lower case, other characters as {@code -} ("FLAIR" -> "flair"). */
    public static String channelKey(String inputName) {
        return inputName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }

    /** A parsed map file name. */
    public record MapName(int id, String method, String channel, boolean standardError) { }

    /** Parses a map's file name ({@code lesion-007_smoothgrad-max_flair.nii.gz}, or the older {@code lesion-7_...}), or null. */
    public static MapName parseMapName(String fileName) {
        Matcher m = MAP.matcher(fileName);
        if (!m.matches()) return null;
        return new MapName(Integer.parseInt(m.group(1)), m.group(2), m.group(3), m.group(4) != null);
    }
}
