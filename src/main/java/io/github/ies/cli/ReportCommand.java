package io.github.ies.cli;

import io.github.ies.analysis.CohortAnalysis;

import io.github.ies.io.Nifti;
import io.github.ies.io.ExplainLayout;
import io.github.ies.report.HtmlReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ies report}: one self-contained HTML report over explain folders (docs/analysis.md). */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Writes one self-contained HTML report over 'ies explain' folders: a summary (subject, model, metrics, instances by "
                + "category), the sortable lesion table, per lesion its maps in three orthogonal slices through their peaks (radiological, "
                + "with the lesion's outline, orientation letters, a mm scale bar and colour bars), the statistics of 'ies analyze' with "
                + "figures, and the parameters (collapsed).",
                "The anatomy comes from the input files run.json names (--input overrides them)."})
public final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--explain-dir", required = true, paramLabel = "DIR", description = "an 'ies explain' output folder (repeatable)")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE", description = "the HTML file (default: DIR/report.html of the first folder)")
    Path out;

    @Option(names = "--input", paramLabel = "NAME=FILE",
            description = "the anatomy of an input channel, e.g. FLAIR=flair.nii.gz, for every folder (default: the files run.json names)")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--threshold", paramLabel = "T", defaultValue = "" + CohortAnalysis.Options.DEFAULT_THRESHOLD,
            description = "channel contributions: discard values in (-t, t) (default: ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--bin-mm", paramLabel = "MM", description = "width of the perilesional distance bins in mm (default: the voxel size)")
    Double binMm;

    @Option(names = "--max-mm", paramLabel = "MM", defaultValue = "" + CohortAnalysis.Options.DEFAULT_MAX_MM,
            description = "outer limit of the perilesional shells in mm (default: ${DEFAULT-VALUE})")
    double maxMm;

    @Option(names = "--min-group-size", paramLabel = "N", defaultValue = "" + CohortAnalysis.Options.DEFAULT_MIN_GROUP_SIZE,
            description = "group tests only when both groups have at least N lesions (default: ${DEFAULT-VALUE})")
    int minGroupSize;

    @Option(names = "--max-lesions", paramLabel = "N", defaultValue = "" + HtmlReport.Options.DEFAULT_MAX_LESIONS, description = "most lesion figures per folder (default: ${DEFAULT-VALUE})")
    int maxLesions;

    @Option(names = "--title", paramLabel = "T", defaultValue = HtmlReport.Options.DEFAULT_TITLE, description = "the report's title (default: ${DEFAULT-VALUE})")
    String title;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    /** The options as the report's request, checked before any work. */
    HtmlReport.Options request() {
        CommandLine cl = spec.commandLine();
        HtmlReport.Options o = new HtmlReport.Options();
        o.inputs.putAll(CliInputs.parse(cl, inputs));
        o.analysis.threshold = threshold;
        o.analysis.binMm = binMm;
        o.analysis.maxMm = maxMm;
        o.analysis.minGroupSize = minGroupSize;
        o.maxLesions = maxLesions;
        o.title = title;
        return Requests.validated(cl, o::validate);
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) throw new CommandLine.ParameterException(cl, "--explain-dir " + d + ": not a folder");
        }
        HtmlReport.Options o = request();
        PrintWriter err = cl.getErr();
        io.github.ies.model.ProgressListener progress = ProgressPrinter.of(err, quiet);
        o.progress = (done, total) -> progress.progress("report", done, total);
        String html = HtmlReport.build(dirs, o, s -> {
            if (!quiet) { err.println("ies report: " + s); err.flush(); }
        });
        Path target = out != null ? out : dirs.get(0).resolve(ExplainLayout.REPORT);
        Nifti.writeAtomically(target, os -> os.write(html.getBytes(StandardCharsets.UTF_8)));
        cl.getOut().printf("wrote %s (%d KB)%n", target, html.length() / 1024);
        cl.getOut().flush();
        return IesCli.EXIT_OK;
    }
}
