package io.github.ies.pipeline;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.ExplainLayout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An {@code ies segment} output folder (or an {@code ies explain} folder that segmented) as the source of the instances
 * to explain ({@code ies explain --segmentation DIR}): its {@code labels.nii.gz}, {@code mask.nii.gz} and
 * {@code probability.nii.gz}, and from its {@code run.json} the ground truth, brain mask, connectivity, minimum lesion
 * size, TN sphere count and seed that run used. Analysed again with {@link io.github.ies.instances.InstanceAnalysis#fromLabels}
 * they give that run's table row for row: the same ids (TP/FP, FN and TN), categories and probabilities.
 */
public final class SegmentationFolder {

    public final Path dir, labels, mask, probability;
    /** Null when the run had none. */
    public final Path groundTruth, brainMask;
    public final Integer connectivity, minLesionVoxels, tnSpheres;
    public final Long seed;

    private SegmentationFolder(Path dir, JsonObject p) throws IOException {
        this.dir = dir;
        ExplainLayout l = new ExplainLayout(dir);
        labels = need(l.labels());
        mask = need(l.mask());
        probability = need(l.probability());
        groundTruth = file(p, "ground_truth", "gt");
        brainMask = file(p, "brain_mask", null);
        connectivity = integer(p, "connectivity");
        minLesionVoxels = integer(p, "min_lesion_voxels");
        tnSpheres = integer(p, "tn_spheres");
        Integer s = integer(p, p.has("instance_seed") ? "instance_seed" : "seed");
        seed = s == null ? null : (long) s;
    }

    /** Reads a folder; a missing file or an unreadable run.json is an error naming it. */
    public static SegmentationFolder read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException("--segmentation " + dir + ": not a folder");
        Path run = new ExplainLayout(dir).run();
        if (!Files.isRegularFile(run)) throw new IOException(dir + ": no run.json (not an 'ies segment' output folder?)");
        JsonObject p;
        try {
            JsonObject j = JsonParser.parseString(Files.readString(run, StandardCharsets.UTF_8)).getAsJsonObject();
            p = j.getAsJsonObject("parameters");
        } catch (RuntimeException e) {
            throw new IOException(run + ": not a run record (" + e.getMessage() + ")", e);
        }
        if (p == null) throw new IOException(run + ": no parameters block");
        return new SegmentationFolder(dir, p);
    }

    private Path need(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new IOException(dir + ": no " + p.getFileName() + " (--segmentation takes the output folder of 'ies segment', or of 'ies explain' "
                    + "when it segmented)");
        }
        return p;
    }

    /** A file the run recorded (key or its older alias), resolved as written, else against the folder. */
    private Path file(JsonObject p, String key, String alias) throws IOException {
        JsonElement e = p.has(key) ? p.get(key) : alias != null ? p.get(alias) : null;
        if (e == null || e.isJsonNull()) return null;
        Path f = Path.of(e.getAsString());
        if (Files.isRegularFile(f)) return f;
        if (!f.isAbsolute() && Files.isRegularFile(dir.resolve(f))) return dir.resolve(f);
        throw new IOException(dir + ": its run used " + key + " " + f + ", which is not there any more (the instances need it)");
    }

    private static Integer integer(JsonObject p, String key) {
        JsonElement e = p.get(key);
        return e == null || e.isJsonNull() || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() ? null : e.getAsInt();
    }
}
