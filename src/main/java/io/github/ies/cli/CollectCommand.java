package io.github.ies.cli;

import io.github.ies.jobs.BatchCollect;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ies collect}: a sharded batch (the tasks of a SLURM array) as one cohort ({@link BatchCollect}): every subject
 * present exactly once, the failed and unfinished ones with their task-log lines, the cohort summary.csv and run.json,
 * and the {@code ies analyze} command over the whole cohort.
 */
@Command(name = "collect", mixinStandardHelpOptions = true,
        description = {"Collects the shards of 'ies batch --shard i/n' (e.g. the tasks of the array script of 'ies batch --slurm-script') "
                + "into one cohort: checks every subject is done exactly once, lists failed or unfinished subjects with their task-log "
                + "lines (the scheduler's reason among them), writes OUT/summary.csv and merges the shards' records into OUT/run.json.",
                "Exit 0 when the cohort is complete, 1 otherwise (resubmit the array: finished subjects are skipped)."})
public final class CollectCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the output folder of the ies batch runs")
    Path out;

    @Option(names = "--subjects", paramLabel = "DIR|CSV", description = "the cohort (default: the one the batch's records name)")
    Path subjects;

    @Option(names = "--logs", paramLabel = "DIR", description = "the task logs' folder (e.g. the generated script's FILE-logs; default: no logs read)")
    Path logs;

    BatchCollect.Request request() {
        BatchCollect.Request q = new BatchCollect.Request();
        q.out = out;
        q.subjects = subjects;
        q.logs = logs;
        return Requests.validated(spec.commandLine(), q::validate);
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        BatchCollect.Request q = request();
        BatchCollect.Result r;
        try {
            r = BatchCollect.run(q);
        } catch (io.github.ies.request.InvalidRequest e) {
            throw Requests.usageError(cl, e);
        }
        PrintWriter o = cl.getOut();
        o.printf(Locale.ROOT, "wrote %s and %s: %d subject(s): %d done, %d failed, %d not finished%n", r.summary, r.record, r.subjects, r.done,
                r.failed, r.missing + r.busy);
        for (String p : r.problems) o.println("  " + p);
        for (String n : r.notes) o.println("  " + n);
        if (!r.doneFolders.isEmpty()) {
            StringBuilder b = new StringBuilder("analyze the cohort: ies analyze");
            for (Path d : r.doneFolders) b.append(" --explain-dir ").append(d);
            b.append(" --out ").append(out.toAbsolutePath().normalize()).append("-analysis");
            o.println(b);
        }
        o.flush();
        if (!r.complete()) throw new IllegalStateException("the cohort is not complete (" + r.problems.size() + " problem(s) above): "
                + "resubmit the array (finished subjects are skipped), then collect again");
        return IesCli.EXIT_OK;
    }
}
