package io.github.ies.pipeline;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.geometry.ModelGrid;
import io.github.ies.instances.InstanceAnalysis;
import io.github.ies.instances.InstanceParams;
import io.github.ies.instances.InstanceResult;
import io.github.ies.instances.LesionColumns;
import io.github.ies.instances.LesionRow;
import io.github.ies.instances.LesionRows;
import io.github.ies.instances.LesionTable;
import io.github.ies.instances.Peak;
import io.github.ies.instances.PeakKey;
import io.github.ies.io.Crops;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.NonFinite;
import io.github.ies.io.Volume;
import io.github.ies.model.DeviceSpec;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.PreluHint;
import io.github.ies.model.SegmentationResult;
import io.github.ies.model.Segmenter;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;
import io.github.ies.saliency.Box;
import io.github.ies.saliency.LesionMaps;
import io.github.ies.saliency.SaliencyMethod;
import io.github.ies.saliency.SaliencyMethods;
import io.github.ies.saliency.SaliencyContext;
import io.github.ies.saliency.SaliencyEngine;
import io.github.ies.saliency.SaliencySettings;
import io.github.ies.saliency.Target;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The explain pipeline on volumes in memory, the one code path behind {@code ies explain}, {@code ies demo},
 * {@code ies batch}, the experiments and Fiji's Explain Lesions. Its steps: {@link #instances} (segment and analyse,
 * or take the given label image), {@link #targets}, {@link #peakColumns}, {@link #saliency} (the engine, lesion by
 * lesion, peaks into the table) and {@link #record} (run.json). Results go to a {@link Sink} the caller owns: a
 * folder of NIfTI files ({@link FolderSink}, through {@link ExplainJob}), Fiji's displays, or both.
 */
public final class ExplainPipeline {

    /** What to explain: the inputs as volumes, with where they came from (for run.json). */
    public static final class Inputs {
        public final ModelBundle bundle;
        /** The input channels in the bundle's order, on one grid. */
        public final Volume[] channels;
        /** Channel name (as given) to its source (a file, an image title). */
        public final Map<String, String> sources;
        public Volume groundTruth;
        public Volume brainMask;
        /**
         * A label image whose instances are explained with their ids as given (no segmentation); with a ground truth
         * they are also categorised, and FN instances and TN spheres added (see {@link InstanceAnalysis#fromLabels});
         * null: segment first.
         */
        public Volume labels;
        /**
         * With {@link #labels}: the unfiltered prediction mask the TN spheres avoid and the probability map of the
         * probability columns (an {@code ies segment} folder's {@code mask.nii.gz} and {@code probability.nii.gz}: then
         * the instances, ids and TN spheres are segment's); null: the spheres avoid the labels, no probabilities.
         */
        public Volume avoid, probability;
        /** Sources of the optional volumes and of the model, for run.json (null when absent). */
        public String groundTruthSource, brainMaskSource, labelsSource, modelSource, segmentationSource;
        /** An {@code ies segment} folder's lesions.csv (with {@link #labels} from that folder), checked against the ids found here. */
        public LesionRows segmentationTable;

        public Inputs(ModelBundle bundle, Volume[] channels, Map<String, String> sources) {
            this.bundle = bundle;
            this.channels = channels;
            this.sources = sources;
        }
    }

    /** The run's parameters (everything but the inputs); {@link ExplainJob.Request} adds the files. */
    public static class Request {
        public SaliencySettings settings = SaliencySettings.builder().build();
        public String device = io.github.ies.model.DeviceSpec.DEFAULT;
        public int threads = 0;
        /** TN spheres placed with a ground truth. */
        public int tnSpheres = InstanceParams.DEFAULT_TN_SPHERES;
        /** The command recorded in run.json ("explain", "demo", "fiji-explain", ...). */
        public String command = "explain";
        public String version = "development";
        /** Segmentation overrides of the bundle's threshold, minimum lesion size and connectivity (null: the bundle's). */
        public Double threshold;
        public Integer minLesionVoxels;
        public Integer connectivity;
        /** The seed of the TN sphere placement; null: the saliency seed. */
        public Long instanceSeed;
        /** NaN or infinite values in the inputs, the model's output or the maps: an error, or set to 0 with a warning. */
        public NonFinite.Policy nonFinite = NonFinite.Policy.ERROR;
        /** Instance ids to explain; null: all. */
        public List<Integer> lesions;
        /** The output folder as recorded in run.json (null: none). */
        public String outputFolderName;

        /**
         * The one check of the request, for every interface, before any work (the saliency settings are checked when
         * built). @throws InvalidRequest naming the setting by key
         */
/**
         * Copies every setting of this request into {@code into} (a request for one subject of a cohort, say): the one
         * place that lists the fields, so a field added here is copied too ({@code ExplainRequestCopyTest}).
         */
        public <T extends Request> T copyTo(T into) {
            into.settings = settings;
            into.device = device;
            into.threads = threads;
            into.tnSpheres = tnSpheres;
            into.command = command;
            into.version = version;
            into.threshold = threshold;
            into.minLesionVoxels = minLesionVoxels;
            into.connectivity = connectivity;
            into.instanceSeed = instanceSeed;
            into.nonFinite = nonFinite;
            into.lesions = lesions;
            into.outputFolderName = outputFolderName;
            return into;
        }

                public Request validate() {
            InstanceParams.check(minLesionVoxels, tnSpheres);
            io.github.ies.model.Segmenter.checkThreshold(threshold);
            io.github.ies.instances.Connectivity.checkOption(connectivity);
            io.github.ies.model.DeviceSpec.parse(device);
            if (lesions != null) for (int id : lesions) if (id < 1) throw new io.github.ies.request.InvalidRequest("{lesions} must be ids >= 1, got " + id);
            return this;
        }
    }

    /** Where the results go; the caller owns it. Calls come in this order, from the thread that runs the pipeline. */
    public interface Sink {
        /** The segmentation, when the pipeline segmented (before any instance). */
        default void segmentation(LesionSegmentation segmentation) throws IOException { }

        /** The instance table and the ids that will be explained, with each category's label image. */
        default void instances(LesionRows table, List<Integer> ids, Labels labels) throws IOException { }

        /** One lesion's maps (crops on their regions), once complete; its table row already holds its peaks. */
        void lesion(LesionMaps maps, Volume reference) throws IOException;

        /** A whole-volume map ({@link SaliencyMethod.Kind#VOLUME}, e.g. class-level Grad-CAM++) on the input grid. */
        default void volumeMap(SaliencyMethod method, Volume map) throws IOException { }

        /** The end: the table with the peak columns and the run record. */
        default void finish(Result result) throws IOException { }
    }

    /** The label image of each category: NIfTI-order labels on the input grid. */
    public interface Labels {
        int[] of(String category);
    }

    /** One explained instance, for summaries. */
    public static final class Row {
        public int id;
        public String category;
        public int voxels;
        public double seconds;
        public final Map<String, Double> values = new LinkedHashMap<>();
    }

    /** What a run produced. */
    public static final class Result {
        /** The label image of each category. */
        public Labels labels;
        public final List<Row> rows = new ArrayList<>();
        public final List<String> columns = new ArrayList<>();
        public final List<String> warnings = new ArrayList<>();
        public double seconds;
        public int segmentedLesions = -1;
        /** The instance table with the peak columns. */
        public LesionRows table;
        /** The instance analysis (null when a label image was given). */
        public InstanceResult instances;
        /** run.json's text. */
        public String runRecord;
    }

    private final Inputs in;
    private final Request q;
    private final Sink sink;
    private final ProgressListener listener;
    private final Consumer<String> say;
    private final Result result = new Result();
    /** The input's grid (native) and the model's grid (where the network and the engine run). */
    private final int[] nd;
    private int[] md;
    private final long t0 = System.nanoTime();
    // set by the steps
    private ModelGrid grid;
    /** Ids of a given label image with no voxel on the model grid (left out of the table). */
    private final java.util.TreeSet<Integer> lostIds = new java.util.TreeSet<>();
    private float[] x;
    private LesionRows table;
    private InstanceResult ir;
    /** The instances on the model's grid (targets come from there; ir itself when the grids are one). */
    private InstanceResult modelIr;
    private final JsonObject segmentationRecord = new JsonObject();
    private final JsonArray perLesion = new JsonArray();

    private ExplainPipeline(Inputs in, Request q, Sink sink, ProgressListener progress, Consumer<String> log) {
        this.in = in;
        this.q = q;
        this.sink = sink;
        this.listener = progress == null ? ProgressListener.NONE : progress;
        this.say = log == null ? s -> { } : log;
        this.nd = in.channels[0].dims();
    }

    /** Runs the pipeline; the results go to {@code sink} and are returned. */
    public static Result run(Inputs in, Request q, Sink sink, ProgressListener progress, Consumer<String> log) throws Exception {
        ExplainPipeline p = new ExplainPipeline(in, q, sink, progress, log);
        DeviceSpec spec = DeviceSpec.parse(q.validate().device);
        TorchRuntime.configure(q.threads);
        Device device = spec.resolve();
        p.instances();
        List<Target> targets = p.targets();
        p.peakColumns();
        SaliencyEngine engine = p.saliency(device, targets);
        p.record(engine, device);
        return p.result;
    }

    /** Step 1: the instances, segmented and analysed (as {@code ies segment}), or those of the given label image. */
    private void instances() throws Exception {
        if (in.labels == null) {
            LesionSegmentation.Options lo = new LesionSegmentation.Options();
            lo.segmenter.device = q.device;
            lo.segmenter.threads = q.threads;
            lo.segmenter.threshold = q.threshold;
            lo.segmenter.nonFinite = q.nonFinite;
            lo.connectivity = q.connectivity;
            lo.minLesionVoxels = q.minLesionVoxels;
            lo.tnSpheres = q.tnSpheres;
            lo.seed = instanceSeed();
            LesionSegmentation ls = LesionSegmentation.run(in.bundle, in.channels, in.groundTruth, in.brainMask, lo, listener, null);
            sink.segmentation(ls);
            SegmentationResult sr = ls.segmentation;
            grid = ls.grid;
            x = sr.normalizedInput();
            ir = ls.instances;
            modelIr = ls.modelInstances;
            result.warnings.addAll(ir.warnings());
            result.warnings.addAll(sr.warnings());
            table = ir.rows();
            result.segmentedLesions = ir.predicted().count();
            segmentationRecord.addProperty("threshold", sr.threshold());
            segmentationRecord.addProperty("windows", sr.windows());
            segmentationRecord.addProperty("mask_voxels", sr.maskVoxels());
            segmentationRecord.addProperty("predicted_instances", ir.predicted().count());
            JsonObject st = new JsonObject();
            sr.timings().forEach(st::addProperty);
            segmentationRecord.add("timings_s", st);
            say.accept(String.format(Locale.ROOT, "segmented: %d instance(s), %d table row(s)", ir.predicted().count(), table.size()));
        } else {
            grid = ModelGrid.plan(nd, in.channels[0].geometry(), in.bundle.geometry());
            Volume[] onModel = in.channels;
            if (!grid.identity()) {
                onModel = new Volume[in.channels.length];
                for (int c = 0; c < onModel.length; c++) onModel[c] = grid.toModel(in.channels[c], ModelGrid.Interpolation.LINEAR);
            }
            if (grid.worthSaying()) result.warnings.add(grid.describe());
            x = Segmenter.normalize(in.bundle, onModel);
            if (grid.identity()) {
                ir = InstanceAnalysis.fromLabels(in.labels, in.groundTruth, in.brainMask, in.avoid, in.probability, in.channels[0], instanceParams());
                modelIr = ir;
            } else {
                labelsOnModelGrid(onModel[0]);
            }
            if (in.segmentationTable != null) compareWithSegmentation(result.warnings);
            result.warnings.addAll(ir.warnings());
            table = ir.rows();
            say.accept(String.format(Locale.ROOT, "%d instance(s) in the label image, %d table row(s)", ir.predicted().instances(
                    in.channels[0].geometry()).size(), table.size()));
        }
        md = grid.modelDims();
        result.table = table;
        result.instances = ir;
        result.labels = this::labelsOf;
    }

    /**
     * The label-image path on a model grid, as {@code ies segment} analyses its instances: the label image, ground truth,
     * brain mask and prediction mask go there by nearest neighbour (the probability map trilinearly), the instances are
     * categorised there (FN instances and TN spheres found there), and the result comes back ({@link InstanceResult#onGrid}):
     * the given label image as given, FN and TN labels by nearest neighbour, the table recomputed on the input's grid,
     * the metrics the model grid's. Ids of the label image with no voxel on the model grid are named in a warning.
     */
    private void labelsOnModelGrid(Volume firstOnModel) {
        int[] given = new int[nd[0] * nd[1] * nd[2]];
        float[] gl = in.labels.data();
        java.util.TreeSet<Integer> lost = new java.util.TreeSet<>();
        int maxId = 0;
        for (int v = 0; v < given.length; v++) {
            given[v] = Math.round(gl[v]);
            if (given[v] > 0) lost.add(given[v]);
            maxId = Math.max(maxId, given[v]);
        }
        Volume lab = grid.toModel(in.labels, ModelGrid.Interpolation.NEAREST);
        for (float v : lab.data()) if (v > 0) lost.remove(Math.round(v));        // what is left has no voxel there
        // FN and TN ids after the input's largest id, whether or not it survived on the model grid
        modelIr = InstanceAnalysis.fromLabels(lab, nearest(in.groundTruth), nearest(in.brainMask), nearest(in.avoid),
                in.probability == null ? null : grid.toModel(in.probability, ModelGrid.Interpolation.LINEAR), firstOnModel, instanceParams(),
                maxId);
        int[] fn = modelIr.fnLabels() == null ? null : LesionSegmentation.labels(grid, modelIr.fnLabels(), lab);
        int[] tn = modelIr.tnLabels() == null ? null : LesionSegmentation.labels(grid, modelIr.tnLabels(), lab);
        ir = modelIr.onGrid(in.channels[0].geometry(), nd, given, fn, tn, in.probability == null ? null : in.probability.data(),
                grid.nativeFromModel(), grid.modelGridText());
        lostIds.addAll(lost);
        if (!lostIds.isEmpty()) {
            result.warnings.add(lostIds.size() + " instance(s) of the label image have no voxel on " + grid.modelGridText()
                    + " (smaller than one voxel there) and are left out: " + lostIds);
        }
    }

    private Volume nearest(Volume v) {
        return v == null ? null : grid.toModel(v, ModelGrid.Interpolation.NEAREST);
    }

    /**
     * With an {@code ies segment} folder: its table's ids and categories against the ones found here. They agree
     * when the input's grid is the model's, or finer on every axis (its label image then carries the model grid's
     * instances exactly); otherwise a warning names the rows that differ.
     */
    private void compareWithSegmentation(List<String> warnings) {
        LesionRows seg = in.segmentationTable;
        List<String> differ = new ArrayList<>();
        for (io.github.ies.instances.LesionRow r : seg.rows()) {
            int id = r.id();
            String there = r.category();
            io.github.ies.instances.LesionRow row = ir.rows().byId(id);
            String here = row == null ? "none" : row.category();
            if (!there.equals(here)) differ.add(id + " " + (there.isEmpty() ? "-" : there) + " -> " + (here.isEmpty() ? "-" : here));
        }
        for (io.github.ies.instances.LesionRow r : ir.rows().rows()) {
            if (seg.indexOf(r.id()) < 0) differ.add(r.id() + " none -> " + r.category());
        }
        if (!differ.isEmpty()) {
            warnings.add(differ.size() + " instance(s) differ from the segmentation folder's lesions.csv (id: category there -> here): "
                    + String.join(", ", differ.subList(0, Math.min(10, differ.size()))) + (differ.size() > 10 ? ", ..." : "")
                    + "; its label image does not carry the model grid's instances exactly (an input grid coarser than the model's): "
                    + "explain without --segmentation to segment again");
        }
    }

    /** The seed of the TN spheres: {@link Request#instanceSeed}, else the saliency seed. */
    private long instanceSeed() {
        return q.instanceSeed != null ? q.instanceSeed : q.settings.seed;
    }

    /** The instance parameters of the label-image path (the bundle's connectivity unless overridden). */
    private InstanceParams instanceParams() {
        LesionSegmentation.Options lo = new LesionSegmentation.Options();
        lo.connectivity = q.connectivity;
        lo.minLesionVoxels = q.minLesionVoxels;
        lo.tnSpheres = q.tnSpheres;
        lo.seed = instanceSeed();
        return LesionSegmentation.instanceParams(in.bundle, lo);
    }

    /** The label image of a category: the predicted (or given), FN or TN labels. */
    private int[] labelsOf(String category) {
        if ("FN".equals(category) && ir.fnLabels() != null) return ir.fnLabels();
        if ("TN".equals(category) && ir.tnLabels() != null) return ir.tnLabels();
        return ir.predicted().labels();
    }

    /** Step 2: the ids to explain (all, or the requested ones, which must exist) and their voxel sets. */
    private List<Target> targets() throws IOException {
        List<Integer> ids = new ArrayList<>();
        if (q.lesions == null) {
            ids.addAll(table.ids());
        } else {
            for (int id : q.lesions) {
                if (lostIds.contains(id)) {
                    throw new IllegalArgumentException("instance " + id + " has no voxel on " + grid.modelGridText()
                            + " (smaller than one voxel there); explain it with a model without a declared spacing, or leave it out");
                }
                if (table.indexOf(id) < 0) {
                    throw new IllegalArgumentException("no instance with id " + id + " (ids: " + idList() + ")"
                            + (ir.hasGroundTruth() ? "" : "; FN and TN ids exist only with a ground truth (--gt) or an ies segment folder "
                            + "(--segmentation)"));
                }
                ids.add(id);
            }
        }
        List<Target> targets = new ArrayList<>();
        for (int id : ids) {
            boolean[] mask = modelIr.mask(id);
            boolean any = false;
            for (boolean b : mask) any |= b;
            if (!any) {
                throw new IllegalArgumentException("instance " + id + " has no voxel on the model's grid " + java.util.Arrays.toString(md)
                        + " (smaller than one voxel there); explain it with a model without a declared spacing, or leave it out");
            }
            targets.add(Target.ofNifti(id, mask, md));
        }
        sink.instances(table, ids, this::labelsOf);
        return targets;
    }

    /** The file-name channel of each input (see {@link ExplainLayout#channelKey}). */
    private List<String> channelKeys() {
        List<String> chans = new ArrayList<>();
        for (String n : in.bundle.inputs()) chans.add(ExplainLayout.channelKey(n));
        return chans;
    }

    /** Step 3: the table's peak columns, per method and channel. */
    private void peakColumns() {
        SaliencySettings o = q.settings;
        for (SaliencyMethod m : o.methods) {
            if (!m.perLesion()) continue;
            for (String c : m.channels(channelKeys())) {
                PeakKey k = new PeakKey(m.key, c);
                boolean se = o.uncertainty && m.standardErrors;
                result.columns.addAll(LesionColumns.peakColumns(k, se));
                table.addPeakColumns(k, se);
            }
        }
        List<String> chans = channelKeys();
        if (o.methods.contains(SaliencyMethods.SMOOTHGRAD_MAX) && chans.size() > 1) table.addShareColumns(chans);
    }

    /** Step 4: the engine, lesion by lesion into the sink, and the whole-volume maps. */
    private SaliencyEngine saliency(Device device, List<Target> targets) throws Exception {
        SaliencySettings o = q.settings;
        List<String> chans = channelKeys();
        Volume ref = in.channels[0];
        try (TorchModel model = TorchModel.load(in.bundle, device, true)) {
            String preluHint = PreluHint.hint(model);   // an old export: PReLU backward computes unused slope gradients
            if (preluHint != null) say.accept(preluHint);
            SaliencyEngine engine = new SaliencyEngine(model, o);
            say.accept("explaining " + targets.size() + " instance(s) on " + DeviceSpec.describe(device) + ": " + engine.describe());
            int[] pad = engine.fullPadding(md);
            if (o.context == SaliencyContext.FULL && (pad[0] > 0 || pad[1] > 0 || pad[2] > 0)) {
                say.accept(String.format(Locale.ROOT, "full context: the %dx%dx%d volume is zero-padded to %dx%dx%d (a multiple of the network's "
                        + "stride %d; see docs/saliency.md)", md[0], md[1], md[2], md[0] + pad[0], md[1] + pad[1], md[2] + pad[2], engine.alignment()));
            }
            long te = System.nanoTime();
            // one progress stage for the whole saliency time: the engine's steps (its checks before the first are in
            // the stage's clock from its start, reported here as step 0) plus one step per whole-volume map, so that
            // 100% comes when the last map is done (issue 22)
            long volumeSteps = o.methods.stream().filter(vm -> !vm.perLesion()).count();
            long[] engineTotal = {0};
            ProgressListener stage = new ProgressListener() {
                @Override public void progress(String name, long done, long total) {
                    engineTotal[0] = total;
                    listener.progress(name, done, total + volumeSteps);
                }

                @Override public boolean isCancelled() { return listener.isCancelled(); }
            };
            long planned = engine.steps(targets.size()) + volumeSteps;      // the stage's total from its first line
            listener.progress("explain", 0, Math.max(planned, 1));
            Map<Integer, Row> rows = new LinkedHashMap<>();
            engine.explain(x, md, targets, onModel -> {
                LesionMaps m = toNative(onModel);   // the maps on the input's grid; the boxes below are the engine's
                Row row = peaks(m, chans);
                row.category = table.byId(m.id).category();
                rows.put(m.id, row);
                sink.lesion(m, ref);
                JsonObject j = new JsonObject();
                j.addProperty("id", m.id);
                j.addProperty("voxels", m.voxels);
                j.addProperty("seconds", m.seconds);
                if (!grid.identity()) j.addProperty("boxes_on", "model grid");
                j.add("context_origin", RunRecord.ints(onModel.context.origin()));
                j.add("context_size", RunRecord.ints(onModel.context.size()));
                j.add("smoothgrad_origin", RunRecord.ints(onModel.smoothGradRegion.origin()));
                j.add("smoothgrad_size", RunRecord.ints(onModel.smoothGradRegion.size()));
                perLesion.add(j);
            }, stage);
            for (Target t : targets) result.rows.add(rows.get(t.id));
            long volumeDone = 0;
            result.warnings.addAll(engine.log());
            for (SaliencyMethod vm : o.methods) {
                if (vm.perLesion()) continue;
                listener.checkCancelled();
                float[] cls = engine.volumeMap(vm, x, md);
                checkMap(cls, "the " + vm.displayName + " map", q.nonFinite, result.warnings);
                Volume map = Volume.fromTensorLayout(cls, 0, md, grid.modelGeometry());
                sink.volumeMap(vm, grid.identity() ? Volume.fromTensorLayout(cls, 0, nd, ref.geometry()) : grid.toNative(map, ModelGrid.Interpolation.LINEAR));
                listener.progress("explain", engineTotal[0] + ++volumeDone, engineTotal[0] + volumeSteps);
            }
            if (planned == 0) listener.progress("explain", 1, 1);   // nothing was explained: end the stage
            say.accept(String.format(Locale.ROOT, "saliency: %.1f s", (System.nanoTime() - te) / 1e9));
            return engine;
        }
    }

    /**
     * A lesion's maps on the input's grid: as computed when the model's grid is the input's, else each map pasted on
     * the model's grid, brought back trilinearly ({@link ModelGrid#toNative}) and cropped to the box of the input
     * grid where any of them is non-zero (nothing is lost: the maps are zero outside it).
     */
    private LesionMaps toNative(LesionMaps m) {
        if (grid.identity()) return m;
        Volume modelRef = new Volume(new float[md[0] * md[1] * md[2]], md, grid.modelGeometry());
        Map<SaliencyMethod, float[][]> maps = new LinkedHashMap<>(), ses = new LinkedHashMap<>();
        for (Map.Entry<SaliencyMethod, float[][]> e : m.maps.entrySet()) {
            maps.put(e.getKey(), back(e.getValue(), m.regionOf(e.getKey()), modelRef));
            float[][] se = m.standardErrors.get(e.getKey());
            if (se != null) ses.put(e.getKey(), back(se, m.regionOf(e.getKey()), modelRef));
        }
        Box box = nonZeroBox(maps.values());
        LesionMaps out = LesionMaps.on(m.id, table.byId(m.id).voxels(), box, box, m.seconds);
        maps.forEach((k, v) -> out.maps.put(k, crop(v, box)));
        ses.forEach((k, v) -> out.standardErrors.put(k, crop(v, box)));
        return out;
    }

    /** The smallest box of the input grid holding every non-zero voxel of the C-order arrays (one voxel when none). */
    private Box nonZeroBox(Iterable<float[][]> maps) {
        int[] lo = {nd[0], nd[1], nd[2]}, hi = {-1, -1, -1};
        for (float[][] ms : maps) {
            for (float[] a : ms) {
                int idx = 0;
                for (int i = 0; i < nd[0]; i++)
                    for (int j = 0; j < nd[1]; j++)
                        for (int k = 0; k < nd[2]; k++, idx++) {
                            if (a[idx] == 0f) continue;
                            lo[0] = Math.min(lo[0], i); hi[0] = Math.max(hi[0], i);
                            lo[1] = Math.min(lo[1], j); hi[1] = Math.max(hi[1], j);
                            lo[2] = Math.min(lo[2], k); hi[2] = Math.max(hi[2], k);
                        }
            }
        }
        if (hi[0] < 0) return new Box(new int[3], new int[] {1, 1, 1});
        return new Box(lo, new int[] {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1});
    }

    /** C-order arrays on the whole input grid cropped to a box (C order within it). */
    private float[][] crop(float[][] whole, Box box) {
        float[][] out = new float[whole.length][];
        for (int c = 0; c < whole.length; c++) out[c] = Crops.crop(whole[c], nd, Crops.Order.C, box.origin(), box.size());
        return out;
    }

    /** Crops on a model-grid region to C-order arrays on the whole input grid. */
    private float[][] back(float[][] crops, Box region, Volume modelRef) {
        float[][] out = new float[crops.length][];
        for (int c = 0; c < crops.length; c++) {
            Volume onNative = grid.toNative(paste(crops[c], region, modelRef), ModelGrid.Interpolation.LINEAR);
            out[c] = Volume.toTensorLayout(onNative);
        }
        return out;
    }

    /**
     * A lesion's peaks into its table row (and the returned row): per map, its maximum and (SmoothGrad only: a layer
     * map is a ReLU) its minimum (0 counts when the map's region is smaller than the grid: the map is zero outside it),
     * with their standard errors; non-finite values by the policy first.
     */
    private Row peaks(LesionMaps m, List<String> chans) {
        Row out = new Row();
        out.id = m.id;
        out.voxels = m.voxels;
        out.seconds = m.seconds;
        for (Map.Entry<SaliencyMethod, float[][]> e : m.maps.entrySet()) {
            SaliencyMethod meth = e.getKey();
            float[][] maps = e.getValue();
            float[][] se = m.standardErrors.get(meth);
            Box region = m.regionOf(meth);
            boolean zeroOutside = (long) region.voxels() < (long) nd[0] * nd[1] * nd[2];
            for (int c = 0; c < maps.length; c++) {
                String ch = meth.channels(chans).get(c);
                checkMap(maps[c], "the " + meth.key + " map of lesion " + m.id + " (" + ch + ")", q.nonFinite, result.warnings);
                int pos = 0, neg = 0;
                float[] a = maps[c];
                for (int i = 1; i < a.length; i++) {
                    if (a[i] > a[pos]) pos = i;
                    if (a[i] < a[neg]) neg = i;
                }
                PeakKey k = new PeakKey(meth.key, ch);
                float peakPos = zeroOutside ? Math.max(a[pos], 0f) : a[pos], peakNeg = zeroOutside ? Math.min(a[neg], 0f) : a[neg];
                Peak peak = new Peak(peakPos, k.hasNegative() ? peakNeg : Float.NaN, se == null ? Float.NaN : peakPos == a[pos] ? se[c][pos] : 0f,
                        se == null ? Float.NaN : peakNeg == a[neg] ? se[c][neg] : 0f);
                put(m.id, out, k, peak, se != null);
            }
        }
        float[][] sgMax = m.maps.get(SaliencyMethods.SMOOTHGRAD_MAX);
        if (sgMax != null && chans.size() > 1) table.setShares(m.id, channelShares(sgMax, m.regionOf(SaliencyMethods.SMOOTHGRAD_MAX), table.byId(m.id), chans));
        return out;
    }

    /**
     * Each channel's share of the SmoothGrad-max attribution inside the lesion's bounding box
     * ({@link LesionColumns#shareColumn}): sum over the box's voxels of |S_max,c| over that sum for every channel;
     * NaN for every channel when the maps are zero there (or the row has no box). {@code maps}: one C-order crop per
     * channel on {@code region} (native grid).
     */
    static Map<String, Double> channelShares(float[][] maps, Box region, LesionRow row, List<String> chans) {
        Map<String, Double> out = new LinkedHashMap<>();
        double[] sum = new double[maps.length];
        int[] lo = row == null ? null : row.bboxMin(), hi = row == null ? null : row.bboxMax();
        if (lo != null && hi != null) {
            int[] o = region.origin(), n = region.size();
            for (int a = Math.max(lo[0], o[0]); a <= Math.min(hi[0], o[0] + n[0] - 1); a++)
                for (int b = Math.max(lo[1], o[1]); b <= Math.min(hi[1], o[1] + n[1] - 1); b++)
                    for (int c = Math.max(lo[2], o[2]); c <= Math.min(hi[2], o[2] + n[2] - 1); c++) {
                        int idx = ((a - o[0]) * n[1] + (b - o[1])) * n[2] + (c - o[2]);
                        for (int ch = 0; ch < maps.length; ch++) sum[ch] += Math.abs(maps[ch][idx]);
                    }
        }
        double all = 0;
        for (double v : sum) all += v;
        for (int ch = 0; ch < maps.length; ch++) out.put(chans.get(ch), all > 0 ? sum[ch] / all : Double.NaN);
        return out;
    }

    /** A map's peak into the table (float32 values, written as the shortest text that reads back as the same float) and the row. */
    private void put(int id, Row out, PeakKey k, Peak p, boolean standardErrors) {
        table.setPeak(id, k, p);
        out.values.put(LesionColumns.peakColumn(k, true, false), (double) p.pos());
        if (k.hasNegative()) out.values.put(LesionColumns.peakColumn(k, false, false), (double) p.neg());
        if (standardErrors) {
            out.values.put(LesionColumns.peakColumn(k, true, true), (double) p.posSe());
            out.values.put(LesionColumns.peakColumn(k, false, true), (double) p.negSe());
        }
    }

    /** Non-finite values in a computed map: an error, or set to 0 with a warning (the policy). */
    static void checkMap(float[] map, String what, NonFinite.Policy policy, List<String> warnings) {
        NonFinite.Count c = NonFinite.count(map);
        if (c.total() == 0) return;
        String msg = what + " has " + c.describe() + " value(s) of " + map.length + " (the model's gradients are not finite there)";
        if (policy != NonFinite.Policy.ZERO) {
            throw new NonFinite.NonFiniteException(msg + "; check the model, or set them to 0 with --non-finite zero");
        }
        NonFinite.zero(map, 0, map.length);
        warnings.add(msg + "; set to 0 (--non-finite zero)");
    }

    /** run.json's block on the signs of the explained layer's activations (present when Grad-CAM++ ran). */
    public static final String FEATURE_ACTIVATIONS = "feature_activations", NEGATIVE_FRACTION = "negative_fraction";

    /**
     * That block: the layer, the values counted over the Grad-CAM++ forward passes (each context box once), how many
     * were negative and their fraction. Grad-CAM++'s closed-form weights assume non-negative activations.
     */
    static JsonObject featureActivations(io.github.ies.saliency.ActivationSigns signs, String layer) {
        JsonObject j = new JsonObject();
        j.addProperty("layer", layer);
        j.addProperty("values", signs.values());
        j.addProperty("negative", signs.negative());
        j.addProperty(NEGATIVE_FRACTION, Double.parseDouble(LesionTable.round(signs.negativeFraction(), 4)));
        j.addProperty("note", "Grad-CAM++'s closed-form weights assume non-negative activations (a ReLU layer); with negative "
                + "activations its maps can lie beside the lesion or be zero (docs/saliency.md, 'Where the Grad-CAM++ map sits, and why')");
        return j;
    }

    /** Step 5: run.json, then the sink's end. */
    private void record(SaliencyEngine engine, Device device) throws IOException {
        result.seconds = (System.nanoTime() - t0) / 1e9;
        RunRecord rec = new RunRecord(q.command, q.version);
        JsonObject p = rec.parameters();
        SaliencySettings o = q.settings;
        p.addProperty("model", in.modelSource != null ? in.modelSource : in.bundle.source().toString());
        JsonObject inputs = new JsonObject();
        in.sources.forEach(inputs::addProperty);
        p.add("inputs", inputs);
        p.addProperty("labels", in.labelsSource);
        p.addProperty("segmentation", in.segmentationSource);
        p.addProperty("gt", in.groundTruthSource);
        p.addProperty("brain_mask", in.brainMaskSource);
        InstanceParams ip = instanceParams();
        p.addProperty("connectivity", ip.connectivity.neighbours);
        p.addProperty("min_lesion_voxels", ip.minLesionVoxels);
        p.addProperty("tn_spheres", ip.tnSpheres);
        p.addProperty("instance_seed", ip.seed);
        JsonArray ls = new JsonArray();
        if (q.lesions != null) q.lesions.forEach(ls::add);
        p.add("lesions", q.lesions == null ? null : ls);
        JsonArray ms = new JsonArray();
        o.methods.forEach(m -> ms.add(m.key));
        p.add("methods", ms);
        p.addProperty("samples", o.samples);
        p.addProperty("noise_level", o.noiseLevel);
        p.addProperty("seed", o.seed);
        p.addProperty("context", o.context.key);
        p.addProperty("margin", o.margin);
        p.addProperty("local_margin", o.localMargin);
        p.addProperty("batch_size", o.batchSize);
        p.addProperty("keep_graph", o.keepGraph);
        p.addProperty("uncertainty", o.uncertainty);
        p.addProperty("class_threshold", o.threshold != null ? o.threshold : in.bundle.threshold());
        p.addProperty("alignment", engine.alignment());
        p.addProperty("alignment_source", engine.alignmentSource());
        if (o.context == SaliencyContext.FULL) {
            JsonObject pad = new JsonObject();
            int[] add = engine.fullPadding(md);
            pad.add("volume", RunRecord.ints(md));
            pad.add("network_input", RunRecord.ints(new int[] {md[0] + add[0], md[1] + add[1], md[2] + add[2]}));
            pad.add("zeros_added_at_high_end", RunRecord.ints(add));
            p.add("padding", pad);
        }
        p.addProperty("workers", o.workers);
        p.addProperty("receptive_field_crop", o.receptiveFieldCrop);
        p.addProperty("receptive_field_source", engine.receptiveFieldSource());
        if (engine.receptiveFieldCheck() != null) p.addProperty("receptive_field_check", engine.receptiveFieldCheck());
        int[][] rf = engine.receptiveField();
        if (rf == null) {
            p.addProperty("receptive_field", "none (unbounded, unknown or turned off): SmoothGrad on the whole context box");
        } else {
            JsonObject r = new JsonObject();
            r.add("below", RunRecord.ints(rf[0]));
            r.add("above", RunRecord.ints(rf[1]));
            p.add("receptive_field", r);
        }
        p.addProperty("device_requested", q.device);
        p.addProperty("non_finite", q.nonFinite.key);
        p.addProperty("out", q.outputFolderName);
        rec.model(in.bundle).environment(DeviceSpec.describe(device));
        rec.add("geometry", grid.record());
        rec.add("backend_check", BackendCheckRecord.of(engine));
        if (engine.featureActivations().values() > 0) rec.add(FEATURE_ACTIVATIONS, featureActivations(engine.featureActivations(), in.bundle.featureLayer()));
        if (segmentationRecord.size() > 0) rec.add("segmentation", segmentationRecord);
        rec.add("lesions", perLesion);
        result.runRecord = rec.toJson(result.warnings, result.seconds);
        sink.finish(result);
    }

    private String idList() {
        StringBuilder sb = new StringBuilder();
        for (int id : table.ids()) sb.append(sb.length() > 0 ? "," : "").append(id);
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /** A C-order crop on {@code region} as a full volume on the reference grid (NIfTI order, zero elsewhere). */
    public static Volume paste(float[] crop, Box region, Volume ref) {
        int[] nd = ref.dims();
        float[] full = new float[nd[0] * nd[1] * nd[2]];
        Crops.paste(crop, 0, region.size(), Crops.Order.C, region.origin(), full, 0, nd, Crops.Order.NIFTI);
        return new Volume(full, nd, ref.geometry());
    }
}
