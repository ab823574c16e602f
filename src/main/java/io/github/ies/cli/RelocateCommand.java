package io.github.ies.cli;

import io.github.ies.jobs.RelocateJob;

import com.google.gson.JsonObject;
import io.github.ies.analysis.RelocateExperiment;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
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
    @Option(names = "--min-voxels", defaultValue = "" + RelocateJob.DEFAULT_MIN_VOXELS, description = "smallest lesion for the automatic choice (default ${DEFAULT-VALUE})")
    int minVoxels;
    @Option(names = "--tissues", paramLabel = "FILE", description = "tissue label image (white matter = --wm-label; background = 0; default: none, the white-matter case is skipped)") Path tissues;
    @Option(names = "--wm-label", defaultValue = "" + RelocateJob.DEFAULT_WM_LABEL, description = "white-matter label in --tissues (default ${DEFAULT-VALUE})") int wmLabel;
    @Option(names = "--wm-mask", paramLabel = "FILE", description = "white-matter mask (instead of --tissues; default: none)") Path wmMask;
    @Option(names = "--wm-target", paramLabel = "I,J,K", split = ",", description = "centroid target in white matter (default: random, seeded)")
    int[] wmTarget;
    @Option(names = "--background-target", paramLabel = "I,J,K", split = ",", description = "centroid target outside the head (default: random)")
    int[] bgTarget;
    @Option(names = "--shell-mm", defaultValue = "" + RelocateJob.DEFAULT_SHELL_MM, description = "perilesional shell of case (c) in mm (default ${DEFAULT-VALUE})") double shellMm;
    @Option(names = "--clearance", defaultValue = "" + RelocateJob.DEFAULT_CLEARANCE, description = "voxels kept free around the pasted region (default ${DEFAULT-VALUE})") int clearance;
    @Option(names = "--out", required = true, paramLabel = "OUT", description = "output folder") Path out;

    @CommandLine.Mixin
    SaliencyOptions saliency = new SaliencyOptions();

    /** The options as the job's request, checked before any work. */
    RelocateJob.Request request(CommandLine cl) {
        RelocateJob.Request q = new RelocateJob.Request();
        q.lesion = lesion;
        q.minVoxels = minVoxels;
        q.wmLabel = wmLabel;
        q.shellMm = shellMm;
        q.clearance = clearance;
        q.wmTarget = wmTarget;
        q.backgroundTarget = bgTarget;
        q.saliency = saliency.toOptions(cl);
        q.device = saliency.device;
        q.threads = saliency.threads;
        return Requests.validated(cl, q::validate);
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        subject.check(cl);
        if (tissues != null && wmMask != null) throw new CommandLine.ParameterException(cl, "give at most one of --tissues and --wm-mask");
        RelocateJob.Request q = request(cl);
        long t0 = System.nanoTime();
        PrintWriter err = cl.getErr();
        RelocateJob.checkFolder(out, "experiment relocate", subject.files());      // like the output folder checks: exit 1, nothing changed
        subject.load(cl, saliency.nonFinite, saliency.device, saliency.threads, saliency.progress(cl.getErr()));
        ModelBundle bundle = subject.bundle;
        Volume[] ch = subject.channels;
        Volume t = tissues == null ? null : ExperimentCommand.sameGrid(ExperimentCommand.read(tissues, "tissue labels"), ch[0], tissues);
        Volume w = wmMask == null ? null : ExperimentCommand.sameGrid(ExperimentCommand.read(wmMask, "white-matter mask"), ch[0], wmMask);
        RelocateJob.Masks masks = RelocateJob.masks(ch, t, wmLabel, w);
        // the output folder as segment and explain hold theirs: locked, leftovers of killed runs removed, everything
        // written into a staging folder inside it and moved into place at the end; folders it created removed on failure
        RelocateJob.Outcome o = RelocateJob.intoFolder(out, "ies experiment relocate", subject.files(), tmp -> {
            RelocateJob.Outcome oc = RelocateJob.run(bundle, subject.model, ch, subject.lesions, masks, q, tmp, s -> {
                if (!saliency.quiet) { err.println("ies experiment relocate: " + s); err.flush(); }
            });
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
            q.saliency.methods.forEach(m -> ms.add(m.key));
            par.add("methods", ms);
            par.addProperty("noise_level", q.saliency.noiseLevel);
            par.addProperty("saliency_settings", "every setting in each case's explain/run.json");
            par.addProperty("samples", q.saliency.samples);
            par.addProperty("context", q.saliency.context.toString());
            par.addProperty("device_requested", saliency.device);
            par.addProperty("out", out.toString());
            RelocateJob.record(tmp, bundle, q, oc, rec, subject.warnings, (System.nanoTime() - t0) / 1e9);
            return oc;
        });
        for (String s : o.result.warnings) err.println("ies experiment relocate: warning: " + s);
        err.flush();
        PrintWriter po = cl.getOut();
        for (RelocateExperiment.Case c : o.result.cases) {
            po.printf(Locale.ROOT, "%-17s mean %.3f  max %.3f  %s%n", c.name, c.meanScore, c.maxScore, c.detected ? "detected" : "not detected");
        }
        po.printf(Locale.ROOT, "wrote %s (lesion %d)%n", out, o.result.lesionId);
        po.flush();
        return IesCli.EXIT_OK;
    }

}
