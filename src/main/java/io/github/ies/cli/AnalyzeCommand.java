package io.github.ies.cli;

import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.io.ExplainLayout;
import io.github.ies.report.CohortFigures;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
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

    @Option(names = "--threshold", paramLabel = "T", defaultValue = "0.1", description = "discard map values in (-t, t) (default: ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--bin-mm", paramLabel = "MM", description = "width of the perilesional distance bins in mm (default: the voxel size)")
    Double binMm;

    @Option(names = "--max-mm", paramLabel = "MM", defaultValue = "10", description = "outer limit of the perilesional shells in mm (default: ${DEFAULT-VALUE})")
    double maxMm;

    @Option(names = "--no-figures", description = "tables only")
    boolean noFigures;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (!(threshold >= 0)) throw new CommandLine.ParameterException(spec.commandLine(), "--threshold must be >= 0, got " + threshold);
        if ((binMm != null && !(binMm > 0)) || !(maxMm > 0)) throw new CommandLine.ParameterException(spec.commandLine(), "--bin-mm and --max-mm must be > 0");
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) throw new CommandLine.ParameterException(spec.commandLine(), "--explain-dir " + d + ": not a folder");
        }
        List<Path> records = new ArrayList<>();
        for (Path d : dirs) records.add(new ExplainLayout(d).run());
        io.github.ies.io.OutputFolder.check(out, records, io.github.ies.io.OutputKind.ANALYSIS, "analyze");      // e.g. --out = an explain folder: its run.json would be replaced
        long t0 = System.nanoTime();
        CohortAnalysis.Options o = new CohortAnalysis.Options();
        o.threshold = threshold;
        o.binMm = binMm;
        o.maxMm = maxMm;
        PrintWriter err = spec.commandLine().getErr();
        CohortAnalysis.Result r = new CohortAnalysis(o).run(dirs, s -> {
            if (!quiet) { err.println("ies analyze: " + s); err.flush(); }
        }, ProgressPrinter.of(err, quiet));
        io.github.ies.pipeline.RunRecord rec = new io.github.ies.pipeline.RunRecord("analyze", new IesCli.Version().getVersion()[0]);
        com.google.gson.JsonArray in = new com.google.gson.JsonArray();
        for (Path d : dirs) in.add(d.toString());
        rec.parameters().add("explain_dirs", in);
        rec.parameters().addProperty("threshold", threshold);
        rec.parameters().addProperty("bin_mm", r.binMm);
        rec.parameters().addProperty("max_mm", maxMm);
        rec.parameters().addProperty("figures", !noFigures);
        rec.parameters().addProperty("out", out.toString());
        com.google.gson.JsonObject res = new com.google.gson.JsonObject();
        res.addProperty("instances", r.instances);
        res.addProperty("instances_with_maps", r.instancesWithMaps);
        com.google.gson.JsonArray groups = new com.google.gson.JsonArray(), channels = new com.google.gson.JsonArray();
        r.groups.forEach(groups::add);
        r.channels.forEach(channels::add);
        res.add("groups", groups);
        res.add("channels", channels);
        rec.add("result", res);
        // tables, figures and run.json staged, then moved into place (locked; nothing half-written on failure)
        io.github.ies.io.OutputFolder.write(out, io.github.ies.io.OutputKind.ANALYSIS, "analyze", records, staging -> {
            CohortAnalysis.writeTables(r, staging);
            if (!noFigures) CohortFigures.write(r, staging.resolve(ExplainLayout.FIGURES));
            String json = rec.toJson(r.warnings, (System.nanoTime() - t0) / 1e9);
            io.github.ies.io.Nifti.writeAtomically(staging.resolve(ExplainLayout.RUN), os -> os.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        });
        for (String w : r.warnings) err.println("ies analyze: warning: " + w);
        err.flush();
        PrintWriter po = spec.commandLine().getOut();
        po.printf(Locale.ROOT, "wrote %s: %d instance(s) (%d with maps), groups %s, channels %s, shell bins of %s mm%n", out, r.instances,
                r.instancesWithMaps, r.groups, r.channels, io.github.ies.instances.LesionTable.round(r.binMm, 4));
        po.flush();
        return IesCli.EXIT_OK;
    }
}
