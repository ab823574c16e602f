package io.github.ies.cli;

import com.google.gson.JsonArray;
import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.jobs.AnalyzeJob;
import io.github.ies.pipeline.RunRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ies analyze}: the paper's channel-contribution and peak statistics over ies explain outputs (docs/analysis.md). */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Channel contributions (SmoothGrad-max values outside (-t, t) per group and channel, inside vs perilesional shells) "
                + "and peak statistics by category (median, 95%% CI, pairwise two-sided Mann-Whitney U) over one or many 'ies explain' folders.",
                "Writes OUT/peaks.csv, group_summary.csv, group_tests.csv, channel_contributions.csv and OUT/figures/*.png."})
public final class AnalyzeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--explain-dir", required = true, paramLabel = "DIR", description = "an 'ies explain' output folder (repeatable)")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "output folder")
    Path out;

    @Option(names = "--threshold", paramLabel = "T", defaultValue = "" + CohortAnalysis.Options.DEFAULT_THRESHOLD, description = "discard map values in (-t, t) (default: ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--bin-mm", paramLabel = "MM", description = "width of the perilesional distance bins in mm (default: the voxel size)")
    Double binMm;

    @Option(names = "--max-mm", paramLabel = "MM", defaultValue = "" + CohortAnalysis.Options.DEFAULT_MAX_MM, description = "outer limit of the perilesional shells in mm (default: ${DEFAULT-VALUE})")
    double maxMm;

    @Option(names = "--min-group-size", paramLabel = "N", defaultValue = "" + CohortAnalysis.Options.DEFAULT_MIN_GROUP_SIZE,
            description = "test two groups only when both have at least N lesions; smaller groups get medians, no p-value (default: ${DEFAULT-VALUE})")
    int minGroupSize;

    @Option(names = "--no-figures", description = "tables only")
    boolean noFigures;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    /** The options as the job's request, checked before any work. */
    AnalyzeJob.Request request() {
        AnalyzeJob.Request q = new AnalyzeJob.Request();
        q.explainDirs = dirs;
        q.analysis.threshold = threshold;
        q.analysis.binMm = binMm;
        q.analysis.maxMm = maxMm;
        q.analysis.minGroupSize = minGroupSize;
        q.figures = !noFigures;
        return Requests.validated(spec.commandLine(), q::validate);
    }

    @Override
    public Integer call() throws Exception {
        AnalyzeJob.Request q = request();
        CommandLine cl = spec.commandLine();
        AnalyzeJob.checkFolder(out, "analyze", q);
        long t0 = System.nanoTime();
        PrintWriter err = cl.getErr();
        CohortAnalysis.Result r = AnalyzeJob.run(q, s -> {
            if (!quiet) { err.println("ies analyze: " + s); err.flush(); }
        }, ProgressPrinter.of(err, quiet));
        RunRecord rec = new RunRecord("analyze", new IesCli.Version().getVersion()[0]);
        JsonArray in = new JsonArray();
        for (Path d : dirs) in.add(d.toString());
        rec.parameters().add("explain_dirs", in);
        rec.parameters().addProperty("threshold", threshold);
        rec.parameters().addProperty("bin_mm", r.binMm);
        rec.parameters().addProperty("max_mm", maxMm);
        rec.parameters().addProperty("min_group_size", minGroupSize);
        rec.parameters().addProperty("figures", !noFigures);
        rec.parameters().addProperty("out", out.toString());
        AnalyzeJob.write(out, "analyze", q, r, rec, (System.nanoTime() - t0) / 1e9);
        for (String w : r.warnings) err.println("ies analyze: warning: " + w);
        err.flush();
        PrintWriter po = cl.getOut();
        po.printf(Locale.ROOT, "wrote %s: %d instance(s) (%d with maps), groups %s, channels %s, shell bins of %s mm%n", out, r.instances,
                r.instancesWithMaps, r.groups, r.channels, io.github.ies.instances.LesionTable.round(r.binMm, 4));
        po.flush();
        return IesCli.EXIT_OK;
    }
}
