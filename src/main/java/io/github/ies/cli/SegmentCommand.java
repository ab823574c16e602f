package io.github.ies.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.SegmentationResult;
import io.github.ies.model.Segmenter;
import io.github.ies.model.TorchRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ies segment}: sliding-window segmentation with a model bundle. */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = {"Segments lesions with a TorchScript model bundle (sliding window as MONAI's).",
                "Writes DIR/probability.nii.gz (float32 lesion probability), DIR/mask.nii.gz (uint8, probability > threshold) "
                        + "and DIR/run.json."})
public final class SegmentCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle folder or .zip")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "NAME=FILE",
            description = "an input channel, e.g. FLAIR=flair.nii.gz (names match the bundle's inputs case-insensitively)")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--brain-mask", paramLabel = "FILE", description = "probability and mask are zero outside this mask")
    Path brainMask;

    @Option(names = "--threshold", paramLabel = "T", description = "overrides the bundle's threshold")
    Double threshold;

    @Option(names = "--device", paramLabel = "D", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads (default: all cores)")
    int threads;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "4", description = "patches per network call (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String s : inputs) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--input must be NAME=FILE, got '" + s + "'");
            }
            String name = s.substring(0, eq).trim();
            for (String k : files.keySet()) {
                if (k.equalsIgnoreCase(name)) throw new CommandLine.ParameterException(spec.commandLine(), "input '" + name + "' given twice");
            }
            files.put(name, Path.of(s.substring(eq + 1)));
        }
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threshold must be in [0, 1], got " + threshold);
        }
        if (batchSize < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--batch-size must be >= 1, got " + batchSize);
        try {
            io.github.ies.model.DeviceSpec.parse(device);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }

        ModelBundle bundle = ModelBundle.load(model);
        Map<String, Volume> named = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            if (bundle.inputIndex(e.getKey()) < 0) {
                throw new IllegalArgumentException("input channel '" + e.getKey() + "' is not one of the model's inputs " + bundle.inputs()
                        + " (names match case-insensitively)");
            }
            named.put(e.getKey(), read(e.getValue()));
            sources.put(e.getKey(), e.getValue().toString());
        }
        Volume[] channels = Segmenter.matchInputs(bundle, named, sources);
        Volume mask = brainMask == null ? null : read(brainMask);

        Segmenter.Options o = new Segmenter.Options();
        o.device = device;
        o.threads = threads;
        o.batchSize = batchSize;
        o.threshold = threshold;
        PrintWriter err = spec.commandLine().getErr();
        boolean tty = System.console() != null;
        ProgressListener progress = quiet ? ProgressListener.NONE : new ProgressListener() {
            int lastPct = -1;
            @Override
            public void progress(String stage, long done, long total) {
                int pct = (int) (100 * done / Math.max(1, total));
                int step = tty ? 10 : 50;
                if (pct / step != lastPct / step || done == total) {
                    err.printf(Locale.ROOT, "%s%s: %d/%d windows (%d%%)%s", tty ? "\r" : "", stage, done, total, pct,
                            tty && done < total ? "" : "\n");
                    err.flush();
                    lastPct = pct;
                }
            }
        };
        SegmentationResult r;
        try (Segmenter seg = new Segmenter(bundle, o)) {
            if (!quiet) {
                err.println("model " + bundle.name() + " on " + seg.device() + " (requested " + device + ", PyTorch "
                        + TorchRuntime.pytorchVersion() + ", " + TorchRuntime.threads() + " CPU threads)");
            }
            r = seg.segment(channels, mask, progress);
        }
        write(r, bundle, files, t0);
        PrintWriter outw = spec.commandLine().getOut();
        outw.printf(Locale.ROOT, "wrote %s: %d windows on %s, %d mask voxels (threshold %.3g) in %.1f s%n", out, r.windows(), r.device(),
                r.maskVoxels(), r.threshold(), (System.nanoTime() - t0) / 1e9);
        outw.flush();
        return IesCli.EXIT_OK;
    }

    private static Volume read(Path p) throws IOException {
        if (!Files.isRegularFile(p)) throw new IOException("input file not found: " + p);
        return Nifti.read(p);
    }

    /** Writes all outputs under temporary names, then renames them into place (nothing partial on failure). */
    private void write(SegmentationResult r, ModelBundle bundle, Map<String, Path> files, long t0) throws IOException {
        Files.createDirectories(out);
        List<Path[]> moves = new ArrayList<>();
        String tag = ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "-";
        try {
            Path prob = out.resolve(tag + "probability.nii.gz");
            moves.add(new Path[] {prob, out.resolve("probability.nii.gz")});
            Nifti.write(r.probability(), prob, NiftiDataType.FLOAT32);
            Path m = out.resolve(tag + "mask.nii.gz");
            moves.add(new Path[] {m, out.resolve("mask.nii.gz")});
            Nifti.write(r.mask(), m, NiftiDataType.UINT8);
            Path run = out.resolve(tag + "run.json");
            moves.add(new Path[] {run, out.resolve("run.json")});
            String json = runJson(r, bundle, files, t0);
            Nifti.writeAtomically(run, os -> os.write(json.getBytes(StandardCharsets.UTF_8)));
            for (Path[] mv : moves) {
                try {
                    Files.move(mv[0], mv[1], StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(mv[0], mv[1], StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } finally {
            for (Path[] mv : moves) Files.deleteIfExists(mv[0]);
        }
    }

    private String runJson(SegmentationResult r, ModelBundle bundle, Map<String, Path> files, long t0) throws IOException {
        JsonObject j = new JsonObject();
        j.addProperty("command", "segment");
        j.addProperty("ies_version", new IesCli.Version().getVersion()[0]);
        j.addProperty("finished", Instant.now().toString());
        JsonObject params = new JsonObject();
        params.addProperty("model", model.toString());
        JsonObject in = new JsonObject();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            in.addProperty(bundle.inputs().get(bundle.inputIndex(e.getKey())), e.getValue().toString());
        }
        params.add("inputs", in);
        params.addProperty("brain_mask", brainMask == null ? null : brainMask.toString());
        params.addProperty("threshold", r.threshold());
        params.addProperty("device_requested", device);
        params.addProperty("threads", TorchRuntime.threads());
        params.addProperty("batch_size_requested", batchSize);
        params.addProperty("out", out.toString());
        j.add("parameters", params);
        JsonObject m = new JsonObject();
        m.addProperty("name", bundle.name());
        m.addProperty("format", ModelBundle.FORMAT);
        m.addProperty("model_sha256", bundle.modelSha256());
        JsonArray patch = new JsonArray();
        for (int p : bundle.patchSize()) patch.add(p);
        m.add("patch_size", patch);
        m.addProperty("overlap", bundle.overlap());
        m.addProperty("blending", bundle.blending().key);
        m.addProperty("activation", bundle.activation().key);
        m.addProperty("normalization", bundle.normalization().key);
        m.addProperty("lesion_channel", bundle.lesionChannel());
        m.addProperty("bundle_threshold", bundle.threshold());
        j.add("model", m);
        JsonObject env = new JsonObject();
        env.addProperty("device", r.device());
        env.addProperty("djl_version", TorchRuntime.djlVersion());
        env.addProperty("pytorch_version", TorchRuntime.pytorchVersion());
        env.addProperty("java_version", System.getProperty("java.version"));
        env.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        j.add("environment", env);
        JsonObject res = new JsonObject();
        JsonArray dims = new JsonArray();
        for (int d : r.dims()) dims.add(d);
        res.add("dims", dims);
        res.addProperty("windows", r.windows());
        res.addProperty("batch_size", r.batchSize());
        res.addProperty("output_channels", r.outputChannels());
        res.addProperty("mask_voxels", r.maskVoxels());
        JsonArray w = new JsonArray();
        r.warnings().forEach(w::add);
        res.add("warnings", w);
        j.add("result", res);
        JsonObject t = new JsonObject();
        r.timings().forEach(t::addProperty);
        t.addProperty("total", (System.nanoTime() - t0) / 1e9);
        j.add("timings_s", t);
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeNulls().create();
        return gson.toJson(j) + "\n";
    }
}
