package io.github.ies.pipeline;

import io.github.ies.instances.LesionRows;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.OutputKind;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.saliency.LesionMaps;
import io.github.ies.saliency.SaliencyMethod;

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

    /** What to run, on files: the pipeline's parameters plus the files. */
    public static final class Request extends ExplainPipeline.Request {
        public Path model;
        /** Input channel name (as the user wrote it) to file. */
        public Map<String, Path> inputs = new LinkedHashMap<>();
        public Path out;
        /** A label image to explain (ids as given); null: segment first. */
        public Path labels;
        /**
         * An {@code ies segment} folder whose instances are explained with their ids (TP/FP, FN and TN), categories and
         * probabilities ({@link SegmentationFolder}); excludes {@link #labels}, {@link #groundTruth} and {@link #brainMask}.
         */
        public Path segmentation;
        public Path groundTruth;
        public Path brainMask;
        /** The output folder, already opened and locked by the caller (ies batch); null: the job opens {@link #out}. */
        public OutputFolder outputFolder;
        /** The kind of folder {@link #out} is (a subject's explanation unless the caller says otherwise). */
        public OutputKind kind = OutputKind.EXPLAIN;

        /** The request's own checks (files that exclude each other) and the pipeline's, before any work. */
        public Request validateFiles() {
            if (segmentation != null && (labels != null || groundTruth != null || brainMask != null)) {
                throw new io.github.ies.request.InvalidRequest("{segmentation} brings its instances, ground truth and brain mask (its run.json); "
                        + "give none of {labels}, {gt} and {brain_mask} with it");
            }
            validate();
            return this;
        }
    }

    /** Runs a request on files; see the class comment. */
    public static ExplainPipeline.Result run(Request q, ProgressListener progress, Consumer<String> log) throws Exception {
        q.validateFiles();
        if (log != null) log.accept("reading " + q.inputs.size() + " input(s) and the model " + q.model);   // a first line at once
        SegmentationFolder seg = null;
        if (q.segmentation != null) {
            seg = SegmentationFolder.read(q.segmentation);
            q.labels = seg.labels;
            q.groundTruth = seg.groundTruth;
            q.brainMask = seg.brainMask;
            if (seg.connectivity != null) q.connectivity = seg.connectivity;
            if (seg.minLesionVoxels != null) q.minLesionVoxels = seg.minLesionVoxels;
            if (seg.tnSpheres != null) q.tnSpheres = seg.tnSpheres;
            if (seg.seed != null) q.instanceSeed = seg.seed;
        }
        List<Path> inputFiles = new ArrayList<>(q.inputs.values());
        inputFiles.addAll(Arrays.asList(q.model, q.labels, q.groundTruth, q.brainMask));
        if (seg != null) inputFiles.addAll(Arrays.asList(seg.mask, seg.probability));
        if (q.outputFolder == null) OutputFolder.check(q.out, inputFiles, q.kind, q.command);     // before any work
        ModelBundle bundle = InputFiles.bundle(q.model);
        List<String> warnings = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        Volume[] channels = InputFiles.channels(bundle, q.inputs, q.nonFinite, warnings, sources);
        ExplainPipeline.Inputs in = new ExplainPipeline.Inputs(bundle, channels, sources);
        in.modelSource = q.model.toString();
        String ref = InputFiles.reference(bundle, sources);
        in.groundTruth = InputFiles.onGrid(q.groundTruth, "ground truth", channels[0], ref, q.nonFinite, warnings);
        in.brainMask = InputFiles.onGrid(q.brainMask, "brain mask", channels[0], ref, q.nonFinite, warnings);
        in.labels = InputFiles.onGrid(q.labels, "label image", channels[0], ref, q.nonFinite, warnings);
        in.groundTruthSource = q.groundTruth == null ? null : q.groundTruth.toString();
        in.brainMaskSource = q.brainMask == null ? null : q.brainMask.toString();
        in.labelsSource = q.labels == null ? null : q.labels.toString();
        if (seg != null) {
            in.avoid = InputFiles.onGrid(seg.mask, "prediction mask", channels[0], ref, q.nonFinite, warnings);
            in.probability = InputFiles.onGrid(seg.probability, "probability map", channels[0], ref, q.nonFinite, warnings);
            in.segmentationSource = seg.dir.toString();
            java.nio.file.Path table = seg.dir.resolve(io.github.ies.io.ExplainLayout.LESIONS);
            if (java.nio.file.Files.isRegularFile(table)) in.segmentationTable = LesionRows.read(table, List.of(), List.of());
        }
        OutputFolder folder = q.outputFolder != null ? q.outputFolder : OutputFolder.open(q.out, "ies " + q.command, inputFiles);
        q.outputFolderName = q.out == null ? null : q.out.toString();
        return intoFolder(in, q, folder, q.outputFolder == null, null, warnings, progress, log);
    }

    /**
     * The same run on volumes in memory: into {@code extra} (the caller's sink, may be null) and, when {@code out}
     * is not null, also into that folder (checked against {@code inputFiles}, locked, staged and committed).
     */
    public static ExplainPipeline.Result inMemory(ExplainPipeline.Inputs in, ExplainPipeline.Request q, Path out, List<Path> inputFiles,
            ExplainPipeline.Sink extra, List<String> readWarnings, ProgressListener progress, Consumer<String> log) throws Exception {
        q.validate();
        if (out == null) {
            ExplainPipeline.Result r = ExplainPipeline.run(in, q, extra == null ? (m, ref) -> { } : extra, progress, log);
            r.warnings.addAll(0, readWarnings);
            return r;
        }
        OutputFolder.check(out, inputFiles, OutputKind.EXPLAIN, q.command);
        q.outputFolderName = out.toString();
        return intoFolder(in, q, OutputFolder.open(out, "ies " + q.command, inputFiles), true, extra, readWarnings, progress, log);
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
                @Override public void instances(LesionRows t, List<Integer> ids, ExplainPipeline.Labels l) throws IOException {
                    files.instances(t, ids, l);
                    if (extra != null) extra.instances(t, ids, l);
                }
                @Override public void lesion(LesionMaps m, Volume ref) throws IOException {
                    files.lesion(m, ref);
                    if (extra != null) extra.lesion(m, ref);
                }
                @Override public void volumeMap(SaliencyMethod method, Volume map) throws IOException {
                    files.volumeMap(method, map);
                    if (extra != null) extra.volumeMap(method, map);
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
}
