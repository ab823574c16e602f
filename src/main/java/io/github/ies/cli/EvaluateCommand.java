package io.github.ies.cli;

import com.google.gson.GsonBuilder;
import io.github.ies.instances.Connectivity;
import io.github.ies.instances.InstanceAnalysis;
import io.github.ies.instances.InstanceParams;
import io.github.ies.instances.InstanceResult;
import io.github.ies.instances.Metrics;
import io.github.ies.io.InputVolumes;
import io.github.ies.io.Volume;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ies evaluate}: voxel-wise and lesion-wise metrics of a binary prediction against a ground truth. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Dice, nDSC, lesion-wise TP/FP/FN, precision, recall, F1 and volume difference of a predicted lesion mask "
            + "against a ground-truth mask (nonzero = lesion), with the definitions and size filter of 'ies segment'. "
            + "See docs/instances.md for definitions."})
public final class EvaluateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--pred", required = true, paramLabel = "MASK", description = "Predicted lesion mask (NIfTI).")
    Path pred;

    @Option(names = "--gt", required = true, paramLabel = "GT", description = "Ground-truth lesion mask (NIfTI).")
    Path gt;

    @Option(names = "--brain-mask", paramLabel = "B",
            description = "Evaluate only inside this mask (nDSC's N = brain voxels; default: none, the whole grid).")
    Path brainMask;

    @Option(names = "--connectivity", paramLabel = "C", defaultValue = "18",
            description = "Lesion connectivity: 6, 18 or 26 (default: ${DEFAULT-VALUE}).")
    int connectivity;

    @Option(names = "--min-voxels", paramLabel = "N", defaultValue = "" + InstanceParams.DEFAULT_MIN_LESION_VOXELS,
            description = "Drop predicted lesions with fewer voxels before counting, as 'ies segment' does (default: ${DEFAULT-VALUE}, "
                + "segment's default, so that its mask.nii.gz gives segment's metrics; 1 keeps every lesion).")
    int minVoxels;

    @Option(names = "--json", description = "Print the metrics as one JSON object (undefined values as null).")
    boolean json;

    @Option(names = "--out", paramLabel = "DIR",
            description = {"Also write labels.nii.gz, fn_labels.nii.gz, tn_spheres.nii.gz, lesions.csv and",
                "metrics.json there (TN spheres inside --brain-mask, else anywhere in the grid; default: none)."})
    Path out;

    @Option(names = "--tn-spheres", paramLabel = "N", defaultValue = "" + InstanceParams.DEFAULT_TN_SPHERES,
            description = "TN spheres to place with --out (default: ${DEFAULT-VALUE}).")
    int tnSpheres;

    @Option(names = "--non-finite", paramLabel = "P", defaultValue = "error",
            description = "NaN or infinite voxels in the masks: error (the default) or zero (set them to 0 with a warning)")
    String nonFinite;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "" + InstanceParams.DEFAULT_SEED,
            description = "Seed of the TN sphere placement (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        Connectivity conn = Requests.validated(spec.commandLine(), () -> {
            InstanceParams.check(minVoxels, tnSpheres);
            return Connectivity.of(connectivity);
        });
        long t0 = System.nanoTime();
        if (out != null) io.github.ies.io.OutputFolder.check(out, java.util.Arrays.asList(pred, gt, brainMask), io.github.ies.io.OutputKind.EVALUATION, "evaluate");
        Volume p = read(pred, "--pred");
        Volume g = read(gt, "--gt");
        Volume b = brainMask == null ? null : read(brainMask, "--brain-mask");
        Volume.requireOnGrid(g, "ground truth '" + gt + "'", p, "the prediction '" + pred + "'");
        if (b != null) Volume.requireOnGrid(b, "brain mask '" + brainMask + "'", p, "the prediction '" + pred + "'");
        InstanceParams params = InstanceParams.defaults().withConnectivity(conn).withMinLesionVoxels(minVoxels)
                .withTnSpheres(out == null ? 0 : tnSpheres).withSeed(seed);
        InstanceResult r;
        try {
            r = InstanceAnalysis.run(null, p, g, b, null, params);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(pred + " vs " + (e.getMessage().startsWith("brain") ? brainMask : gt)
                    + ": " + e.getMessage(), e);
        }
        Metrics m = r.metrics();
        if (out != null) {
            io.github.ies.pipeline.RunRecord rec = new io.github.ies.pipeline.RunRecord("evaluate", new IesCli.Version().getVersion()[0]);
            rec.parameters().addProperty("pred", pred.toString());
            rec.parameters().addProperty("gt", gt.toString());
            rec.parameters().addProperty("brain_mask", brainMask == null ? null : brainMask.toString());
            rec.parameters().addProperty("connectivity", conn.neighbours);
            rec.parameters().addProperty("min_lesion_voxels", minVoxels);
            rec.parameters().addProperty("tn_spheres", tnSpheres);
            rec.parameters().addProperty("seed", seed);
            rec.parameters().addProperty("non_finite", nonFinite);
            rec.parameters().addProperty("out", out.toString());
            rec.add("metrics", m.toJson());
            String json = rec.toJson(r.warnings(), (System.nanoTime() - t0) / 1e9);
            // label images, table, metrics and run.json staged, then moved into place (locked; nothing half-written)
            io.github.ies.io.OutputFolder.write(out, io.github.ies.io.OutputKind.EVALUATION, "evaluate", java.util.Arrays.asList(pred, gt, brainMask), staging -> {
                r.writeTo(staging);
                io.github.ies.io.Nifti.writeAtomically(staging.resolve(io.github.ies.io.ExplainLayout.RUN),
                        os -> os.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            });
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) stdout.println(new GsonBuilder().serializeNulls().create().toJson(out == null ? m.toJson() : r.metricsJson()));
        else stdout.print(m.toText());
        stdout.flush();
        PrintWriter err = spec.commandLine().getErr();
        for (String w : r.warnings()) err.println("ies evaluate: warning: " + w);
        err.flush();
        return IesCli.EXIT_OK;
    }

    private Volume read(Path path, String option) throws IOException {
        List<String> warnings = new ArrayList<>();
        Volume v = InputVolumes.read(path, option, NonFiniteOption.parse(spec.commandLine(), nonFinite), warnings);
        for (String w : warnings) spec.commandLine().getErr().println("ies evaluate: warning: " + w);
        return v;
    }
}
