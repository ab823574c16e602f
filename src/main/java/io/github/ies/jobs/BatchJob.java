package io.github.ies.jobs;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.BatchMarkers;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Messages;
import io.github.ies.io.Nifti;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.OutputKind;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.pipeline.ExplainPipeline;
import io.github.ies.pipeline.RunRecord;
import io.github.ies.request.InvalidRequest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code ies batch} as a use case: {@code ies explain} over a cohort ({@link Subjects}), resumable and shardable. Each
 * subject's outputs go to OUT/&lt;subject&gt;/ (the layout of {@code ies explain}) and end with the marker
 * {@value BatchMarkers#DONE}; a subject with the marker is skipped, one without it is redone from scratch; a failed
 * subject gets {@value BatchMarkers#FAILED} and the others go on. Every subject folder the batch creates carries
 * {@value BatchMarkers#OWNER}; only folders with one of the markers are ever cleared. The summary CSV is rebuilt from
 * the markers ({@link BatchSummary}: each subject's {@link State}), and run.json records the batch. With {@link Request#jobs} &gt; 1 the subjects are
 * shared among worker processes that the front-end starts ({@link WorkerLauncher}: each runs this job with
 * {@link Request#worker}); the parent waits for them and writes the summary.
 */
public final class BatchJob {

    public static final int DEFAULT_JOBS = 1;
    /** The command label of the batch and of each subject's run.json. */
    public static final String COMMAND = "batch";
    public static final String SUMMARY = "summary.csv";

    /** The i-th of n interleaved parts of a list ({@code --shard i/n}, a worker's {@code j/N}). */
    public static final class Part {
        public final int i, n;
        /** As the user wrote it (recorded in run.json and in messages). */
        public final String text;

        public Part(int i, int n) {
            this(i, n, i + "/" + n);
        }

        private Part(int i, int n, String text) {
            this.i = i;
            this.n = n;
            this.text = text;
        }

        /** The part {@code text} ("i/n") means, null for null; text that is no i/n is a part that {@link #check} refuses. */
        public static Part parse(String text) {
            if (text == null) return null;
            String[] p = text.split("/");
            try {
                if (p.length == 2) return new Part(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), text);
            } catch (NumberFormatException ignored) {
                // refused by check
            }
            return new Part(0, 0, text);
        }

        void check(String key) {
            if (!(n >= 1 && i >= 1 && i <= n)) throw new InvalidRequest("{" + key + "} must be i/n with 1 <= i <= n, got '" + text + "'");
        }

        /** The subjects of this part (i-1, i-1+n, ...), so parts stay balanced as a cohort grows; all for null. */
        static List<Subjects.Subject> of(Part f, List<Subjects.Subject> list) {
            if (f == null) return list;
            List<Subjects.Subject> out = new ArrayList<>();
            for (int k = f.i - 1; k < list.size(); k += f.n) out.add(list.get(k));
            return out;
        }
    }

    /** What to run; the field names are the option keys ({@code {jobs}}, {@code {shard}}, ...). */
    public static final class Request {
        /** A cohort folder (one folder per subject) or a CSV (subject,flair,mprage[,gt,brain_mask]). */
        public Path subjects;
        public Path out;
        public Path model;
        /** Subjects processed in parallel, each worker a separate process. */
        public int jobs = DEFAULT_JOBS;
        /** Only this part of the cohort; null: all subjects. */
        public Part shard;
        /** This run is worker j of N of a parent's {@link #jobs}; null: not a worker. */
        public Part worker;
        /** Do not retry subjects that failed in an earlier run. */
        public boolean skipFailed;
        /**
         * The explain settings of every subject (saliency settings, device, threads, TN spheres, segmentation
         * overrides, non-finite policy, version); the job adds each subject's files and folder.
         */
        public ExplainPipeline.Request explain = new ExplainPipeline.Request();

        /** Checks every value before any work; an {@link InvalidRequest} names the settings by their keys. */
        public Request validate() {
            if (subjects == null || out == null || model == null) throw new InvalidRequest("{subjects}, {out} and {model} are required");
            if (jobs < 1) throw new InvalidRequest("{jobs} must be >= 1, got " + jobs);
            if (shard != null) shard.check("shard");
            if (worker != null) worker.check("worker");
            explain.validate();
            return this;
        }
    }

    /** Starts the worker processes of a run with {@link Request#jobs} &gt; 1; the front-end knows how to run itself. */
    public interface WorkerLauncher {
        /** Starts worker {@code j} of {@code n}: this batch with {@link Request#worker} j/n, one job, {@code threads} CPU threads. */
        Process start(int j, int n, int threads) throws IOException;

        /** Said after the workers started, e.g. " (-Xmx8g each)"; empty for nothing. */
        default String note() {
            return "";
        }
    }

    /** Where a subject stands after a run, as the summary reports it. */
    public enum State {
        /** Finished, now or earlier ({@value BatchMarkers#DONE}). */
        DONE,
        /** Failed ({@value BatchMarkers#FAILED}), or refused: its folder is not the batch's or holds its inputs. */
        FAILED,
        /** Held by another live run. */
        BUSY,
        /** No marker and no run holding it (killed?). */
        MISSING
    }

    /** What a run did: its subjects, how many did not finish, and the summary it wrote (null for a worker). */
    public static final class Result {
        public final int subjects, failed;
        public final Path summary;

        Result(int subjects, int failed, Path summary) {
            this.subjects = subjects;
            this.failed = failed;
            this.summary = summary;
        }
    }

    private final Request q;
    private final Consumer<String> log;
    /** Subjects this run will not touch, with the reason (their folder is not ours, or holds their inputs). */
    private final Map<String, String> refused = new LinkedHashMap<>();
    /** Subjects held by another live run. */
    private final Map<String, String> busy = new LinkedHashMap<>();
    /** The subject being explained now (for the line said when a signal stops the run). */
    private volatile String current;

    private BatchJob(Request q, Consumer<String> log) {
        this.q = q;
        this.log = log == null ? s -> { } : log;
    }

    /**
     * Runs the batch: this run's subjects (its shard, or its worker's part) one after the other, or in
     * {@code min(jobs, subjects)} worker processes started by {@code launcher}; then (unless a worker) the summary and
     * run.json. {@code log} hears one line per subject and step.
     */
    public static Result run(Request q, WorkerLauncher launcher, Consumer<String> log) throws IOException, InterruptedException {
        q.validate();
        return new BatchJob(q, log).run(launcher);
    }

    private Result run(WorkerLauncher launcher) throws IOException, InterruptedException {
        List<Subjects.Subject> all = Subjects.load(q.subjects);
        List<Subjects.Subject> mine = Part.of(q.worker, Part.of(q.shard, all));
        List<Path> cohortFiles = new ArrayList<>(List.of(q.model, q.subjects));
        for (Subjects.Subject s : all) cohortFiles.addAll(s.files());
        OutputFolder.check(q.out, cohortFiles, OutputKind.BATCH, COMMAND);    // e.g. --out = the subjects folder: refused, nothing touched
        for (Subjects.Subject s : mine) {
            String why = ownership(s);
            if (why != null) refused.put(s.name, why);
        }
        Files.createDirectories(q.out);
        long t0 = System.nanoTime();
        // the cohort folder is IES's from now on (a shard leaves a batch record of an earlier shard or collect in place)
        if (q.worker == null && (q.shard == null || !COMMAND.equals(OutputFolder.runCommand(q.out)))) {
            OutputFolder.claim(q.out, COMMAND, q.explain.version);
        }
        if (q.jobs > 1 && q.worker == null && mine.size() > 1) {
            runWorkers(Math.min(q.jobs, mine.size()), launcher);
        } else {
            // SIGTERM (scancel, a time limit, preemption) or SIGINT: OutputFolder's hook removes the staging folders and
            // the lock, the subject keeps no done marker (redone by the next run); say which subject was stopped
            Thread said = new Thread(() -> {
                String s = current;
                if (s != null) log.accept(s + ": stopped by a signal (SIGTERM: scancel, a time limit or preemption?) before it finished;"
                        + " it has no " + BatchMarkers.DONE + " and the next run redoes it");
            }, "ies-batch-stopped");
            Runtime.getRuntime().addShutdownHook(said);
            try {
                for (Subjects.Subject s : mine) process(s);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(said);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs
                }
            }
        }
        if (q.worker != null) return new Result(mine.size(), 0, null);     // the parent writes the summary
        Path summary = q.out.resolve(q.shard == null ? SUMMARY : String.format(Locale.ROOT, "summary-%d-of-%d.csv", q.shard.i, q.shard.n));
        Path record = q.out.resolve(q.shard == null ? ExplainLayout.RUN : shardRecord(q.shard.i, q.shard.n));
        int failed = BatchSummary.write(q.out, mine, refused, busy.keySet(), summary);
        RunRecord rec = new RunRecord(COMMAND, q.explain.version);
        rec.parameters().addProperty("subjects", q.subjects.toString());
        rec.parameters().addProperty("model", q.model.toString());
        rec.parameters().addProperty("out", q.out.toString());
        rec.parameters().addProperty("jobs", q.jobs);
        rec.parameters().addProperty("shard", q.shard == null ? null : q.shard.text);
        JsonObject res = new JsonObject();
        res.addProperty("subjects", mine.size());
        res.addProperty("failed", failed);
        res.addProperty("summary", summary.getFileName().toString());
        res.addProperty("note", q.shard == null ? "each subject's folder holds its own run.json"
                : "the record of one shard; 'ies collect' merges the shards' records into the cohort's run.json");
        rec.add("result", res);
        rec.add("task", task());
        String json = rec.toJson(new ArrayList<>(), (System.nanoTime() - t0) / 1e9);
        ContextJob.text(record, json);
        return new Result(mine.size(), failed, summary);
    }

    /** The record of shard i of n in the batch folder (merged into run.json by {@link BatchCollect}). */
    public static String shardRecord(int i, int n) {
        return String.format(Locale.ROOT, "run-shard-%d-of-%d.json", i, n);
    }

    /** Where this process runs: host, pid and, under SLURM, the job (array job_task) whose log holds its lines. */
    static JsonObject task() {
        JsonObject t = new JsonObject();
        String host = System.getenv("SLURMD_NODENAME");
        if (host == null) host = System.getenv("HOSTNAME");
        if (host == null) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = null;
            }
        }
        t.addProperty("host", host);
        t.addProperty("pid", ProcessHandle.current().pid());
        String array = System.getenv("SLURM_ARRAY_JOB_ID"), index = System.getenv("SLURM_ARRAY_TASK_ID"), job = System.getenv("SLURM_JOB_ID");
        if (array != null && index != null) t.addProperty("slurm_job", array + "_" + index);
        else if (job != null) t.addProperty("slurm_job", job);
        if (System.getenv("SLURM_RESTART_COUNT") != null) t.addProperty("slurm_restart_count", System.getenv("SLURM_RESTART_COUNT"));
        return t;
    }

    /** True when a folder carries one of the batch's markers. */
    static boolean isBatchFolder(Path dir) {
        return Files.isRegularFile(dir.resolve(BatchMarkers.OWNER)) || Files.isRegularFile(dir.resolve(BatchMarkers.DONE))
                || Files.isRegularFile(dir.resolve(BatchMarkers.FAILED));
    }

    private List<Path> inputs(Subjects.Subject s) {
        List<Path> in = new ArrayList<>(s.files());
        in.add(q.model);
        return in;
    }

    /** Null when the subject's folder may be used: missing, empty, or made by the batch; else why not. */
    private String ownership(Subjects.Subject s) throws IOException {
        Path dir = q.out.resolve(s.name);
        try {
            OutputFolder.check(dir, inputs(s), OutputKind.BATCH, COMMAND);
        } catch (OutputFolder.OutputFolderException e) {
            return e.getMessage();
        }
        if (!Files.isDirectory(dir) || isBatchFolder(dir)) return null;
        try (Stream<Path> st = Files.list(dir)) {
            if (st.allMatch(p -> p.getFileName().toString().equals(OutputFolder.LOCK))) return null;
        }
        return dir + " exists and holds files, but was not made by ies batch (it has no " + BatchMarkers.OWNER + "): IES leaves it alone;"
                + " move it away or choose another --out";
    }

    private void process(Subjects.Subject s) throws IOException {
        Path dir = q.out.resolve(s.name);
        if (refused.containsKey(s.name)) {
            log.accept(s.name + ": FAILED: " + refused.get(s.name));
            return;
        }
        if (Files.isRegularFile(dir.resolve(BatchMarkers.DONE))) {
            log.accept(s.name + ": done before, skipped");
            return;
        }
        if (q.skipFailed && Files.isRegularFile(dir.resolve(BatchMarkers.FAILED))) {
            log.accept(s.name + ": failed before, skipped (--skip-failed)");
            return;
        }
        OutputFolder folder;
        try {
            folder = OutputFolder.open(dir, "ies batch, subject " + s.name, inputs(s));
        } catch (OutputFolder.OutputBusyException e) {
            busy.put(s.name, e.getMessage());
            log.accept(s.name + ": skipped: " + e.getMessage());
            return;
        } catch (OutputFolder.OutputFolderException e) {
            refused.put(s.name, e.getMessage());
            log.accept(s.name + ": FAILED: " + e.getMessage());
            return;
        }
        try {
            if (Files.isRegularFile(dir.resolve(BatchMarkers.DONE))) {        // finished by another run meanwhile
                folder.keep();
                log.accept(s.name + ": done before, skipped");
                return;
            }
            String why = ownership(s);
            if (why != null) {
                refused.put(s.name, why);
                log.accept(s.name + ": FAILED: " + why);
                return;
            }
            // our folder without a done marker: what is there is a partial or failed run of ours; start afresh, and
            // say so (the log and the markers name the run that was interrupted, for ies collect)
            JsonObject earlier = Files.isRegularFile(dir.resolve(BatchMarkers.OWNER)) && !Files.isRegularFile(dir.resolve(BatchMarkers.FAILED))
                    ? BatchSummary.readJson(dir.resolve(BatchMarkers.OWNER)) : null;
            if (earlier != null) {
                log.accept(s.name + ": redoing it: an earlier run (" + describe(earlier.getAsJsonObject("task"))
                        + ") stopped before it finished; its partial files are replaced");
            }
            try (Stream<Path> st = Files.list(dir)) {
                for (Path p : st.toList()) {
                    if (!p.getFileName().toString().equals(OutputFolder.LOCK)) OutputFolder.deleteTree(p);
                }
            }
            JsonObject owner = new JsonObject();
            owner.addProperty("created_by", "ies batch");
            owner.addProperty("subject", s.name);
            owner.addProperty("note", "ies batch may delete and redo this folder while it has no " + BatchMarkers.DONE);
            owner.add("task", task());
            if (earlier != null && earlier.has("task")) owner.add("redoes", earlier.get("task"));
            writeJson(dir.resolve(BatchMarkers.OWNER), owner);
            folder.keep();
            current = s.name;
            runSubject(s, dir, folder, owner.get("redoes"));
        } finally {
            current = null;
            folder.close();
        }
    }

    /** The explain request of one subject: the batch's explain settings, the subject's files, its locked folder. */
    ExplainJob.Request subjectRequest(Subjects.Subject s, Path dir, OutputFolder folder) {
        ExplainJob.Request r = q.explain.copyTo(new ExplainJob.Request());
        r.command = COMMAND;
        r.outputFolderName = null;
        r.model = q.model;
        r.inputs.put("FLAIR", s.flair);
        r.inputs.put("MPRAGE", s.mprage);
        r.groundTruth = s.gt;
        r.brainMask = s.brainMask;
        r.out = dir;
        r.outputFolder = folder;
        return r;
    }

    /** "job 8_1 on node, pid 123" for a marker's task (host, pid, SLURM job). */
    static String describe(JsonObject task) {
        if (task == null) return "an unknown run";
        StringBuilder b = new StringBuilder();
        if (task.has("slurm_job") && !task.get("slurm_job").isJsonNull()) b.append("job ").append(task.get("slurm_job").getAsString()).append(' ');
        b.append("on ").append(task.has("host") && !task.get("host").isJsonNull() ? task.get("host").getAsString() : "?");
        if (task.has("pid")) b.append(", pid ").append(task.get("pid").getAsString());
        return b.toString();
    }

    private void runSubject(Subjects.Subject s, Path dir, OutputFolder folder, JsonElement redoes) throws IOException {
        long t0 = System.nanoTime();
        JsonObject j = new JsonObject();
        j.addProperty("subject", s.name);
        try {
            ExplainJob.Request r = subjectRequest(s, dir, folder);
            log.accept(s.name + ": explaining");
            ExplainPipeline.Result res = ExplainJob.run(r, null, null);
            LesionTable t = LesionTable.read(dir.resolve(ExplainLayout.LESIONS));
            j.addProperty("status", "done");
            j.addProperty("segmented_lesions", res.segmentedLesions);
            j.addProperty("explained", res.rows.size());
            j.addProperty("table_rows", t.rowCount());
            Path metrics = dir.resolve(ExplainLayout.METRICS);
            if (Files.isRegularFile(metrics)) {
                JsonObject m = JsonParser.parseString(Files.readString(metrics, StandardCharsets.UTF_8)).getAsJsonObject();
                for (String k : new String[] {"lesion_tp", "lesion_fp", "lesion_fn", "dice"}) if (m.has(k)) j.add(k, m.get(k));
            }
            j.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
            j.add("task", task());
            if (redoes != null) j.add("redoes", redoes);
            writeJson(dir.resolve(BatchMarkers.DONE), j);
            Files.deleteIfExists(dir.resolve(BatchMarkers.FAILED));
            log.accept(String.format(Locale.ROOT, "%s: done in %.1f s", s.name, (System.nanoTime() - t0) / 1e9));
        } catch (Exception | OutOfMemoryError e) {
            String msg = Messages.describe(e);
            j.addProperty("status", "failed");
            j.addProperty("message", msg);
            j.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
            j.add("task", task());
            writeJson(dir.resolve(BatchMarkers.FAILED), j);
            log.accept(s.name + ": FAILED: " + msg);
        }
    }

    /** Runs {@code n} workers, each on every n-th of this run's subjects, and waits for them. */
    private void runWorkers(int n, WorkerLauncher launcher) throws IOException, InterruptedException {
        int threads = q.explain.threads > 0 ? q.explain.threads : Math.max(1, Runtime.getRuntime().availableProcessors() / n);
        List<Process> procs = Collections.synchronizedList(new ArrayList<>());
        // SIGINT/SIGTERM of this process stops the workers too (they also watch that this process is alive)
        Thread stopWorkers = new Thread(() -> {
            List<Process> ps;
            synchronized (procs) {
                ps = new ArrayList<>(procs);
            }
            for (Process p : ps) p.destroy();
            for (Process p : ps) {
                try {
                    if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            }
        }, "ies-batch-stop-workers");
        Runtime.getRuntime().addShutdownHook(stopWorkers);
        for (int w = 1; w <= n; w++) procs.add(launcher.start(w, n, threads));
        log.accept("started " + n + " worker JVM(s)" + launcher.note());
        for (Process p : procs) p.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(stopWorkers);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs
        }
    }

    private static void writeJson(Path p, JsonObject j) throws IOException {
        String s = new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(j) + "\n";
        Nifti.writeAtomically(p, os -> os.write(s.getBytes(StandardCharsets.UTF_8)));
    }
}
