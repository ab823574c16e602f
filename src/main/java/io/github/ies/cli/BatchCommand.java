package io.github.ies.cli;

import io.github.ies.io.ExplainLayout;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.OutputFolder;
import io.github.ies.saliency.SaliencyContext;
import io.github.ies.saliency.SaliencySettings;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.pipeline.ExplainPipeline;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    static final String DONE = io.github.ies.io.BatchMarkers.DONE, FAILED = io.github.ies.io.BatchMarkers.FAILED;
    /** Written into every subject folder that ies batch creates: only folders with one of the markers are ever cleared. */
    static final String OWNER = io.github.ies.io.BatchMarkers.OWNER;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--subjects", required = true, paramLabel = "DIR|CSV", description = "cohort folder or CSV")
    Path subjects;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (one sub-folder per subject)")
    Path out;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "model bundle: its folder, the ies-model.json in it, or a .zip of it")
    Path model;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1",
            description = "subjects processed in parallel (separate JVMs, CPU threads split among them; default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--shard", paramLabel = "i/n", description = "only the i-th of n interleaved parts of the cohort (1 <= i <= n; default: all subjects)")
    String shard;

    @Option(names = "--worker", hidden = true, paramLabel = "j/N", description = "internal: a --jobs worker")
    String worker;

    @Option(names = "--parent-pid", hidden = true, paramLabel = "PID", description = "internal: a worker stops when this process ends")
    Long parentPid;

    @Option(names = "--threshold", paramLabel = "T", description = "segmentation threshold (default: the bundle's)")
    Double threshold;

    @Option(names = "--min-size", paramLabel = "V", description = "minimum lesion size in voxels (default: the bundle's)")
    Integer minSize;

    @Option(names = "--connectivity", paramLabel = "C", description = "6, 18 or 26 (default: the bundle's)")
    Integer connectivity;


    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "" + io.github.ies.instances.InstanceParams.DEFAULT_TN_SPHERES,
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
        SaliencySettings options = request().settings;      // checked before any work
        if (parentPid != null) watchParent(parentPid);
        List<Subjects.Subject> all = Subjects.load(subjects);
        List<Subjects.Subject> mine = pick(pick(all, sh), wk);
        List<Path> cohortFiles = new ArrayList<>(List.of(model, subjects));
        for (Subjects.Subject s : all) cohortFiles.addAll(s.files());
        OutputFolder.check(out, cohortFiles, io.github.ies.io.OutputKind.BATCH, "batch");          // e.g. --out = the subjects folder: refused, nothing touched
        for (Subjects.Subject s : mine) {
            String why = ownership(s);
            if (why != null) refused.put(s.name, why);
        }
        Files.createDirectories(out);
        long t0 = System.nanoTime();
        String version = new IesCli.Version().getVersion()[0];
        if (wk == null) OutputFolder.claim(out, "batch", version);    // the cohort folder is IES's from now on (summary.csv)
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
        io.github.ies.pipeline.RunRecord rec = new io.github.ies.pipeline.RunRecord("batch", version);
        rec.parameters().addProperty("subjects", subjects.toString());
        rec.parameters().addProperty("model", model.toString());
        rec.parameters().addProperty("out", out.toString());
        rec.parameters().addProperty("jobs", jobs);
        rec.parameters().addProperty("shard", shard);
        com.google.gson.JsonObject res = new com.google.gson.JsonObject();
        res.addProperty("subjects", mine.size());
        res.addProperty("failed", failed);
        res.addProperty("summary", summary.getFileName().toString());
        res.addProperty("note", "each subject's folder holds its own run.json; with --shard, the last shard to finish wrote this record");
        rec.add("result", res);
        String json = rec.toJson(new java.util.ArrayList<>(), (System.nanoTime() - t0) / 1e9);
        io.github.ies.io.Nifti.writeAtomically(out.resolve(io.github.ies.io.ExplainLayout.RUN), os -> os.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        o.printf(Locale.ROOT, "wrote %s: %d subject(s), %d failed%n", summary, mine.size(), failed);
        o.flush();
        if (failed > 0) throw new IllegalStateException(failed + " of " + mine.size() + " subject(s) failed (see " + summary + ")");
        return IesCli.EXIT_OK;
    }

    /** Subjects this run will not touch, with the reason (their folder is not ours, or holds their inputs). */
    private final Map<String, String> refused = new LinkedHashMap<>();
    /** Subjects held by another live run. */
    private final Map<String, String> busy = new LinkedHashMap<>();

    /** True when a folder carries one of ies batch's markers. */
    static boolean isBatchFolder(Path dir) {
        return Files.isRegularFile(dir.resolve(OWNER)) || Files.isRegularFile(dir.resolve(DONE)) || Files.isRegularFile(dir.resolve(FAILED));
    }

    /** Null when the subject's folder may be used: missing, empty, or made by ies batch; else why not. */
    private String ownership(Subjects.Subject s) throws IOException {
        Path dir = out.resolve(s.name);
        List<Path> in = new ArrayList<>(s.files());
        in.add(model);
        try {
            OutputFolder.check(dir, in, io.github.ies.io.OutputKind.BATCH, "batch");
        } catch (OutputFolder.OutputFolderException e) {
            return e.getMessage();
        }
        if (!Files.isDirectory(dir) || isBatchFolder(dir)) return null;
        try (java.util.stream.Stream<Path> st = Files.list(dir)) {
            if (st.allMatch(p -> p.getFileName().toString().equals(OutputFolder.LOCK))) return null;
        }
        return dir + " exists and holds files, but was not made by ies batch (it has no " + OWNER + "): IES leaves it alone;"
                + " move it away or choose another --out";
    }

    /**
     * A worker stops (running its shutdown hooks: staging folders and locks are removed) when the parent process is
     * gone, even after a SIGKILL of the parent, which runs no hooks.
     */
    static void watchParent(long ppid) {
        Thread t = new Thread(() -> {
            while (true) {
                long now = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
                boolean alive = now == ppid && ProcessHandle.of(ppid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    System.err.println("ies batch: worker " + ProcessHandle.current().pid() + ": the parent process " + ppid
                            + " has ended; stopping");
                    System.exit(IesCli.EXIT_FAILED);
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "ies-batch-parent-watch");
        t.setDaemon(true);
        t.start();
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

    private void process(Subjects.Subject s, SaliencySettings options, PrintWriter err) throws IOException {
        Path dir = out.resolve(s.name);
        if (refused.containsKey(s.name)) {
            say(err, s.name + ": FAILED: " + refused.get(s.name));
            return;
        }
        if (Files.isRegularFile(dir.resolve(DONE))) {
            say(err, s.name + ": done before, skipped");
            return;
        }
        if (skipFailed && Files.isRegularFile(dir.resolve(FAILED))) {
            say(err, s.name + ": failed before, skipped (--skip-failed)");
            return;
        }
        List<Path> in = new ArrayList<>(s.files());
        in.add(model);
        OutputFolder folder;
        try {
            folder = OutputFolder.open(dir, "ies batch, subject " + s.name, in);
        } catch (OutputFolder.OutputBusyException e) {
            busy.put(s.name, e.getMessage());
            say(err, s.name + ": skipped: " + e.getMessage());
            return;
        } catch (OutputFolder.OutputFolderException e) {
            refused.put(s.name, e.getMessage());
            say(err, s.name + ": FAILED: " + e.getMessage());
            return;
        }
        try {
            if (Files.isRegularFile(dir.resolve(DONE))) {        // finished by another run meanwhile
                folder.keep();
                say(err, s.name + ": done before, skipped");
                return;
            }
            String why = ownership(s);
            if (why != null) {
                refused.put(s.name, why);
                say(err, s.name + ": FAILED: " + why);
                return;
            }
            // our folder without a done marker: what is there is a partial or failed run of ours; start afresh
            try (java.util.stream.Stream<Path> st = Files.list(dir)) {
                for (Path p : st.toList()) {
                    if (!p.getFileName().toString().equals(OutputFolder.LOCK)) OutputFolder.deleteTree(p);
                }
            }
            JsonObject owner = new JsonObject();
            owner.addProperty("created_by", "ies batch");
            owner.addProperty("subject", s.name);
            owner.addProperty("note", "ies batch may delete and redo this folder while it has no " + DONE);
            writeJson(dir.resolve(OWNER), owner);
            folder.keep();
            runSubject(s, dir, folder, options, err);
        } finally {
            folder.close();
        }
    }

    /** The explain request of a subject. */
    /** The options as the explain request of every subject (no subject yet), checked before any work. */
    ExplainJob.Request request() {
        CommandLine cl = spec.commandLine();
        ExplainJob.Request q = subjectRequest(null, null, null, saliency.toOptions(cl));
        Requests.validated(cl, q::validate);
        return q;
    }

    ExplainJob.Request subjectRequest(Subjects.Subject s, Path dir, OutputFolder folder, SaliencySettings options) {
        ExplainJob.Request q = new ExplainJob.Request();
        q.model = model;
        if (s != null) {
            q.inputs.put("FLAIR", s.flair);
            q.inputs.put("MPRAGE", s.mprage);
            q.groundTruth = s.gt;
            q.brainMask = s.brainMask;
        }
        q.out = dir;
        q.outputFolder = folder;
        q.settings = options;
        q.device = saliency.device;
        q.threads = saliency.threads;
        q.nonFinite = NonFiniteOption.parse(spec.commandLine(), saliency.nonFinite);
        q.command = "batch";
        q.version = new IesCli.Version().getVersion()[0];
        q.threshold = threshold;
        q.minLesionVoxels = minSize;
        q.connectivity = connectivity;
        q.tnSpheres = tnSpheres;
        return q;
    }

    private void runSubject(Subjects.Subject s, Path dir, OutputFolder folder, SaliencySettings options, PrintWriter err)
            throws IOException {
        long t0 = System.nanoTime();
        JsonObject j = new JsonObject();
        j.addProperty("subject", s.name);
        try {
            ExplainJob.Request q = subjectRequest(s, dir, folder, options);
            say(err, s.name + ": explaining");
            ExplainPipeline.Result r = ExplainJob.run(q, null, null);
            LesionTable t = LesionTable.read(dir.resolve(ExplainLayout.LESIONS));
            j.addProperty("status", "done");
            j.addProperty("segmented_lesions", r.segmentedLesions);
            j.addProperty("explained", r.rows.size());
            j.addProperty("table_rows", t.rowCount());
            Path metrics = dir.resolve(ExplainLayout.METRICS);
            if (Files.isRegularFile(metrics)) {
                JsonObject m = JsonParser.parseString(Files.readString(metrics, StandardCharsets.UTF_8)).getAsJsonObject();
                for (String k : new String[] {"lesion_tp", "lesion_fp", "lesion_fn", "dice"}) if (m.has(k)) j.add(k, m.get(k));
            }
            j.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
            writeJson(dir.resolve(DONE), j);
            Files.deleteIfExists(dir.resolve(FAILED));
            say(err, String.format(Locale.ROOT, "%s: done in %.1f s", s.name, (System.nanoTime() - t0) / 1e9));
        } catch (Exception | OutOfMemoryError e) {
            String msg = Messages.describe(e);
            j.addProperty("status", "failed");
            j.addProperty("message", msg);
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
            if (a.equals("--jobs") || a.equals("--threads") || a.equals("--parent-pid")) k++;           // replaced below
            else if (!a.startsWith("--jobs=") && !a.startsWith("--threads=") && !a.startsWith("--parent-pid=")) args.add(a);
        }
        int threads = saliency.threads > 0 ? saliency.threads : Math.max(1, Runtime.getRuntime().availableProcessors() / n);
        List<Process> procs = java.util.Collections.synchronizedList(new ArrayList<>());
        // SIGINT/SIGTERM of this process stops the workers too (they also watch that this process is alive)
        Thread stopWorkers = new Thread(() -> {
            List<Process> ps;
            synchronized (procs) {
                ps = new ArrayList<>(procs);
            }
            for (Process p : ps) p.destroy();
            for (Process p : ps) {
                try {
                    if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            }
        }, "ies-batch-stop-workers");
        Runtime.getRuntime().addShutdownHook(stopWorkers);
        for (int w = 1; w <= n; w++) {
            List<String> cmd = new ArrayList<>(base);
            cmd.addAll(args);
            cmd.add("--jobs");
            cmd.add("1");
            cmd.add("--worker");
            cmd.add(w + "/" + n);
            cmd.add("--threads");
            cmd.add(Integer.toString(threads));
            cmd.add("--parent-pid");
            cmd.add(Long.toString(ProcessHandle.current().pid()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT);
            procs.add(pb.start());
        }
        say(err, "started " + n + " worker JVM(s)" + (xmx == null ? "" : " (" + xmx + " each)"));
        for (Process p : procs) p.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(stopWorkers);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs
        }
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
            if (refused.containsKey(s.name)) {
                t.addRow(s.name, "failed", null, null, null, null, null, null, null, refused.get(s.name));
                failed++;
                continue;
            }
            if (j == null) {
                boolean held = busy.containsKey(s.name) || OutputFolder.isHeld(d);
                t.addRow(s.name, held ? "busy" : "missing", null, null, null, null, null, null, null,
                        held ? "another IES run is working on this subject" : "no output (killed?)");
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
}
