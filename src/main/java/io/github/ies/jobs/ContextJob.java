package io.github.ies.jobs;

import io.github.ies.request.InvalidRequest;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.analysis.ContextExperiment;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.NonFinite;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.Volume;
import io.github.ies.model.DeviceSpec;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.Segmenter;
import io.github.ies.pipeline.RunRecord;
import io.github.ies.report.Figures;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The perilesional context experiment as a use case (paper 3.5; {@code ies experiment context} and Fiji's
 * Perilesional Context Experiment): one typed {@link Request} with its defaults and checks, the run on a subject's
 * channels and lesions, and the output folder (context.csv, context_lesions.csv, context.png, run.json) written the
 * same way for both front-ends. The front-ends map their options onto the request and show the outcome.
 */
public final class ContextJob {

    public static final int DEFAULT_MIN_VOXELS = 90;
    public static final int DEFAULT_MAX_VOXELS = 120;
    public static final int DEFAULT_STEPS = 25;
    public static final int DEFAULT_BATCH_SIZE = 4;

    private ContextJob() {}

    /** What to run; the field names are the macro keys' ({@code min_voxels} ...). */
    public static final class Request {
        public int minVoxels = DEFAULT_MIN_VOXELS;
        public int maxVoxels = DEFAULT_MAX_VOXELS;
        public int steps = DEFAULT_STEPS;
        /** Detection threshold; null: the bundle's. */
        public Double threshold;
        public int batchSize = DEFAULT_BATCH_SIZE;
        public String device = "auto";
        /** CPU threads; 0: all cores. */
        public int threads;
        public NonFinite.Policy nonFinite = NonFinite.Policy.ERROR;

        /** Checks every value before any work; an {@link InvalidRequest} names the settings by their keys. */
        public Request validate() {
            if (minVoxels < 1 || maxVoxels < minVoxels) throw new InvalidRequest("need 1 <= {min_voxels} <= {max_voxels}");
            if (steps < 0) throw new InvalidRequest("{steps} must be >= 0");
            if (batchSize < 1) throw new InvalidRequest("{batch_size} must be >= 1");
            if (threshold != null && !(threshold >= 0 && threshold <= 1)) throw new InvalidRequest("{threshold} must be in [0, 1], got " + threshold);
            DeviceSpec.parse(device);
            return this;
        }
    }

    /** A finished run: the experiment's result, the device it ran on, its figure and warnings. */
    public static final class Outcome {
        public final ContextExperiment.Result result;
        public final String device;
        public final BufferedImage figure;
        public final ModelBundle bundle;

        Outcome(ContextExperiment.Result result, String device, BufferedImage figure, ModelBundle bundle) {
            this.result = result;
            this.device = device;
            this.figure = figure;
            this.bundle = bundle;
        }

        /** The summary line both front-ends print: lesions, steps, windows, the step from which all are detected. */
        public String summary() {
            ContextExperiment.Result r = result;
            int all = r.allDetectedStep();
            return String.format(java.util.Locale.ROOT, "%d lesion(s), %d step(s), %d windows; all detected from step %s%s", r.lesions.size(), r.steps(),
                    r.windowsRun, all < 0 ? "(never)" : Integer.toString(all),
                    all < 0 ? "" : String.format(java.util.Locale.ROOT, " (%.1f mm)", r.distanceMm[all]));
        }
    }

    /** Runs the experiment on the channels (the bundle's order) and the lesion label image. */
    public static Outcome run(ModelBundle bundle, Volume[] channels, Volume lesions, Request q, ProgressListener progress) throws Exception {
        q.validate();
        ContextExperiment.Options o = new ContextExperiment.Options();
        o.minVoxels = q.minVoxels;
        o.maxVoxels = q.maxVoxels;
        o.steps = q.steps;
        o.threshold = q.threshold;
        o.batchSize = q.batchSize;
        Segmenter.Options so = new Segmenter.Options();
        so.device = q.device;
        so.threads = q.threads;
        so.nonFinite = q.nonFinite;
        ContextExperiment.Result r;
        String device;
        try (Segmenter seg = new Segmenter(bundle, so)) {
            device = seg.device();
            r = ContextExperiment.run(seg, channels, lesions, o, progress);
        }
        if (progress != null) progress.checkCancelled();
        BufferedImage fig = Figures.contextFigure(r);
        return new Outcome(r, device, fig, bundle);
    }

    /**
     * Writes the outcome into {@code out} (checked against {@code inputs}, locked, staged, committed): the two tables,
     * the figure and run.json, made of {@code rec} (its parameters filled by the front-end) and the model,
     * environment, method and result blocks.
     */
    public static void write(Path out, String command, Collection<Path> inputs, Outcome o, RunRecord rec, List<String> warnings, double seconds)
            throws IOException {
        ContextExperiment.Result r = o.result;
        rec.model(o.bundle).environment(o.device);
        JsonObject method = new JsonObject();
        method.addProperty("structuring_element", "18-connected (3x3x3 without corners)");
        method.addProperty("distance_mm", "k x min(spacing): every voxel within this distance of the lesion is in the context");
        method.addProperty("zeroing", "normalised input set, outside the dilated lesion, to what the bundle's normalisation "
                + "makes of a raw 0 (an empty background voxel): 0 for zscore-nonzero, -mean/std for whole-image zscore");
        JsonArray fill = new JsonArray();
        if (r.fill != null) for (float f : r.fill) fill.add(f);
        method.add("fill", fill);
        rec.add("method", method);
        JsonObject res = new JsonObject();
        JsonArray ids = new JsonArray();
        for (ContextExperiment.Lesion l : r.lesions) ids.add(l.id);
        res.add("lesions", ids);
        res.addProperty("threshold", r.threshold); // the one used (the bundle's or the request's)
        int all = r.allDetectedStep();
        res.addProperty("all_detected_step", all);
        if (all >= 0) res.addProperty("all_detected_distance_mm", r.distanceMm[all]);
        res.addProperty("network_windows", r.windowsRun);
        rec.add("result", res);
        List<String> w = new ArrayList<>(warnings);
        w.addAll(r.warnings);
        String json = rec.toJson(w, seconds);
        OutputFolder.write(out, io.github.ies.io.OutputKind.CONTEXT, command, inputs, staging -> {
            text(staging.resolve(ExplainLayout.CONTEXT_CSV), r.csv());
            text(staging.resolve(ExplainLayout.CONTEXT_LESIONS_CSV), r.detailCsv());
            Figures.writePng(o.figure, staging.resolve(ExplainLayout.CONTEXT_FIGURE));
            text(staging.resolve(ExplainLayout.RUN), json);
        });
    }

    static void text(Path p, String s) throws IOException {
        Nifti.writeAtomically(p, os -> os.write(s.getBytes(StandardCharsets.UTF_8)));
    }
}
