package io.github.ies.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.saliency.SaliencyContext;
import io.github.ies.saliency.ExplainJob;
import io.github.ies.saliency.SaliencyEngine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ies batch}: {@code ies explain} over a cohort, resumable and shardable. Each subject's outputs go to
 * OUT/&lt;subject&gt;/ (the layout of {@code ies explain}) and end with a marker {@value #DONE}; a subject with the
 * marker is skipped, one without it is redone from scratch; a failed subject gets {@value #FAILED} and the others go
 * on. The summary CSV is rebuilt from the markers.
 */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = {"Runs 'ies explain' for every subject of a cohort: --subjects DIR (one folder per subject with "
                + "flair*, mprage*/t1* and optional lesions*/gt* and brainmask* NIfTI files) or a CSV with columns "
                + "subject,flair,mprage[,gt,brain_mask].",
                "Resumable (finished subjects are skipped), failures reported without stopping the others, "
                        + "--shard i/n for cluster job arrays, summary CSV in OUT."})
public final class BatchCommand implements Callable<Integer> {

    static final String DONE = "ies-batch-done.json", FAILED = "ies-batch-failed.json";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--subjects", required = true, paramLabel = "DIR|CSV", description = "cohort folder or CSV")
    Path subjects;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (one sub-folder per subject)")
    Path out;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle folder or .zip")
    Path model;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1",
            description = "subjects processed in parallel (separate JVMs, CPU threads split among them; default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--shard", paramLabel = "i/n", description = "only the i-th of n interleaved parts of the cohort (1 <= i <= n)")
    String shard;

    @Option(names = "--worker", hidden = true, paramLabel = "j/N", description = "internal: a --jobs worker")
    String worker;

    @Option(names = "--threshold", paramLabel = "T", description = "segmentation threshold (default: the bundle's)")
    Double threshold;

    @Option(names = "--min-size", paramLabel = "V", description = "minimum lesion size in voxels (default: the bundle's)")
    Integer minSize;

    @Option(names = "--connectivity", paramLabel = "C", description = "6, 18 or 26 (default: the bundle's)")
    Integer connectivity;


    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "10",
            description = "TN spheres per subject with ground truth (default: ${DEFAULT-VALUE})")
    int tnSpheres;

    @Option(names = "--skip-failed", description = "do not retry subjects that failed in an earlier run")
    boolean skipFailed;

    @CommandLine.Mixin
    SaliencyOptions saliency = new SaliencyOptions();

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (jobs < 1) throw new CommandLine.ParameterException(cl, "--jobs must be >= 1, got " + jobs);
        int[] sh = fraction(cl, "--shard", shard);
        int[] wk = fraction(cl, "--worker", worker);
        if (connectivity != null && connectivity != 6 && connectivity != 18 && connectivity != 26) {
            throw new CommandLine.ParameterException(cl, "--connectivity must be 6, 18 or 26, got " + connectivity);
        }
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new CommandLine.ParameterException(cl, "--threshold must be in [0, 1], got " + threshold);
        }
        if (tnSpheres < 0) throw new CommandLine.ParameterException(cl, "--tn-spheres must be >= 0, got " + tnSpheres);
        io.github.ies.saliency.SaliencySettings options = saliency.toOptions(cl, 50, SaliencyContext.PATCH);
        List<Subjects.Subject> all = Subjects.load(subjects);
        List<Subjects.Subject> mine = pick(pick(all, sh), wk);
        Files.createDirectories(out);
        PrintWriter err = cl.getErr();
        PrintWriter o = cl.getOut();
        if (jobs > 1 && wk == null && mine.size() > 1) {
            runWorkers(Math.min(jobs, mine.size()), err);
        } else {
            for (Subjects.Subject s : mine) process(s, options, err);
        }
        if (wk != null) return IesCli.EXIT_OK;           // the parent writes the summary
        Path summary = out.resolve(sh == null ? "summary.csv" : String.format(Locale.ROOT, "summary-%d-of-%d.csv", sh[0], sh[1]));
        int failed = writeSummary(mine, summary);
        o.printf(Locale.ROOT, "wrote %s: %d subject(s), %d failed%n", summary, mine.size(), failed);
        o.flush();
        if (failed > 0) throw new IllegalStateException(failed + " of " + mine.size() + " subject(s) failed (see " + summary + ")");
        return IesCli.EXIT_OK;
    }

    static int[] fraction(CommandLine cl, String opt, String s) {
        if (s == null) return null;
        String[] p = s.split("/");
        try {
            if (p.length == 2) {
                int i = Integer.parseInt(p[0].trim()), n = Integer.parseInt(p[1].trim());
                if (n >= 1 && i >= 1 && i <= n) return new int[] {i, n};
            }
        } catch (NumberFormatException ignored) {
            // message below
        }
        throw new CommandLine.ParameterException(cl, opt + " must be i/n with 1 <= i <= n, got '" + s + "'");
    }

    /** The i-th of n interleaved parts (subjects i-1, i-1+n, ...), so shards stay balanced as a cohort grows. */
    static List<Subjects.Subject> pick(List<Subjects.Subject> list, int[] f) {
        if (f == null) return list;
        List<Subjects.Subject> out = new ArrayList<>();
        for (int k = f[0] - 1; k < list.size(); k += f[1]) out.add(list.get(k));
        return out;
    }

    private void process(Subjects.Subject s, io.github.ies.saliency.SaliencySettings options, PrintWriter err) throws IOException {
        Path dir = out.resolve(s.name);
        if (Files.isRegularFile(dir.resolve(DONE))) {
            say(err, s.name + ": done before, skipped");
            return;
        }
        if (skipFailed && Files.isRegularFile(dir.resolve(FAILED))) {
            say(err, s.name + ": failed before, skipped (--skip-failed)");
            return;
        }
        // no marker: whatever is there is a partial run (killed, failed): start afresh
        if (Files.exists(dir)) deleteTree(dir);
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        JsonObject j = new JsonObject();
        j.addProperty("subject", s.name);
        try {
            ExplainJob.Request q = new ExplainJob.Request();
            q.model = model;
            q.inputs.put("FLAIR", s.flair);
            q.inputs.put("MPRAGE", s.mprage);
            q.groundTruth = s.gt;
            q.brainMask = s.brainMask;
            q.out = dir;
            q.options = options;
            q.device = saliency.device;
            q.threads = saliency.threads;
            q.command = "batch";
            q.version = new IesCli.Version().getVersion()[0];
            q.threshold = threshold;
            q.minLesionVoxels = minSize;
            q.connectivity = connectivity;
            q.tnSpheres = tnSpheres;
            say(err, s.name + ": explaining");
            ExplainJob.Result r = ExplainJob.run(q, null, null);
            LesionTable t = LesionTable.read(dir.resolve("lesions.csv"));
            j.addProperty("status", "done");
            j.addProperty("segmented_lesions", r.segmentedLesions);
            j.addProperty("explained", r.rows.size());
            j.addProperty("table_rows", t.rowCount());
            Path metrics = dir.resolve("metrics.json");
            if (Files.isRegularFile(metrics)) {
                JsonObject m = JsonParser.parseString(Files.readString(metrics, StandardCharsets.UTF_8)).getAsJsonObject();
                for (String k : new String[] {"lesion_tp", "lesion_fp", "lesion_fn", "dice"}) if (m.has(k)) j.add(k, m.get(k));
            }
            j.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
            writeJson(dir.resolve(DONE), j);
            Files.deleteIfExists(dir.resolve(FAILED));
            say(err, String.format(Locale.ROOT, "%s: done in %.1f s", s.name, (System.nanoTime() - t0) / 1e9));
        } catch (Exception | OutOfMemoryError e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            j.addProperty("status", "failed");
            j.addProperty("message", msg.replace('\n', ' '));
            j.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
            writeJson(dir.resolve(FAILED), j);
            say(err, s.name + ": FAILED: " + msg);
        }
    }

    /** Runs {@code n} worker JVMs, each on every n-th of this shard's subjects, and waits for them. */
    private void runWorkers(int n, PrintWriter err) throws IOException, InterruptedException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        List<String> base = new ArrayList<>();
        base.add(javaBin);
        String xmx = null;
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-Xmx") || a.startsWith("-Dai.djl") || a.startsWith("-Djava.awt.headless")) base.add(a);
            if (a.startsWith("-Xmx")) xmx = a;
        }
        if (System.getProperty("ai.djl.offline") != null && base.stream().noneMatch(a -> a.startsWith("-Dai.djl.offline"))) {
            base.add("-Dai.djl.offline=" + System.getProperty("ai.djl.offline"));
        }
        base.add("-cp");
        base.add(System.getProperty("java.class.path"));
        base.add(IesCli.class.getName());
        List<String> args = new ArrayList<>();
        List<String> orig = spec.commandLine().getParseResult().originalArgs();
        for (int k = 0; k < orig.size(); k++) {
            String a = orig.get(k);
            if (a.equals("--jobs") || a.equals("--threads")) k++;           // replaced below
            else if (!a.startsWith("--jobs=") && !a.startsWith("--threads=")) args.add(a);
        }
        int threads = saliency.threads > 0 ? saliency.threads : Math.max(1, Runtime.getRuntime().availableProcessors() / n);
        List<Process> procs = new ArrayList<>();
        for (int w = 1; w <= n; w++) {
            List<String> cmd = new ArrayList<>(base);
            cmd.addAll(args);
            cmd.add("--jobs");
            cmd.add("1");
            cmd.add("--worker");
            cmd.add(w + "/" + n);
            cmd.add("--threads");
            cmd.add(Integer.toString(threads));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT);
            procs.add(pb.start());
        }
        say(err, "started " + n + " worker JVM(s)" + (xmx == null ? "" : " (" + xmx + " each)"));
        for (Process p : procs) p.waitFor();
    }

    /** Writes the summary of {@code list} from the markers; returns the number of failed (or unfinished) subjects. */
    private int writeSummary(List<Subjects.Subject> list, Path file) throws IOException {
        LesionTable t = new LesionTable(List.of("subject", "status", "lesions", "explained", "tp", "fp", "fn", "dice", "seconds", "message"));
        int failed = 0;
        for (Subjects.Subject s : list) {
            Path d = out.resolve(s.name);
            JsonObject j = null;
            if (Files.isRegularFile(d.resolve(DONE))) j = readJson(d.resolve(DONE));
            else if (Files.isRegularFile(d.resolve(FAILED))) j = readJson(d.resolve(FAILED));
            if (j == null) {
                t.addRow(s.name, "missing", null, null, null, null, null, null, null, "no output (killed?)");
                failed++;
                continue;
            }
            String status = str(j.get("status"));
            if (!"done".equals(status)) failed++;
            t.addRow(s.name, status, str(j.get("segmented_lesions")), str(j.get("explained")), str(j.get("lesion_tp")),
                    str(j.get("lesion_fp")), str(j.get("lesion_fn")), str(j.get("dice")), str(j.get("seconds")), str(j.get("message")));
        }
        t.write(file);
        return failed;
    }

    private static String str(JsonElement e) {
        if (e == null || e.isJsonNull()) return null;
        String s = e.getAsString();
        return "-1".equals(s) ? null : s;
    }

    private static JsonObject readJson(Path p) {
        try {
            return JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void writeJson(Path p, JsonObject j) throws IOException {
        String s = new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(j) + "\n";
        Nifti.writeAtomically(p, os -> os.write(s.getBytes(StandardCharsets.UTF_8)));
    }

    private void say(PrintWriter err, String s) {
        if (saliency.quiet) return;
        err.println("ies batch: " + s);
        err.flush();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
