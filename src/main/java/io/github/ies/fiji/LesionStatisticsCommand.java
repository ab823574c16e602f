package io.github.ies.fiji;

import ij.ImagePlus;
import io.github.ies.io.ExplainLayout;
import ij.measure.ResultsTable;
import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.jobs.AnalyzeJob;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's channel-contribution and peak statistics (the engine of {@code ies analyze}) over one or several
 * Explain Lesions / {@code ies explain} output folders: results tables "Group Tests", "Group Summary" and
 * "Channel Contributions" (the CSV files' columns) and the figures as an image stack.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Lesion Statistics", label = "Lesion Statistics", headless = true)
public class LesionStatisticsCommand extends ContextCommand implements TableResults {

    static final String TITLE = "Lesion Statistics";
    public static final String TESTS_TITLE = "Group Tests", SUMMARY_TITLE = "Group Summary", CONTRIBUTIONS_TITLE = "Channel Contributions";

    @Parameter(label = "Explain output folder(s) (comma-separated)", persist = false)
    private String explain_folders;

    @Parameter(label = "Discard map values in (-t, t)", persist = false)
    private double threshold = CohortAnalysis.Options.DEFAULT_THRESHOLD;

    @Parameter(label = "Perilesional bin width (mm; 0: the voxel size)", min = "0", persist = false)
    private double bin_mm = 0;

    @Parameter(label = "Perilesional shells up to (mm)", persist = false)
    private double max_mm = CohortAnalysis.Options.DEFAULT_MAX_MM;

    @Parameter(label = "Test groups of at least (lesions)", persist = false)
    private int min_group_size = CohortAnalysis.Options.DEFAULT_MIN_GROUP_SIZE;

    @Parameter(label = "Output folder (none, or a folder for the tables and figures as files)", style = "directory", required = false, persist = false)
    private File output_folder = new File(OptionalImages.NONE);

    /** A table, not a SciJava output ({@link TableResults}). */
    private ResultsTable group_tests;

    /** A table, not a SciJava output ({@link TableResults}). */
    private ResultsTable group_summary;

    /** A table, not a SciJava output ({@link TableResults}). */
    private ResultsTable channel_contributions;

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus plots;

    @Parameter(required = false)
    private StatusService status;

    @Parameter(required = false)
    private LogService log;

    /** The parameters as the job's request, checked before any work. */
    AnalyzeJob.Request request() {
        AnalyzeJob.Request q = new AnalyzeJob.Request();
        q.explainDirs = folders(explain_folders);
        q.analysis.threshold = threshold;
        q.analysis.binMm = bin_mm == 0 ? null : bin_mm;       // 0: the voxel size
        q.analysis.maxMm = max_mm;
        q.analysis.minGroupSize = min_group_size;
        return q.validate();
    }

    @Override
    public void run() {
        Path tmp = null;
        try {
            AnalyzeJob.Request q = request();
            long t0 = System.nanoTime();
            Path keep = OptionalImages.folder(output_folder);
            if (keep != null) AnalyzeJob.checkFolder(keep, TITLE, q);   // before any work
            CohortAnalysis.Result r = AnalyzeJob.run(q, s -> {
                if (status != null) status.showStatus(TITLE + ": " + s);
            }, null);
            if (isCanceled()) return;
            // as ies analyze: the same files, staged in the output folder with its run.json, then moved into place
            if (keep != null) AnalyzeJob.write(keep, TITLE, q, r, CommandSupport.runRecord(TITLE, this), (System.nanoTime() - t0) / 1e9);
            Path out = tmp = Files.createTempDirectory("ies-statistics-");
            List<Path> figs = AnalyzeJob.writeFiles(q, r, out);
            group_tests = AnalysisSupport.table(out.resolve(ExplainLayout.GROUP_TESTS));
            group_summary = AnalysisSupport.table(out.resolve(ExplainLayout.GROUP_SUMMARY));
            channel_contributions = AnalysisSupport.table(out.resolve(ExplainLayout.CHANNEL_CONTRIBUTIONS));
            List<String> names = new ArrayList<>();
            List<BufferedImage> imgs = new ArrayList<>();
            for (Path p : figs) {
                names.add(p.getFileName().toString().replaceAll("\\.png$", ""));
                imgs.add(ImageIO.read(p.toFile()));
            }
            plots = AnalysisSupport.stack(TITLE + " plots", names, imgs);
            for (String w : r.warnings) if (log != null) log.warn("Lesion Statistics: " + w);
            if (log != null) {
                log.info(CommandSupport.fmt("Lesion Statistics: %d instance(s) (%d with maps), groups %s, channels %s", r.instances,
                        r.instancesWithMaps, r.groups, r.channels));
            }
            AnalysisSupport.show(group_tests, TESTS_TITLE);
            AnalysisSupport.show(group_summary, SUMMARY_TITLE);
            AnalysisSupport.show(channel_contributions, CONTRIBUTIONS_TITLE);
        } catch (Exception e) {
            String msg = CommandSupport.message(e);
            Failures.log(log, TITLE + ": " + msg);
            cancel(TITLE + ": " + msg);
        } finally {
            try {
                io.github.ies.io.OutputFolder.deleteTree(tmp);
            } catch (Exception ignored) {
                // a temporary folder left behind is harmless
            }
            if (status != null) status.clearStatus();
        }
    }

    /** The folders of explain_folders (comma- or semicolon-separated; checked by the request). */
    static List<Path> folders(String s) {
        if (s == null || s.isBlank()) throw new IllegalArgumentException("no explain folder given (explain_folders=...)");
        List<Path> out = new ArrayList<>();
        for (String p : s.split("[,;]")) {
            String t = p.trim();
            if (t.isEmpty()) continue;
            out.add(Paths.get(t));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no explain folder in '" + s + "'");
        return out;
    }

    public ResultsTable getGroupTests() { return group_tests; }
    public ResultsTable getGroupSummary() { return group_summary; }
    public ResultsTable getChannelContributions() { return channel_contributions; }
    public ImagePlus getPlots() { return plots; }

    @Override
    public java.util.Map<String, ResultsTable> tables() {
        java.util.Map<String, ResultsTable> m = new java.util.LinkedHashMap<>();
        if (group_tests != null) m.put("group_tests", group_tests);
        if (group_summary != null) m.put("group_summary", group_summary);
        if (channel_contributions != null) m.put("channel_contributions", channel_contributions);
        return m;
    }
}
