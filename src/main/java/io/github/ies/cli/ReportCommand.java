package io.github.ies.cli;

import io.github.ies.analysis.CohortAnalysis;

import io.github.ies.jobs.ReportJob;
import io.github.ies.report.HtmlReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ies report}: one self-contained HTML report over explain folders (docs/analysis.md). */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Writes one self-contained HTML report over 'ies explain' folders: a summary (subject, model, metrics, instances by "
                + "category), the sortable lesion table, per lesion its maps in three orthogonal slices through the lesion's centroid "
                + "(every row the same cut, world mm; radiological, with the lesion's outline, orientation letters, a mm scale bar and colour "
                + "bars with units) and a whole-brain view, the statistics of 'ies analyze' with "
                + "figures, and the parameters (collapsed).",
                "The anatomy comes from the input files run.json names (--input overrides them)."})
public final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--explain-dir", required = true, paramLabel = "DIR", description = "an 'ies explain' output folder (repeatable)")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE|DIR/",
            description = "the HTML file; a folder (an existing one, or ending in '/') means FOLDER/report.html (default: report.html in the first"
                    + " folder); an existing file is replaced only when it is a report IES wrote")
    String out;

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

    @Option(names = "--per-channel-ranges",
            description = "SmoothGrad colour ranges per input channel (default: one range for all channels of a method, so FLAIR and "
                    + "MPRAGE can be compared by colour)")
    boolean perChannelRanges;

    @Option(names = "--title", paramLabel = "T", defaultValue = HtmlReport.Options.DEFAULT_TITLE, description = "the report's title (default: ${DEFAULT-VALUE})")
    String title;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    /** The options as the report's request, checked before any work. */
    ReportJob.Request request() {
        CommandLine cl = spec.commandLine();
        ReportJob.Request q = new ReportJob.Request();
        q.explainDirs.addAll(dirs);
        if (out != null) {
            q.out = Path.of(out);
            q.outIsFolder = out.endsWith("/") || out.endsWith(java.io.File.separator);
        }
        HtmlReport.Options o = q.report;
        o.inputs.putAll(CliInputs.parse(cl, inputs));
        o.analysis.threshold = threshold;
        o.analysis.binMm = binMm;
        o.analysis.maxMm = maxMm;
        o.analysis.minGroupSize = minGroupSize;
        o.maxLesions = maxLesions;
        o.perChannelRanges = perChannelRanges;
        o.title = title;
        return Requests.validated(cl, q::validate);
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        ReportJob.Request q = request();
        ReportJob.target(q);                 // a file it must not replace: refused before any work
        PrintWriter err = cl.getErr();
        io.github.ies.model.ProgressListener progress = ProgressPrinter.of(err, quiet);
        q.report.progress = (done, total) -> progress.progress("report", done, total);
        ReportJob.Written w = ReportJob.run(q, s -> {
            if (!quiet) { err.println("ies report: " + s); err.flush(); }
        });
        cl.getOut().printf("wrote %s (%d KB)%n", w.file(), w.chars() / 1024);
        cl.getOut().flush();
        return IesCli.EXIT_OK;
    }
}
