package io.github.ies.pipeline;

import com.google.gson.JsonObject;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.Segmenter;
import io.github.ies.model.SegmentationResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * The segment use case ({@link #run}) and the files of a segmentation ({@code ies segment}, Fiji's Segment Lesions
 * with an output folder): probability,
 * mask, labels, lesions.csv (and with a ground truth fn_labels, tn_spheres, metrics.json) and run.json, written into a
 * staging folder of an open {@link OutputFolder} and committed together. The front-ends fill the record's
 * {@code parameters} block under their own names; this fills the rest, the same for both.
 */
public final class SegmentJob {

    private SegmentJob() {}

    /** Builds a segmentation's run record (its parameters block under the front-end's names) once the run is known. */
    @FunctionalInterface
    public interface Record {
        RunRecord of(LesionSegmentation ls);
    }

    /**
     * The segment use case on volumes in memory, for every front-end: the options checked before any work, the
     * segmentation and instances ({@link LesionSegmentation}), and, when {@code out} is not null, the output folder
     * (checked against {@code inputFiles}, locked as {@code "ies " + command}, staged and committed, its warnings
     * recorded) with a run.json of {@code record}. {@code warnings} gets the folder's warnings.
     */
    public static LesionSegmentation run(ModelBundle bundle, Volume[] channels, Volume gtOrNull, Volume brainMaskOrNull,
            LesionSegmentation.Options o, Path out, String command, Collection<Path> inputFiles, Record record, List<String> warnings,
            ProgressListener progress, Consumer<Segmenter> onLoaded) throws Exception {
        long t0 = System.nanoTime();
        o.validate();
        if (out != null) OutputFolder.check(out, inputFiles, io.github.ies.io.OutputKind.SEGMENT, command);
        LesionSegmentation ls = LesionSegmentation.run(bundle, channels, gtOrNull, brainMaskOrNull, o, progress, onLoaded);
        if (progress != null) progress.checkCancelled();
        if (out == null) return ls;
        try (OutputFolder folder = OutputFolder.open(out, "ies " + command, inputFiles)) {
            warnings.addAll(folder.warnings());
            if (progress != null) progress.checkCancelled();
            write(folder, ls, bundle, record.of(ls), warnings, t0);
            folder.keep();
        }
        return ls;
    }

    /**
     * Writes {@code ls} into {@code folder} (staged, then committed; nothing partial on failure) with a run.json made
     * of {@code rec} (its parameters filled by the caller) and the model, environment, geometry, result and timings
     * blocks; {@code warnings} come first, then the segmentation's and the instances'.
     */
    public static void write(OutputFolder folder, LesionSegmentation ls, ModelBundle bundle, RunRecord rec, List<String> warnings, long t0)
            throws IOException {
        Path staged = folder.newStaging();
        ls.writeMaps(staged);
        ls.instances.writeTo(staged);
        String json = record(ls, bundle, rec, warnings, t0);
        Nifti.writeAtomically(staged.resolve(ExplainLayout.RUN), os -> os.write(json.getBytes(StandardCharsets.UTF_8)));
        folder.commit(staged);
    }

    /** The run.json text of a segmentation. */
    static String record(LesionSegmentation ls, ModelBundle bundle, RunRecord rec, List<String> warnings, long t0) throws IOException {
        SegmentationResult r = ls.segmentation;
        rec.model(bundle).environment(r.device());
        rec.add("geometry", ls.grid.record());
        JsonObject res = new JsonObject();
        res.add("dims", RunRecord.ints(r.dims()));
        res.addProperty("windows", r.windows());
        res.addProperty("batch_size", r.batchSize());
        res.addProperty("output_channels", r.outputChannels());
        res.addProperty("mask_voxels", r.maskVoxels());
        res.addProperty("lesions", ls.instances.predicted().count());
        rec.add("result", res);
        JsonObject t = new JsonObject();
        r.timings().forEach(t::addProperty);
        t.addProperty("instances", ls.instanceSeconds);
        double total = (System.nanoTime() - t0) / 1e9;
        t.addProperty("total", total);
        rec.add("timings_s", t);
        List<String> all = new ArrayList<>(warnings);
        all.addAll(r.warnings());
        all.addAll(ls.instances.warnings());
        return rec.toJson(all, total);
    }
}
