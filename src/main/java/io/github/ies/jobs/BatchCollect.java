package io.github.ies.jobs;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.BatchMarkers;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.OutputFolder;
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
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code ies collect}: the end of a sharded batch (a SLURM array's tasks, each {@code ies batch --shard i/n}) as one
 * cohort. It checks that every subject of the cohort is present exactly once (a done marker, no subject folder outside
 * the cohort, every shard's record there, no subject reported done by two tasks' logs), lists the subjects that are
 * not done with their lines of the task logs (the scheduler's reason among them: {@code slurmstepd} lines such as
 * "CANCELLED ... DUE TO TIME LIMIT" or "exceeded memory limit"), writes the cohort's summary.csv from the markers and
 * merges the shards' records ({@code run-shard-i-of-n.json}) into the cohort's run.json. It changes nothing else.
 */
public final class BatchCollect {

    public static final String COMMAND = "collect";
    private static final Pattern SHARD = Pattern.compile("run-shard-(\\d+)-of-(\\d+)\\.json");
    /** The first line the generated script writes into each task's log: which shard (i/n) that log's task ran. */
    private static final Pattern TASK = Pattern.compile("ies task (\\d+)/(\\d+): job ");

    /** What to collect; the field names are the option keys. */
    public static final class Request {
        /** The batch's output folder (its --out). */
        public Path out;
        /** The cohort (folder or CSV); null: the one the shards' records name. */
        public Path subjects;
        /** The task logs (a folder; every regular file in it is read); null: none. */
        public Path logs;

        public Request validate() {
            if (out == null) throw new InvalidRequest("{out} is required: the output folder of the ies batch runs to collect");
            if (!Files.isDirectory(out)) throw new InvalidRequest("{out} " + out + " is not a folder: give the --out of the ies batch runs");
            if (logs != null && !Files.isDirectory(logs)) throw new InvalidRequest("{logs} " + logs + " is not a folder: give the folder of the task logs");
            return this;
        }
    }

    /** The outcome: counts, the problems (one line each, with log lines), the files written and the done subjects' folders. */
    public static final class Result {
        public int subjects, done, failed, missing, busy;
        public final List<String> problems = new ArrayList<>();
        /** Lines that are no problem: subjects redone after an interrupted run. */
        public final List<String> notes = new ArrayList<>();
        public Path summary, record;
        public final List<Path> doneFolders = new ArrayList<>();

        /** True when every subject is done exactly once and every shard reported. */
        public boolean complete() {
            return problems.isEmpty();
        }
    }

    private BatchCollect() {}

    public static Result run(Request q) throws IOException {
        q.validate();
        if (!BatchJob.COMMAND.equals(OutputFolder.runCommand(q.out))) {
            throw new InvalidRequest("{out} " + q.out + " holds no ies batch run record (run.json): give the --out of the ies batch runs");
        }
        Map<String, JsonObject> shards = new TreeMap<>();
        int n = -1;
        Result r = new Result();
        try (Stream<Path> st = Files.list(q.out)) {
            for (Path p : st.sorted().toList()) {
                Matcher m = SHARD.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                JsonObject j = readJson(p);
                if (j == null) {
                    r.problems.add(p.getFileName() + " cannot be read as JSON");
                    continue;
                }
                int sn = Integer.parseInt(m.group(2));
                if (n != -1 && sn != n) r.problems.add("shard records of different shard counts (" + n + " and " + sn + "): one cohort split two ways");
                n = Math.max(n, sn);
                shards.put(m.group(1) + "/" + m.group(2), j);
            }
        }
        JsonObject run = readJson(q.out.resolve(ExplainLayout.RUN));
        Path subjects = q.subjects;
        String version = null, model = null;
        for (JsonObject j : shards.values()) {
            JsonObject par = j.getAsJsonObject("parameters");
            if (subjects == null && par != null && par.has("subjects")) subjects = Path.of(par.get("subjects").getAsString());
            if (model == null && par != null && par.has("model")) model = par.get("model").getAsString();
            if (version == null && j.has("ies_version")) version = j.get("ies_version").getAsString();
        }
        if (subjects == null && run != null && run.has("parameters") && run.getAsJsonObject("parameters").has("subjects")) {
            subjects = Path.of(run.getAsJsonObject("parameters").get("subjects").getAsString());
        }
        if (n < 0 && run != null && run.has("parameters") && run.getAsJsonObject("parameters").has("shards")
                && run.getAsJsonObject("parameters").get("shards").isJsonPrimitive()) {
            n = run.getAsJsonObject("parameters").get("shards").getAsInt();    // the script's record: no task reported yet
        }
        if (subjects == null) throw new InvalidRequest("{subjects} is needed: no run record in " + q.out + " names the cohort");
        List<Subjects.Subject> all = Subjects.load(subjects);
        if (n > 0) {
            for (int i = 1; i <= n; i++) {
                if (!shards.containsKey(i + "/" + n)) r.problems.add("shard " + i + "/" + n + " has no record (" + BatchJob.shardRecord(i, n)
                        + "): that task has not finished; resubmit it");
            }
        }

        Map<String, List<String>> logs = readLogs(q.logs);
        TreeSet<String> names = new TreeSet<>();
        for (Subjects.Subject s : all) names.add(s.name);
        Path summary = q.out.resolve(BatchJob.SUMMARY);
        r.subjects = all.size();
        Map<String, int[]> logShards = logShards(logs);
        for (int k = 0; k < all.size(); k++) {
            Subjects.Subject s = all.get(k);
            int index = k;
            Path dir = q.out.resolve(s.name);
            JsonObject marker = BatchSummary.marker(dir);
            BatchJob.State st = BatchSummary.state(dir, false, false, marker);
            int doneInLogs = 0;
            for (List<String> lines : logs.values()) for (String l : lines) if (l.contains("ies batch: " + s.name + ": done in ")) doneInLogs++;
            if (doneInLogs > 1) r.problems.add(s.name + ": done " + doneInLogs + " times according to the task logs");
            switch (st) {
                case DONE -> {
                    r.done++;
                    r.doneFolders.add(dir);
                    if (marker != null && marker.has("redoes") && marker.get("redoes").isJsonObject()) {
                        r.notes.add(s.name + ": done, redone after an interrupted run (" + BatchJob.describe(marker.getAsJsonObject("redoes"))
                                + ") whose partial files it replaced");
                    }
                }
                case FAILED -> {
                    r.failed++;
                    r.problems.add(s.name + ": failed: " + str(marker.get("message")) + logLines(s.name, index, marker, logs, logShards));
                }
                case BUSY -> {
                    r.busy++;
                    r.problems.add(s.name + ": still running (another IES run holds its folder)" + logLines(s.name, index, marker, logs, logShards));
                }
                case MISSING -> {
                    r.missing++;
                    JsonObject owner = readJson(dir.resolve(BatchMarkers.OWNER));
                    r.problems.add(s.name + ": " + (owner == null ? "not started" : "started but not finished (stopped or killed)")
                            + logLines(s.name, index, owner, logs, logShards));
                }
            }
        }
        try (Stream<Path> st = Files.list(q.out)) {
            for (Path p : st.sorted().toList()) {
                if (Files.isDirectory(p) && !names.contains(p.getFileName().toString()) && BatchJob.isBatchFolder(p)) {
                    r.problems.add(p.getFileName() + ": a subject folder of ies batch that is not in the cohort " + subjects);
                }
            }
        }
        BatchSummary.write(q.out, all, Collections.emptyMap(), Collections.emptySet(), summary);
        r.summary = summary;

        RunRecord rec = new RunRecord(BatchJob.COMMAND, version == null ? "unknown" : version);
        rec.parameters().addProperty("subjects", subjects.toString());
        rec.parameters().addProperty("model", model);
        rec.parameters().addProperty("out", q.out.toString());
        rec.parameters().addProperty("shards", n > 0 ? n : null);
        JsonObject res = new JsonObject();
        res.addProperty("subjects", r.subjects);
        res.addProperty("done", r.done);
        res.addProperty("failed", r.failed);
        res.addProperty("missing", r.missing + r.busy);
        res.addProperty("summary", BatchJob.SUMMARY);
        res.addProperty("complete", r.complete());
        JsonArray problems = new JsonArray();
        r.problems.forEach(problems::add);
        res.add("problems", problems);
        res.addProperty("note", "merged by ies collect from the shards' records (run-shard-i-of-n.json) and the subjects' markers");
        rec.add("result", res);
        JsonArray sh = new JsonArray();
        double seconds = 0;
        for (Map.Entry<String, JsonObject> e : shards.entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("shard", e.getKey());
            JsonObject j = e.getValue();
            for (String k : new String[] {"finished", "result", "task", "total_seconds"}) if (j.has(k)) o.add(k, j.get(k));
            if (j.has("total_seconds")) seconds += j.get("total_seconds").getAsDouble();
            sh.add(o);
        }
        rec.add("shards", sh);
        rec.add("collected_by", BatchJob.task());
        Path record = q.out.resolve(ExplainLayout.RUN);
        ContextJob.text(record, rec.toJson(new ArrayList<>(), seconds));
        r.record = record;
        return r;
    }

    /** Each log's shard {i, n}, from the line the generated script writes first ("ies task i/n: job ..."). */
    private static Map<String, int[]> logShards(Map<String, List<String>> logs) {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : logs.entrySet()) {
            for (String l : e.getValue()) {
                Matcher m = TASK.matcher(l);
                if (m.find()) {
                    out.put(e.getKey(), new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                    break;
                }
            }
        }
        return out;
    }

    /**
     * The task logs' lines naming the subject, and the scheduler's lines (its reason: time limit, memory limit,
     * cancellation) of the logs that name it, of its task's log (the marker's job) and of the logs of the tasks whose
     * shard holds it (subject {@code index} is in shard i of n when index % n == i - 1): a task killed before it
     * started the subject (e.g. for its memory) leaves only the scheduler's lines.
     */
    private static String logLines(String subject, int index, JsonObject marker, Map<String, List<String>> logs, Map<String, int[]> logShards) {
        String job = null;
        if (marker != null && marker.has("task") && marker.getAsJsonObject("task").has("slurm_job")) {
            job = marker.getAsJsonObject("task").get("slurm_job").getAsString();
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, List<String>> e : logs.entrySet()) {
            boolean names = false;
            for (String l : e.getValue()) if (l.contains("ies batch: " + subject + ":")) names = true;
            boolean itsTask = job != null && Pattern.compile("(^|\\D)" + Pattern.quote(job) + "(\\D|$)").matcher(e.getKey()).find();    // not 15_1 for 5_1
            int[] shard = logShards.get(e.getKey());
            boolean itsShard = shard != null && shard[1] > 0 && index % shard[1] == shard[0] - 1;
            if (!names && !itsTask && !itsShard) continue;
            for (String l : e.getValue()) {
                if (l.contains("ies batch: " + subject + ":") || l.contains("slurmstepd") || l.contains("DUE TO") || l.contains("oom-kill")
                        || l.contains("exceeded memory limit")
                        || l.contains("OutOfMemoryError")) {
                    b.append("\n    ").append(e.getKey()).append(": ").append(l.strip());
                }
            }
        }
        return b.toString();
    }

    private static Map<String, List<String>> readLogs(Path dir) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (dir == null) return out;
        try (Stream<Path> st = Files.list(dir)) {
            for (Path p : st.sorted().toList()) {
                if (!Files.isRegularFile(p)) continue;
                out.put(p.getFileName().toString(), new String(Files.readAllBytes(p), StandardCharsets.UTF_8).lines().toList());
            }
        }
        return out;
    }

    private static String str(JsonElement e) {
        return e == null || e.isJsonNull() ? "" : e.getAsString();
    }

    private static JsonObject readJson(Path p) {
        try {
            if (!Files.isRegularFile(p)) return null;
            return JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
