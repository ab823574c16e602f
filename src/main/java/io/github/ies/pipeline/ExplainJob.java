package io.github.ies.pipeline;

import io.github.ies.instances.InstanceParams;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.InputVolumes;
import io.github.ies.io.NonFinite;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.Segmenter;
import io.github.ies.saliency.LesionMaps;
import io.github.ies.saliency.SaliencySettings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One {@code ies explain} run on files (also {@code ies demo}, {@code ies batch} and the experiments): reads the
 * inputs, checks and locks the output folder, runs the {@link ExplainPipeline} into a staging folder
 * ({@link FolderSink}) and moves the files into place at the end; a failed or cancelled run leaves nothing.
 * {@link #inMemory} is the same run on volumes already in memory, with the folder optional (Fiji).
 */
public final class ExplainJob {

    private ExplainJob() {}

    /** What to run, on files. */
    public static final class Request {
        public Path model;
        /** Input channel name (as the user wrote it) to file. */
        public Map<String, Path> inputs = new LinkedHashMap<>();
        public Path out;
        /** A label image to explain (ids as given); null: segment first. */
        public Path labels;
        public Path groundTruth;
        public Path brainMask;
        /** Instance ids to explain; null: all. */
        public List<Integer> lesions;
        public SaliencySettings options = SaliencySettings.builder().build();
        public String device = "auto";
        public int threads = 0;
        /** TN spheres placed with a ground truth (the instance analysis default: 10). */
        public int tnSpheres = InstanceParams.defaults().tnSpheres;
        /** Free-form tag recorded in run.json ("explain" or "demo"). */
        public String command = "explain";
        public String version = "development";
        /** Segmentation overrides of the bundle's threshold, minimum lesion size and connectivity (null: the bundle's). */
        public Double threshold;
        public Integer minLesionVoxels;
        public Integer connectivity;
        /** NaN or infinite values in the inputs, the model's output or the maps: an error, or set to 0 with a warning. */
        public NonFinite.Policy nonFinite = NonFinite.Policy.ERROR;
        /** The output folder, already opened and locked by the caller (ies batch); null: the job opens {@link #out}. */
        public OutputFolder outputFolder;

        /** The pipeline's parameters of this request. */
        ExplainPipeline.Request pipeline() {
            ExplainPipeline.Request p = new ExplainPipeline.Request();
            p.settings = options;
            p.device = device;
            p.threads = threads;
            p.tnSpheres = tnSpheres;
            p.command = command;
            p.version = version;
            p.threshold = threshold;
            p.minLesionVoxels = minLesionVoxels;
            p.connectivity = connectivity;
            p.nonFinite = nonFinite;
            p.lesions = lesions;
            p.out = out == null ? null : out.toString();
            return p;
        }
    }

    /** Runs a request on files; see the class comment. */
    public static ExplainPipeline.Result run(Request q, ProgressListener progress, Consumer<String> log) throws Exception {
        List<Path> inputFiles = new ArrayList<>(q.inputs.values());
        inputFiles.addAll(Arrays.asList(q.model, q.labels, q.groundTruth, q.brainMask));
        if (q.outputFolder == null) OutputFolder.check(q.out, inputFiles);     // before any work
        ModelBundle bundle = ModelBundle.load(q.model);
        List<String> warnings = new ArrayList<>();
        Map<String, Volume> named = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : q.inputs.entrySet()) {
            if (bundle.inputIndex(e.getKey()) < 0) {
                throw new IllegalArgumentException("input channel '" + e.getKey() + "' is not one of the model's inputs " + bundle.inputs()
                        + " (names match case-insensitively)");
            }
            named.put(e.getKey(), InputVolumes.read(e.getValue(), "input " + e.getKey(), q.nonFinite, warnings));
            sources.put(e.getKey(), e.getValue().toString());
        }
        Volume[] channels = Segmenter.matchInputs(bundle, named, sources);
        ExplainPipeline.Inputs in = new ExplainPipeline.Inputs(bundle, channels, sources);
        in.modelSource = q.model.toString();
        in.groundTruth = optional(q.groundTruth, "ground truth", channels[0], q.nonFinite, warnings);
        in.brainMask = optional(q.brainMask, "brain mask", channels[0], q.nonFinite, warnings);
        in.labels = optional(q.labels, "label image", channels[0], q.nonFinite, warnings);
        in.groundTruthSource = q.groundTruth == null ? null : q.groundTruth.toString();
        in.brainMaskSource = q.brainMask == null ? null : q.brainMask.toString();
        in.labelsSource = q.labels == null ? null : q.labels.toString();
        if (in.labels != null && in.groundTruth != null) {
            throw new IllegalArgumentException("--gt is used with segmentation; with --labels the given instances are explained as they are");
        }
        OutputFolder folder = q.outputFolder != null ? q.outputFolder : OutputFolder.open(q.out, "ies " + q.command, inputFiles);
        return intoFolder(in, q.pipeline(), folder, q.outputFolder == null, null, warnings, progress, log);
    }

    /**
     * The same run on volumes in memory: into {@code extra} (the caller's sink, may be null) and, when {@code out}
     * is not null, also into that folder (checked against {@code inputFiles}, locked, staged and committed).
     */
    public static ExplainPipeline.Result inMemory(ExplainPipeline.Inputs in, ExplainPipeline.Request q, Path out, List<Path> inputFiles,
            ExplainPipeline.Sink extra, ProgressListener progress, Consumer<String> log) throws Exception {
        if (out == null) return ExplainPipeline.run(in, q, extra == null ? (m, ref) -> { } : extra, progress, log);
        OutputFolder.check(out, inputFiles);
        q.out = out.toString();
        return intoFolder(in, q, OutputFolder.open(out, "ies " + q.command, inputFiles), true, extra, new ArrayList<>(), progress, log);
    }

    private static ExplainPipeline.Result intoFolder(ExplainPipeline.Inputs in, ExplainPipeline.Request q, OutputFolder folder, boolean owned,
            ExplainPipeline.Sink extra, List<String> readWarnings, ProgressListener progress, Consumer<String> log) throws Exception {
        boolean finished = false;
        try {
            Path tmp = folder.newStaging();
            ExplainPipeline.Sink files = new FolderSink(tmp, in.bundle.inputs());
            List<String> pre = new ArrayList<>(readWarnings);
            pre.addAll(folder.warnings());
            ExplainPipeline.Sink sink = new ExplainPipeline.Sink() {
                @Override public void segmentation(LesionSegmentation s) throws IOException {
                    files.segmentation(s);
                    if (extra != null) extra.segmentation(s);
                }
                @Override public void instances(LesionTable t, List<Integer> ids, ExplainPipeline.Labels l) throws IOException {
                    files.instances(t, ids, l);
                    if (extra != null) extra.instances(t, ids, l);
                }
                @Override public void lesion(LesionMaps m, Volume ref) throws IOException {
                    files.lesion(m, ref);
                    if (extra != null) extra.lesion(m, ref);
                }
                @Override public void classMap(Volume map) throws IOException {
                    files.classMap(map);
                    if (extra != null) extra.classMap(map);
                }
                @Override public void finish(ExplainPipeline.Result r) throws IOException {
                    r.warnings.addAll(0, pre);
                    files.finish(r);
                    if (extra != null) extra.finish(r);
                }
            };
            ExplainPipeline.Result result = ExplainPipeline.run(in, q, sink, progress, log);
            progress(progress).checkCancelled();
            folder.commit(tmp);
            finished = true;
            return result;
        } finally {
            if (owned) {
                if (finished) folder.keep();
                folder.close();       // removes the staging folder, the lock and (after a failure) the folders it created
            }
        }
    }

    private static ProgressListener progress(ProgressListener p) { return p == null ? ProgressListener.NONE : p; }

    private static Volume optional(Path p, String what, Volume ref, NonFinite.Policy policy, List<String> warnings) throws IOException {
        if (p == null) return null;
        Volume v = InputVolumes.read(p, what, policy, warnings);
        if (!v.sameGrid(ref)) {
            throw new IllegalArgumentException(p + ": grid " + Arrays.toString(v.dims()) + " differs from the inputs' "
                    + Arrays.toString(ref.dims()) + " (dims and affine must match)");
        }
        return v;
    }
}
