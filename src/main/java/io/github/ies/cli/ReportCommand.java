package io.github.ies.cli;

import io.github.ies.io.Nifti;
import io.github.ies.report.HtmlReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ies report}: one self-contained HTML report over ies explain folders (docs/analysis.md). */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Writes one self-contained HTML report (parameters, metrics, lesion table, thumbnails, statistics, figures as inline PNG).")
public final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--explain-dir", required = true, paramLabel = "DIR", description = "an 'ies explain' output folder (repeatable)")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE", description = "the HTML file (default: DIR/report.html of the first folder)")
    Path out;

    @Option(names = "--thumbnail-input", paramLabel = "FILE", description = "background image of the thumbnails (default: run.json's first input)")
    Path thumbnailInput;

    @Option(names = "--threshold", defaultValue = "0.1", description = "channel contributions: discard values in (-t, t) (default ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--title", paramLabel = "T", defaultValue = "IES report", description = "the report's title (default: ${DEFAULT-VALUE})") String title;

    @Override
    public Integer call() throws Exception {
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) throw new CommandLine.ParameterException(spec.commandLine(), "--explain-dir " + d + ": not a folder");
        }
        if (!(threshold >= 0)) throw new CommandLine.ParameterException(spec.commandLine(), "--threshold must be >= 0");
        HtmlReport.Options o = new HtmlReport.Options();
        o.thumbnailInput = thumbnailInput;
        o.analysis.threshold = threshold;
        o.title = title;
        String html = HtmlReport.build(dirs, o, null);
        Path target = out != null ? out : dirs.get(0).resolve("report.html");
        Nifti.writeAtomically(target, os -> os.write(html.getBytes(StandardCharsets.UTF_8)));
        spec.commandLine().getOut().printf("wrote %s (%d KB)%n", target, html.length() / 1024);
        spec.commandLine().getOut().flush();
        return IesCli.EXIT_OK;
    }
}
