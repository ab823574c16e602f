package io.github.ies.saliency;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.instances.Connectivity;
import io.github.ies.instances.Instance;
import io.github.ies.pipeline.LesionSegmentation;
import io.github.ies.instances.InstanceParams;
import io.github.ies.instances.InstanceResult;
import io.github.ies.instances.Labeling;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.InputVolumes;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.NonFinite;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.Volume;
import io.github.ies.model.DeviceSpec;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.SegmentationResult;
import io.github.ies.model.Segmenter;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One {@code ies explain} run (also what {@code ies demo} and the Fiji command call): optional segmentation and
 * instance analysis (the same outputs as {@code ies segment}), then the saliency maps of the chosen instances,
 * written one lesion at a time. Everything is written into a temporary folder inside the output folder and moved
 * into place at the end; a failed or cancelled run removes it, so no partial output is left behind.
 */
public final class ExplainJob {

    private ExplainJob() {}

    /** What to run. */
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
        public final List<Row> rows = new ArrayList<>();
        public final List<String> columns = new ArrayList<>();
        public final List<String> warnings = new ArrayList<>();
        public double seconds;
        public int segmentedLesions = -1;
    }

    /** File-name channel of an input name (lowercased). */
    static String channelKey(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }

    /** {@code <method>_<channel>} with '-' replaced by '_', the prefix of the lesions.csv columns. */
    public static String columnPrefix(Method m, String channel) {
        return (m.key + "_" + channel).replace('-', '_');
    }

    public static Result run(Request q, ProgressListener progress, Consumer<String> log) throws Exception {
        long t0 = System.nanoTime();
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        Consumer<String> say = log == null ? s -> { } : log;
        SaliencySettings o = q.options;
        if (q.labels != null && q.groundTruth != null) {
            throw new IllegalArgumentException("--gt is used with segmentation; with --labels the given instances are explained as they are");
        }
        DeviceSpec spec = DeviceSpec.parse(q.device);
        List<Path> inputFiles = new ArrayList<>(q.inputs.values());
        inputFiles.addAll(Arrays.asList(q.model, q.labels, q.groundTruth, q.brainMask));
        if (q.outputFolder == null) OutputFolder.check(q.out, inputFiles);     // before any work
        ModelBundle bundle = ModelBundle.load(q.model);
        Result result = new Result();
        Map<String, Volume> named = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : q.inputs.entrySet()) {
            if (bundle.inputIndex(e.getKey()) < 0) {
                throw new IllegalArgumentException("input channel '" + e.getKey() + "' is not one of the model's inputs " + bundle.inputs()
                        + " (names match case-insensitively)");
            }
            named.put(e.getKey(), InputVolumes.read(e.getValue(), "input " + e.getKey(), q.nonFinite, result.warnings));
            sources.put(e.getKey(), e.getValue().toString());
        }
        Volume[] channels = Segmenter.matchInputs(bundle, named, sources);
        int[] nd = channels[0].dims();
        Volume gt = q.groundTruth == null ? null
                : sameGrid(InputVolumes.read(q.groundTruth, "ground truth", q.nonFinite, result.warnings), channels[0], q.groundTruth);
        Volume brain = q.brainMask == null ? null
                : sameGrid(InputVolumes.read(q.brainMask, "brain mask", q.nonFinite, result.warnings), channels[0], q.brainMask);
        Volume userLabels = q.labels == null ? null
                : sameGrid(InputVolumes.read(q.labels, "label image", q.nonFinite, result.warnings), channels[0], q.labels);

        boolean finished = false;
        OutputFolder folder = q.outputFolder != null ? q.outputFolder : OutputFolder.open(q.out, "ies " + q.command, inputFiles);
        result.warnings.addAll(folder.warnings());
        try {
            Path tmp = folder.newStaging();
            Path sal = Files.createDirectories(tmp.resolve("saliency"));
            TorchRuntime.configure(q.threads);
            Device device = spec.resolve();
            // 1. instances
            float[] x;
            LesionTable table;
            InstanceResult ir = null;
            Labeling given = null;
            JsonObject seg = new JsonObject();
            if (userLabels == null) {
                LesionSegmentation.Options lo = new LesionSegmentation.Options();
                lo.segmenter.device = q.device;
                lo.segmenter.threads = q.threads;
                lo.segmenter.threshold = q.threshold;
                lo.segmenter.nonFinite = q.nonFinite;
                lo.connectivity = q.connectivity;
                lo.minLesionVoxels = q.minLesionVoxels;
                lo.tnSpheres = q.tnSpheres;
                lo.seed = o.seed;
                LesionSegmentation ls = LesionSegmentation.run(bundle, channels, gt, brain, lo, listener, null);
                ls.writeMaps(tmp);
                SegmentationResult sr = ls.segmentation;
                x = sr.normalizedInput();
                ir = ls.instances;
                result.warnings.addAll(ir.warnings());
                result.warnings.addAll(sr.warnings());
                table = ir.table();
                result.segmentedLesions = ir.predicted().count();
                seg.addProperty("threshold", sr.threshold());
                seg.addProperty("windows", sr.windows());
                seg.addProperty("mask_voxels", sr.maskVoxels());
                seg.addProperty("predicted_instances", ir.predicted().count());
                JsonObject st = new JsonObject();
                sr.timings().forEach(st::addProperty);
                seg.add("timings_s", st);
                say.accept(String.format(Locale.ROOT, "segmented: %d instance(s), %d table row(s)", ir.predicted().count(), table.rowCount()));
            } else {
                x = Segmenter.normalize(bundle, channels);
                given = Labeling.fromLabelVolume(userLabels, Connectivity.of(q.connectivity != null ? q.connectivity : bundle.connectivity()));
                table = new LesionTable(LesionTable.BASE_COLUMNS);
                for (Instance in : given.instances(channels[0].geometry())) {
                    table.addRow(in.id, "", in.voxels, in.volumeMm3, in.centroidVoxel[0], in.centroidVoxel[1], in.centroidVoxel[2],
                            in.centroidWorld[0], in.centroidWorld[1], in.centroidWorld[2], in.bboxMin[0], in.bboxMin[1],
                            in.bboxMin[2], in.bboxMax[0], in.bboxMax[1], in.bboxMax[2], null, null);
                }
            }
            // 2. targets
            List<Integer> ids = new ArrayList<>();
            if (q.lesions == null) {
                for (int r = 0; r < table.rowCount(); r++) ids.add(table.getInt(r, "id"));
            } else {
                for (int id : q.lesions) {
                    if (table.rowOfId(id) < 0) {
                        throw new IllegalArgumentException("no instance with id " + id + " (ids: " + idList(table) + ")");
                    }
                    ids.add(id);
                }
            }
            List<Target> targets = new ArrayList<>();
            for (int id : ids) {
                boolean[] mask;
                if (ir != null) mask = ir.mask(id);
                else {
                    int[] lab = given.labels();
                    mask = new boolean[lab.length];
                    for (int i = 0; i < lab.length; i++) mask[i] = lab[i] == id;
                }
                targets.add(Target.ofNifti(id, mask, nd));
            }
            // 3. columns
            List<String> chans = new ArrayList<>();
            for (String n : bundle.inputs()) chans.add(channelKey(n));
            for (Method m : o.methods) {
                if (m == Method.CLASS_GRADCAMPP) continue;
                for (String c : m.smoothGrad() ? chans : List.of("layer")) {
                    String p = columnPrefix(m, c);
                    result.columns.add(p + "_peak_pos");
                    result.columns.add(p + "_peak_neg");
                    if (o.uncertainty && m.smoothGrad()) {
                        result.columns.add(p + "_peak_pos_se");
                        result.columns.add(p + "_peak_neg_se");
                    }
                }
            }
            for (String c : result.columns) if (!table.hasColumn(c)) table.addColumn(c);
            // 4. saliency
            JsonArray perLesion = new JsonArray();
            SaliencyEngine engine;
            try (TorchModel model = TorchModel.load(bundle, device, true)) {
                engine = new SaliencyEngine(model, o);
                say.accept("explaining " + targets.size() + " instance(s) on " + DeviceSpec.describe(device) + ": " + engine.describe());
                int[] pad = engine.fullPadding(nd);
                if (o.context == SaliencyContext.FULL && (pad[0] > 0 || pad[1] > 0 || pad[2] > 0)) {
                    say.accept(String.format(Locale.ROOT, "full context: the %dx%dx%d volume is zero-padded to %dx%dx%d (a multiple of the network's "
                            + "stride %d; see docs/saliency.md)", nd[0], nd[1], nd[2], nd[0] + pad[0], nd[1] + pad[1], nd[2] + pad[2], engine.alignment()));
                }
                long te = System.nanoTime();
                Map<Integer, Row> rows = new LinkedHashMap<>();
                engine.explain(x, nd, targets, m -> {
                    Row row = writeLesion(m, sal, channels[0], chans, table, o, q.nonFinite, result.warnings);
                    int r = table.rowOfId(m.id);
                    row.category = table.get(r, "category");
                    rows.put(m.id, row);
                    JsonObject j = new JsonObject();
                    j.addProperty("id", m.id);
                    j.addProperty("voxels", m.voxels);
                    j.addProperty("seconds", m.seconds);
                    j.add("context_origin", ints(m.context.origin()));
                    j.add("context_size", ints(m.context.size()));
                    j.add("smoothgrad_origin", ints(m.smoothGradRegion.origin()));
                    j.add("smoothgrad_size", ints(m.smoothGradRegion.size()));
                    perLesion.add(j);
                }, listener);
                for (int id : ids) result.rows.add(rows.get(id));
                result.warnings.addAll(engine.log());
                if (o.methods.contains(Method.CLASS_GRADCAMPP)) {
                    listener.checkCancelled();
                    float[] cls = engine.classGradCam(x, nd);
                    checkMap(cls, "the class Grad-CAM++ map", q.nonFinite, result.warnings);
                    Nifti.write(Volume.fromTensorLayout(cls, 0, nd, channels[0].geometry()), sal.resolve("class_gradcampp_layer.nii.gz"),
                            NiftiDataType.FLOAT32);
                }
                say.accept(String.format(Locale.ROOT, "saliency: %.1f s", (System.nanoTime() - te) / 1e9));
            }
            // 5. tables and run record
            if (ir != null) ir.writeTo(tmp);
            else table.write(tmp.resolve("lesions.csv"));
            result.seconds = (System.nanoTime() - t0) / 1e9;
            String json = runJson(q, bundle, engine, device, seg, perLesion, result, nd);
            Nifti.writeAtomically(tmp.resolve("run.json"), os -> os.write(json.getBytes(StandardCharsets.UTF_8)));
            listener.checkCancelled();
            folder.commit(tmp);
            finished = true;
        } finally {
            if (q.outputFolder == null) {
                if (finished) folder.keep();
                folder.close();       // removes the staging folder, the lock and (after a failure) the folders it created
            }
        }
        return result;
    }

    /** Writes one lesion's maps (full grid, zero outside the computed region) and fills its table columns. */
    private static Row writeLesion(LesionMaps m, Path sal, Volume ref, List<String> chans, LesionTable table,
            SaliencySettings o, NonFinite.Policy policy, List<String> warnings) throws IOException {
        int[] nd = ref.dims();
        int row = table.rowOfId(m.id);
        Row out = new Row();
        out.id = m.id;
        out.voxels = m.voxels;
        out.seconds = m.seconds;
        for (Map.Entry<Method, float[][]> e : m.maps.entrySet()) {
            Method meth = e.getKey();
            float[][] maps = e.getValue();
            float[][] se = m.standardErrors.get(meth);
            Box region = m.regionOf(meth);
            // the map is zero outside its region: that zero counts for the peaks when the region is not the whole grid
            boolean zeroOutside = (long) region.voxels() < (long) nd[0] * nd[1] * nd[2];
            for (int c = 0; c < maps.length; c++) {
                String ch = meth.smoothGrad() ? chans.get(c) : "layer";
                String base = "lesion-" + m.id + "_" + meth.key + "_" + ch;
                checkMap(maps[c], "the " + meth.key + " map of lesion " + m.id + " (" + ch + ")", policy, warnings);
                Nifti.write(paste(maps[c], region, nd, ref), sal.resolve(base + ".nii.gz"), NiftiDataType.FLOAT32);
                int pos = 0, neg = 0;
                float[] a = maps[c];
                for (int i = 1; i < a.length; i++) {
                    if (a[i] > a[pos]) pos = i;
                    if (a[i] < a[neg]) neg = i;
                }
                String p = columnPrefix(meth, ch);
                double peakPos = zeroOutside ? Math.max(a[pos], 0) : a[pos], peakNeg = zeroOutside ? Math.min(a[neg], 0) : a[neg];
                table.set(row, p + "_peak_pos", peakPos);
                table.set(row, p + "_peak_neg", peakNeg);
                out.values.put(p + "_peak_pos", peakPos);
                out.values.put(p + "_peak_neg", peakNeg);
                if (se != null) {
                    Nifti.write(paste(se[c], region, nd, ref), sal.resolve(base + "_se.nii.gz"), NiftiDataType.FLOAT32);
                    double sePos = peakPos == a[pos] ? se[c][pos] : 0, seNeg = peakNeg == a[neg] ? se[c][neg] : 0;
                    table.set(row, p + "_peak_pos_se", sePos);
                    table.set(row, p + "_peak_neg_se", seNeg);
                    out.values.put(p + "_peak_pos_se", sePos);
                    out.values.put(p + "_peak_neg_se", seNeg);
                }
            }
        }
        return out;
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

    /** A C-order crop on {@code region} as a full volume on the reference grid (NIfTI order). */
    static Volume paste(float[] crop, Box region, int[] nd, Volume ref) {
        float[] full = new float[nd[0] * nd[1] * nd[2]];
        int[] og = region.origin(), s = region.size();
        for (int a = 0; a < s[0]; a++)
            for (int b = 0; b < s[1]; b++)
                for (int c = 0; c < s[2]; c++)
                    full[(og[0] + a) + nd[0] * ((og[1] + b) + nd[1] * (og[2] + c))] = crop[(a * s[1] + b) * s[2] + c];
        return new Volume(full, nd, ref.geometry());
    }

    private static String idList(LesionTable t) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < t.rowCount(); r++) sb.append(r > 0 ? "," : "").append(t.get(r, "id"));
        return sb.length() == 0 ? "none" : sb.toString();
    }

    private static JsonArray ints(int[] v) {
        JsonArray a = new JsonArray();
        for (int x : v) a.add(x);
        return a;
    }

    private static Volume sameGrid(Volume v, Volume ref, Path p) {
        if (!v.sameGrid(ref)) {
            throw new IllegalArgumentException(p + ": grid " + Arrays.toString(v.dims()) + " differs from the inputs' "
                    + Arrays.toString(ref.dims()) + " (dims and affine must match)");
        }
        return v;
    }

    private static String runJson(Request q, ModelBundle bundle, SaliencyEngine engine, Device device, JsonObject seg,
            JsonArray perLesion, Result result, int[] nd) throws IOException {
        SaliencySettings o = q.options;
        JsonObject j = new JsonObject();
        j.addProperty("command", q.command);
        j.addProperty("ies_version", q.version);
        j.addProperty("finished", Instant.now().toString());
        JsonObject p = new JsonObject();
        p.addProperty("model", q.model.toString());
        JsonObject in = new JsonObject();
        q.inputs.forEach((k, v) -> in.addProperty(k, v.toString()));
        p.add("inputs", in);
        p.addProperty("labels", q.labels == null ? null : q.labels.toString());
        p.addProperty("gt", q.groundTruth == null ? null : q.groundTruth.toString());
        p.addProperty("brain_mask", q.brainMask == null ? null : q.brainMask.toString());
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
        p.addProperty("class_threshold", o.threshold != null ? o.threshold : bundle.threshold());
        p.addProperty("alignment", engine.alignment());
        p.addProperty("alignment_source", engine.alignmentSource());
        if (o.context == SaliencyContext.FULL) {
            JsonObject pad = new JsonObject();
            int[] add = engine.fullPadding(nd);
            pad.add("volume", ints(nd));
            pad.add("network_input", ints(new int[] {nd[0] + add[0], nd[1] + add[1], nd[2] + add[2]}));
            pad.add("zeros_added_at_high_end", ints(add));
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
            r.add("below", ints(rf[0]));
            r.add("above", ints(rf[1]));
            p.add("receptive_field", r);
        }
        p.addProperty("device_requested", q.device);
        p.addProperty("non_finite", q.nonFinite.key);
        p.addProperty("out", q.out.toString());
        j.add("parameters", p);
        JsonObject m = new JsonObject();
        m.addProperty("name", bundle.name());
        m.addProperty("model_sha256", bundle.modelSha256());
        m.addProperty("feature_layer", bundle.featureLayer());
        m.add("patch_size", ints(bundle.patchSize()));
        j.add("model", m);
        JsonObject env = new JsonObject();
        env.addProperty("device", DeviceSpec.describe(device));
        env.addProperty("threads", TorchRuntime.threads());
        env.addProperty("djl_version", TorchRuntime.djlVersion());
        env.addProperty("pytorch_version", TorchRuntime.pytorchVersion());
        env.addProperty("java_version", System.getProperty("java.version"));
        env.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        j.add("environment", env);
        j.add("backend_check", backendCheckJson(engine));
        if (seg.size() > 0) j.add("segmentation", seg);
        j.add("lesions", perLesion);
        JsonArray w = new JsonArray();
        result.warnings.forEach(w::add);
        j.add("warnings", w);
        j.addProperty("total_seconds", result.seconds);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(j) + "\n";
    }

    /** The gradient backend self-check of a run: the kernels used and one entry per input shape and batch size. */
    static JsonObject backendCheckJson(SaliencyEngine engine) {
        JsonObject b = new JsonObject();
        b.addProperty("enabled", engine.settings().backendCheck);
        b.addProperty("kernels", engine.kernels().key);
        String why = io.github.ies.model.OneDnn.unavailableReason();
        b.addProperty("reference_kernels_available", why == null);
        if (why != null) b.addProperty("reference_kernels_unavailable", why);
        JsonArray a = new JsonArray();
        for (io.github.ies.model.GradientCheck.Result r : engine.backendChecks()) {
            JsonObject c = new JsonObject();
            c.add("shape", ints(r.shape));
            c.addProperty("batch", r.batch);
            c.addProperty("default_kernels", verdict(r.defaultKernels));
            c.addProperty("reference_kernels", verdict(r.referenceKernels));
            if (r.batch > 1) c.addProperty("batching", verdict(r.batched));
            c.addProperty("kernel_error", finiteOrNull(r.kernelError));
            c.addProperty("adjoint_error", finiteOrNull(r.adjointError));
            c.addProperty("finite_difference_error", finiteOrNull(r.fdError));
            if (r.batch > 1) c.addProperty("batch_error", finiteOrNull(r.batchError));
            JsonArray n = new JsonArray();
            r.notes.forEach(n::add);
            c.add("notes", n);
            c.addProperty("seconds", r.seconds);
            a.add(c);
        }
        b.add("checks", a);
        return b;
    }

    private static String verdict(Boolean v) { return v == null ? "not tested" : v ? "sound" : "failed"; }

    private static Double finiteOrNull(double v) { return Double.isFinite(v) ? v : null; }

}
