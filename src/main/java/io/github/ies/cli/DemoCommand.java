package io.github.ies.cli;

import io.github.ies.jobs.ReportJob;

import io.github.ies.saliency.SaliencyContext;
import io.github.ies.pipeline.ExplainJob;
import io.github.ies.pipeline.ExplainPipeline;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ies demo}: segments and explains the shipped demo subject with the shipped model. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Segments and explains the shipped synthetic demo subject (test-images/demo) with the shipped demo model "
                + "(test-images/models/demo-unet): all methods, ground-truth categories (TP/FP/FN/TN), a per-lesion summary. "
                + "--style realistic: the realistic subject (test-images/demo-realistic: MS-like contrasts, normal FLAIR "
                + "hyperintensities, bias field, Rician noise) with the model trained on such phantoms (test-images/models/demo-unet-realistic).",
                "Same outputs as 'ies explain'. Defaults are chosen to finish in a few minutes on 2 CPU cores."})
public final class DemoCommand implements Callable<Integer> {

    static final String DEMO = "test-images/demo", MODEL = "test-images/models/demo-unet";
    static final String DEMO_REALISTIC = "test-images/demo-realistic", MODEL_REALISTIC = "test-images/models/demo-unet-realistic";

    /** The two shipped demo subjects, each with the model trained on its style of phantom. */
    enum Style { classic, realistic }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "output folder (default: ies-demo; ies-demo-realistic with --style realistic)")
    Path out;

    @Option(names = "--home", paramLabel = "DIR", description = "the IES folder holding test-images/ (default: found from the program's location or the current folder)")
    Path home;

    @Option(names = "--style", paramLabel = "STYLE", defaultValue = "classic",
            description = "classic (the demo subject and model) or realistic (the realistic subject and model; docs/phantom.md, docs/model.md) (default: ${DEFAULT-VALUE})")
    Style style;

    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "3",
            description = "TN spheres placed when a ground truth is given (default: ${DEFAULT-VALUE})")
    int tnSpheres;

    @CommandLine.Mixin
    SaliencyOptions saliency = new SaliencyOptions(2, SaliencyContext.PATCH);

    /** The folder holding test-images/: --home, $IES_HOME, the folders above the program's classes, or the current folder. */
    static Path findHome(Path given) {
        if (given != null) return given;
        String env = System.getenv("IES_HOME");
        if (env != null && !env.isBlank()) return Path.of(env);
        try {
            Path p = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            for (; p != null; p = p.getParent()) if (Files.isDirectory(p.resolve(DEMO))) return p;
        } catch (URISyntaxException | SecurityException | NullPointerException ignored) {
            // fall through to the current folder
        }
        return Path.of("").toAbsolutePath();
    }

    @Override
    public Integer call() throws Exception {
        Path h = findHome(home);
        boolean realistic = style == Style.realistic;
        if (out == null) out = Path.of(realistic ? "ies-demo-realistic" : "ies-demo");
        Path demo = h.resolve(realistic ? DEMO_REALISTIC : DEMO), model = h.resolve(realistic ? MODEL_REALISTIC : MODEL);
        for (Path p : new Path[] {demo.resolve("flair.nii.gz"), demo.resolve("mprage.nii.gz"), model.resolve("ies-model.json")}) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("demo file not found: " + p + " (run from the IES folder or give --home)");
            }
        }
        ExplainJob.Request q = new ExplainJob.Request();
        q.command = "demo";
        q.model = model;
        q.inputs.put("FLAIR", demo.resolve("flair.nii.gz"));
        q.inputs.put("MPRAGE", demo.resolve("mprage.nii.gz"));
        if (Files.isRegularFile(demo.resolve("lesions.nii.gz"))) q.groundTruth = demo.resolve("lesions.nii.gz");
        if (Files.isRegularFile(demo.resolve("brainmask.nii.gz"))) q.brainMask = demo.resolve("brainmask.nii.gz");
        q.out = out;
        ExplainPipeline.Result r = saliency.run(saliency.fill(q, spec.commandLine(), tnSpheres), spec.commandLine());
        PrintWriter o = spec.commandLine().getOut();
        o.print(summary(r));
        o.printf(Locale.ROOT, "wrote %s (lesions.csv, saliency/, run.json) in %.1f s%n", out, r.seconds);
        o.flush();
        Path report = report(spec.commandLine(), saliency.quiet);
        o.printf(Locale.ROOT, "wrote %s (open it in a browser)%n", report);
        o.println("next: the statistics over this folder (or several): ies analyze --explain-dir " + out + " --out " + sibling("analysis"));
        o.println("      your own subject: ies segment ... then ies explain --segmentation ... (README, \"Workflow\"); "
                + "the report again, e.g. with other options: ies report --explain-dir " + out);
        o.flush();
        return IesCli.EXIT_OK;
    }

    /** A folder next to the output folder, for the printed next commands. */
    private String sibling(String name) {
        Path parent = out.toAbsolutePath().normalize().getParent();
        Path p = parent == null ? Path.of(name) : out.resolveSibling(name);
        return p.toString();
    }

    /** The HTML report of the demo folder: {@code ies report --explain-dir OUT}'s job ({@link ReportJob}), into {@code OUT/report.html}. */
    private Path report(CommandLine cl, boolean quiet) throws Exception {
        ReportJob.Request q = new ReportJob.Request();
        q.explainDirs.add(out);
        q.validate();
        PrintWriter err = cl.getErr();
        io.github.ies.model.ProgressListener progress = ProgressPrinter.of(err, quiet);
        q.report.progress = (done, total) -> progress.progress("report", done, total);
        return ReportJob.run(q, s -> {
            if (!quiet) { err.println("ies demo: report: " + s); err.flush(); }
        }).file();
    }

    /** The per-lesion table: id, category, voxels, seconds, then the peak columns (FLAIR/MPRAGE/layer). */
    static String summary(ExplainPipeline.Result r) {
        StringBuilder sb = new StringBuilder();
        java.util.List<String> cols = new java.util.ArrayList<>();
        for (String c : r.columns) if (!c.endsWith("_se")) cols.add(c);
        sb.append(String.format(Locale.ROOT, "%5s %-4s %6s %7s", "id", "cat", "voxels", "seconds"));
        for (String c : cols) sb.append(String.format(Locale.ROOT, " %10s", shortName(c)));
        sb.append('\n');
        for (ExplainPipeline.Row row : r.rows) {
            sb.append(String.format(Locale.ROOT, "%5d %-4s %6d %7.2f", row.id, row.category == null ? "" : row.category, row.voxels, row.seconds));
            for (String c : cols) {
                Double v = row.values.get(c);
                sb.append(String.format(Locale.ROOT, " %10s", v == null ? "-" : String.format(Locale.ROOT, "%.4g", v)));
            }
            sb.append('\n');
        }
        if (!cols.isEmpty()) {
            sb.append("columns: ");
            for (int i = 0; i < cols.size(); i++) sb.append(i > 0 ? ", " : "").append(shortName(cols.get(i))).append(" = ").append(cols.get(i));
            sb.append('\n');
        }
        String zero = zeroGradCam(r, cols);
        if (zero != null) sb.append(zero).append('\n');
        return sb.toString();
    }

    /**
     * The footer line for Grad-CAM++ peaks of 0 (a map zero everywhere), or null when there is none: what it means
     * and where it is explained.
     */
    static String zeroGradCam(ExplainPipeline.Result r, java.util.List<String> cols) {
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (ExplainPipeline.Row row : r.rows) {
            for (String c : cols) {
                Double v = row.values.get(c);
                if (c.startsWith("gradcampp") && v != null && v == 0) { ids.add(Integer.toString(row.id)); break; }
            }
        }
        if (ids.isEmpty()) return null;
        return "gcam = 0.000 (lesions " + String.join(", ", ids) + "): that lesion's Grad-CAM++ map is zero everywhere. Its weights keep "
                + "only positive gradients, and nearly all of this network's layer gradients are negative (the layer ends in a PReLU): "
                + "the method on this network, not a failure (docs/saliency.md, \"Where the Grad-CAM++ map sits, and why\").";
    }

    /** sg_max_flair+ for smoothgrad_max_flair_peak_pos, etc. */
    static String shortName(String c) {
        return c.replace("smoothgrad_", "sg_").replace("gradcampp", "gcam").replace("_peak_pos", "+").replace("_peak_neg", "-");
    }
}
