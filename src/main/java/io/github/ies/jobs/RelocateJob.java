package io.github.ies.jobs;

import io.github.ies.request.InvalidRequest;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.analysis.RelocateExperiment;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.Volume;
import io.github.ies.model.DeviceSpec;
import io.github.ies.model.ModelBundle;
import io.github.ies.pipeline.RunRecord;
import io.github.ies.report.Figures;
import io.github.ies.report.RelocateFigure;
import io.github.ies.saliency.SaliencySettings;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * The relocated-lesion experiment as a use case (paper 3.4; {@code ies experiment relocate} and Fiji's Relocate
 * Lesion): a typed {@link Request} with its defaults and checks, the white-matter and background masks built once,
 * the run into a folder (each case's folder, relocate.csv, relocate.png, run.json) staged inside the output folder and
 * published as one; the front-ends map their options onto the request and show the outcome.
 */
public final class RelocateJob {

    public static final int DEFAULT_MIN_VOXELS = 20;
    public static final int DEFAULT_WM_LABEL = 7;
    public static final double DEFAULT_SHELL_MM = 3;
    public static final int DEFAULT_CLEARANCE = 1;

    private RelocateJob() {}

    /** What to run; the field names are the macro keys' ({@code min_voxels}, {@code shell_mm} ...). */
    public static final class Request {
        /** Lesion id; null: the most conspicuous. */
        public Integer lesion;
        public int minVoxels = DEFAULT_MIN_VOXELS;
        public int wmLabel = DEFAULT_WM_LABEL;
        public double shellMm = DEFAULT_SHELL_MM;
        public int clearance = DEFAULT_CLEARANCE;
        /** Target centroids (i, j, k); null: random, seeded. */
        public int[] wmTarget, backgroundTarget;
        public SaliencySettings saliency = SaliencySettings.builder().build();
        public String device = "auto";
        public int threads;

        /** Checks every value before any work; an {@link InvalidRequest} names the settings by their keys. */
        public Request validate() {
            if (lesion != null && lesion < 1) throw new InvalidRequest("{lesion} must be a lesion id >= 1, got " + lesion);
            if ((wmTarget != null && wmTarget.length != 3) || (backgroundTarget != null && backgroundTarget.length != 3)) {
                throw new InvalidRequest("targets are I,J,K (three voxel indices)");
            }
            if (!(shellMm >= 0) || Double.isInfinite(shellMm) || clearance < 0) throw new InvalidRequest("{shell_mm} and {clearance} must be >= 0");
            DeviceSpec.parse(device);
            return this;
        }

        RelocateExperiment.Options options() {
            RelocateExperiment.Options o = new RelocateExperiment.Options();
            o.lesionId = lesion;
            o.minVoxelsAuto = minVoxels;
            o.wmTarget = wmTarget;
            o.backgroundTarget = backgroundTarget;
            o.shellMm = shellMm;
            o.clearance = clearance;
            o.seed = saliency.seed;
            o.saliency = saliency;
            o.device = device;
            o.threads = threads;
            return o;
        }
    }

    /** Where a lesion may be pasted: white matter (null: that case is skipped) and background. */
    public static final class Masks {
        public final boolean[] whiteMatter, background;
        /** How the background was found, for run.json. */
        public final String backgroundRule;

        Masks(boolean[] whiteMatter, boolean[] background, String backgroundRule) {
            this.whiteMatter = whiteMatter;
            this.background = background;
            this.backgroundRule = backgroundRule;
        }
    }

    /**
     * The masks of a subject: from a tissue label image (white matter = {@code wmLabel}, background = label 0), else
     * white matter from a mask (may be null: no white-matter case) and background where every input channel is
     * exactly 0. The images must be on the channels' grid (checked by the caller).
     */
    public static Masks masks(Volume[] channels, Volume tissues, int wmLabel, Volume wmMask) {
        int n = channels[0].size();
        boolean[] wm = null, bg = new boolean[n];
        if (tissues != null) {
            wm = new boolean[n];
            for (int v = 0; v < n; v++) {
                wm[v] = tissues.data()[v] == wmLabel;
                bg[v] = tissues.data()[v] == 0;
            }
            return new Masks(wm, bg, "tissue label 0");
        }
        if (wmMask != null) {
            wm = new boolean[n];
            for (int v = 0; v < n; v++) wm[v] = wmMask.data()[v] != 0;
        }
        for (int v = 0; v < n; v++) {
            boolean zero = true;
            for (Volume c : channels) zero &= c.data()[v] == 0;
            bg[v] = zero;
        }
        return new Masks(wm, bg, "all input channels 0");
    }

    /** A finished run, its files in the run folder. */
    public static final class Outcome {
        public final RelocateExperiment.Result result;
        public final BufferedImage figure;
        public final String backgroundRule;

        Outcome(RelocateExperiment.Result result, BufferedImage figure, String backgroundRule) {
            this.result = result;
            this.figure = figure;
            this.backgroundRule = backgroundRule;
        }
    }

    /**
     * Runs the experiment into {@code dir} (a staging folder: the case folders, relocate.csv and relocate.png), the
     * lesions given as an instance label image on the channels' grid; {@code status} hears each step.
     */
    public static Outcome run(ModelBundle bundle, Path bundlePath, Volume[] channels, Volume lesions, Masks masks, Request q, Path dir,
            Consumer<String> status) throws Exception {
        q.validate();
        RelocateExperiment.Result r = RelocateExperiment.run(bundle, bundlePath, channels, lesions, masks.whiteMatter, masks.background, q.options(),
                dir, status);
        ContextJob.text(dir.resolve(ExplainLayout.RELOCATE_CSV), r.csv());
        BufferedImage fig = RelocateFigure.render(r, dir, bundle.inputs().get(0));
        Figures.writePng(fig, dir.resolve(ExplainLayout.RELOCATE_FIGURE));
        return new Outcome(r, fig, masks.backgroundRule);
    }

    /**
     * Writes run.json into the run folder: {@code rec} (its parameters filled by the front-end) with the model, the
     * environment and the result.
     */
    public static void record(Path dir, ModelBundle bundle, Request q, Outcome o, RunRecord rec, List<String> warnings, double seconds)
            throws IOException {
        rec.model(bundle).environment(q.device + " requested (each case's explain/run.json names the device used)");
        JsonObject res = new JsonObject();
        res.addProperty("lesion_id", o.result.lesionId);
        res.addProperty("threshold", o.result.threshold);
        res.addProperty("background", o.backgroundRule);
        JsonArray cases = new JsonArray();
        for (RelocateExperiment.Case c : o.result.cases) cases.add(c.name);
        res.add("cases", cases);
        rec.add("result", res);
        List<String> w = new ArrayList<>(warnings);
        w.addAll(o.result.warnings);
        ContextJob.text(dir.resolve(ExplainLayout.RUN), rec.toJson(w, seconds));
    }

    /**
     * The output folder check of the experiment, before any work: against {@code inputs}, against another kind of run
     * ({@code command} is the run's command), and for folders named like a case that no relocation run wrote.
     */
    public static void checkFolder(Path out, String command, Collection<Path> inputs) throws IOException {
        OutputFolder.check(out, inputs, io.github.ies.io.OutputKind.RELOCATE, command);
        RelocateExperiment.checkOutput(out);
    }

    /**
     * The output folder protocol of the experiment (after {@link #checkFolder}): locked ({@code holder} is what a
     * second run into the folder is told holds it), {@code work} run into a staging folder inside it, earlier case
     * folders replaced and everything published at once; returns what the work returned, once published.
     */
    public static <T> T intoFolder(Path out, String holder, Collection<Path> inputs, StagedWork<T> work) throws Exception {
        try (OutputFolder folder = OutputFolder.open(out, holder, inputs)) {
            Path staging = folder.newStaging();
            T result = work.run(staging);
            RelocateExperiment.publish(folder, staging, out);
            folder.keep();
            return result;
        }
    }

    /** Work done into a staging folder. */
    @FunctionalInterface
    public interface StagedWork<T> {
        T run(Path staging) throws Exception;
    }
}
