package io.github.ies.cli;

import com.google.gson.GsonBuilder;
import io.github.ies.io.ExplainLayout;
import com.google.gson.JsonObject;
import io.github.ies.analysis.RelocateExperiment;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.report.RelocateFigure;
import io.github.ies.saliency.SaliencyContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ies experiment relocate}: the paper's relocated-lesion sanity checks (docs/analysis.md). */
@Command(name = "relocate", mixinStandardHelpOptions = true,
        description = {"Relocated lesions (paper 3.4): a lesion pasted (a) into lesion-free white matter, (b) into the background outside the head, "
                + "(c) into the background with its perilesional shell; each modified volume segmented and the pasted lesion explained.",
                "Writes OUT/relocate.csv, relocate.png, run.json and OUT/<case>/ (modified inputs, pasted.nii.gz, probability.nii.gz, explain/)."})
public final class RelocateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ExperimentSubject subject = new ExperimentSubject();
    @Option(names = "--lesion", paramLabel = "ID", description = "lesion id, as ies explain numbers it (default: the most conspicuous: highest mean score in place)") Integer lesion;
    @Option(names = "--min-voxels", defaultValue = "20", description = "smallest lesion for the automatic choice (default ${DEFAULT-VALUE})")
    int minVoxels;
    @Option(names = "--tissues", paramLabel = "FILE", description = "tissue label image (white matter = --wm-label; background = 0; default: none, the white-matter case is skipped)") Path tissues;
    @Option(names = "--wm-label", defaultValue = "7", description = "white-matter label in --tissues (default ${DEFAULT-VALUE})") int wmLabel;
    @Option(names = "--wm-mask", paramLabel = "FILE", description = "white-matter mask (instead of --tissues; default: none)") Path wmMask;
    @Option(names = "--wm-target", paramLabel = "I,J,K", split = ",", description = "centroid target in white matter (default: random, seeded)")
    int[] wmTarget;
    @Option(names = "--background-target", paramLabel = "I,J,K", split = ",", description = "centroid target outside the head (default: random)")
    int[] bgTarget;
    @Option(names = "--shell-mm", defaultValue = "3", description = "perilesional shell of case (c) in mm (default ${DEFAULT-VALUE})") double shellMm;
    @Option(names = "--clearance", defaultValue = "1", description = "voxels kept free around the pasted region (default ${DEFAULT-VALUE})") int clearance;
    @Option(names = "--out", required = true, paramLabel = "OUT", description = "output folder") Path out;

    @CommandLine.Mixin
    SaliencyOptions saliency = new SaliencyOptions();

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        subject.check(cl);
        if (tissues != null && wmMask != null) throw new CommandLine.ParameterException(cl, "give at most one of --tissues and --wm-mask");
        if ((wmTarget != null && wmTarget.length != 3) || (bgTarget != null && bgTarget.length != 3)) {
            throw new CommandLine.ParameterException(cl, "targets are I,J,K (three voxel indices)");
        }
        if (!(shellMm >= 0) || clearance < 0) throw new CommandLine.ParameterException(cl, "--shell-mm and --clearance must be >= 0");
        long t0 = System.nanoTime();
        io.github.ies.io.OutputFolder.check(out, subject.files(), "experiment relocate");
        RelocateExperiment.checkOutput(out);         // like the output folder checks: exit status 1, nothing changed
        subject.load(cl, saliency.nonFinite, saliency.device, saliency.threads, saliency.progress(cl.getErr()));
        ModelBundle bundle = subject.bundle;
        Volume[] ch = subject.channels;
        Volume lab = subject.lesions;
        int n = ch[0].size();
        boolean[] wm = null, bg = new boolean[n];
        if (tissues != null) {
            Volume t = ExperimentCommand.sameGrid(ExperimentCommand.read(tissues, "tissue labels"), ch[0], tissues);
            wm = new boolean[n];
            for (int v = 0; v < n; v++) { wm[v] = t.data()[v] == wmLabel; bg[v] = t.data()[v] == 0; }
        } else {
            if (wmMask != null) {
                Volume w = ExperimentCommand.sameGrid(ExperimentCommand.read(wmMask, "white-matter mask"), ch[0], wmMask);
                wm = new boolean[n];
                for (int v = 0; v < n; v++) wm[v] = w.data()[v] != 0;
            }
            for (int v = 0; v < n; v++) {
                boolean zero = true;
                for (Volume c : ch) zero &= c.data()[v] == 0;
                bg[v] = zero; // background = every input channel exactly 0
            }
        }
        RelocateExperiment.Options o = new RelocateExperiment.Options();
        o.lesionId = lesion;
        o.minVoxelsAuto = minVoxels;
        o.wmTarget = wmTarget;
        o.backgroundTarget = bgTarget;
        o.shellMm = shellMm;
        o.clearance = clearance;
        o.seed = saliency.seed;
        o.saliency = saliency.toOptions(cl);
        o.device = saliency.device;
        o.threads = saliency.threads;
        PrintWriter err = cl.getErr();
        // the output folder as segment and explain hold theirs: locked, leftovers of killed runs removed, everything
        // written into a staging folder inside it and moved into place at the end; folders it created removed on failure
        try (io.github.ies.io.OutputFolder folder = io.github.ies.io.OutputFolder.open(out, "ies experiment relocate", subject.files())) {
            Path tmp = folder.newStaging();
            RelocateExperiment.Result r = RelocateExperiment.run(bundle, subject.model, ch, lab, wm, bg, o, tmp, s -> {
                if (!saliency.quiet) { err.println("ies experiment relocate: " + s); err.flush(); }
            });
            ExperimentCommand.writeText(tmp.resolve(ExplainLayout.RELOCATE_CSV), r.csv());
            io.github.ies.report.Figures.writePng(RelocateFigure.render(r, tmp, bundle.inputs().get(0)), tmp.resolve(ExplainLayout.RELOCATE_FIGURE));
            io.github.ies.pipeline.RunRecord rec = new io.github.ies.pipeline.RunRecord("experiment relocate", new IesCli.Version().getVersion()[0]);
            JsonObject par = rec.parameters();
            subject.parameters(par);
            par.addProperty("lesion", lesion);
            par.addProperty("min_voxels", minVoxels);
            par.addProperty("tissues", tissues == null ? null : tissues.toString());
            par.addProperty("wm_mask", wmMask == null ? null : wmMask.toString());
            par.addProperty("shell_mm", shellMm);
            par.addProperty("clearance_voxels", clearance);
            par.addProperty("seed", saliency.seed);
            par.addProperty("wm_label", wmLabel);
            par.add("wm_target", wmTarget == null ? null : io.github.ies.pipeline.RunRecord.ints(wmTarget));
            par.add("background_target", bgTarget == null ? null : io.github.ies.pipeline.RunRecord.ints(bgTarget));
            com.google.gson.JsonArray ms = new com.google.gson.JsonArray();
            o.saliency.methods.forEach(m -> ms.add(m.key));
            par.add("methods", ms);
            par.addProperty("noise_level", o.saliency.noiseLevel);
            par.addProperty("saliency_settings", "every setting in each case's explain/run.json");
            par.addProperty("samples", o.saliency.samples);
            par.addProperty("context", o.saliency.context.toString());
            par.addProperty("device_requested", saliency.device);
            par.addProperty("out", out.toString());
            rec.model(bundle).environment(saliency.device + " requested (each case's explain/run.json names the device used)");
            JsonObject res = new JsonObject();
            res.addProperty("lesion_id", r.lesionId);
            res.addProperty("threshold", r.threshold);
            res.addProperty("background", tissues != null ? "tissue label 0" : "all input channels 0");
            com.google.gson.JsonArray cases = new com.google.gson.JsonArray();
            for (RelocateExperiment.Case c : r.cases) cases.add(c.name);
            res.add("cases", cases);
            rec.add("result", res);
            java.util.List<String> warnings = new java.util.ArrayList<>(subject.warnings);
            warnings.addAll(r.warnings);
            ExperimentCommand.writeText(tmp.resolve(ExplainLayout.RUN), rec.toJson(warnings, (System.nanoTime() - t0) / 1e9));
            RelocateExperiment.publish(folder, tmp, out);
            folder.keep();
            for (String s : r.warnings) err.println("ies experiment relocate: warning: " + s);
            err.flush();
            PrintWriter po = cl.getOut();
            for (RelocateExperiment.Case c : r.cases) {
                po.printf(Locale.ROOT, "%-17s mean %.3f  max %.3f  %s%n", c.name, c.meanScore, c.maxScore, c.detected ? "detected" : "not detected");
            }
            po.printf(Locale.ROOT, "wrote %s (lesion %d)%n", out, r.lesionId);
            po.flush();
        }
        return IesCli.EXIT_OK;
    }

}
