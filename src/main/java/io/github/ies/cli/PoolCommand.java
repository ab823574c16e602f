package io.github.ies.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.analysis.ExperimentPool;
import io.github.ies.io.OutputFolder;
import io.github.ies.io.OutputKind;
import io.github.ies.pipeline.RunRecord;
import io.github.ies.report.Figures;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ies experiment pool}: the context and relocation experiments of several subjects as one cohort result
 * (docs/analysis.md). Reads the experiments' folders, writes the pooled tables and the cohort's context figure.
 */
@Command(name = "pool", mixinStandardHelpOptions = true,
        description = {"Pools 'ies experiment context' and 'ies experiment relocate' folders of several subjects: one context curve "
                + "over all their lesions, one relocation table with a per-case summary. A folder's name is its source (subject).",
                "Writes OUT/context.csv (step,distance_mm,mean_score,std_score,n_detected,n_lesions,n_sources), context_lesions.csv, "
                        + "context.png, relocate.csv, relocate_summary.csv and run.json."})
public final class PoolCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--context", paramLabel = "DIR", description = "an 'ies experiment context' folder (repeatable; default: none)")
    List<Path> context = new ArrayList<>();

    @Option(names = "--relocate", paramLabel = "DIR", description = "an 'ies experiment relocate' folder (repeatable; default: none)")
    List<Path> relocate = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "output folder")
    Path out;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (context.isEmpty() && relocate.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "give at least one --context or --relocate folder");
        }
        for (List<Path> l : List.of(context, relocate)) {
            if (new LinkedHashSet<>(l).size() != l.size()) throw new CommandLine.ParameterException(cl, "a folder is given twice: each subject counts once");
            for (Path p : l) if (!Files.isDirectory(p)) throw new CommandLine.ParameterException(cl, p + " is not a folder");
        }
        List<Path> inputs = new ArrayList<>(context);
        inputs.addAll(relocate);
        Path o = real(out);
        for (Path p : inputs) {
            if (o.startsWith(real(p))) {
                throw new CommandLine.ParameterException(cl, "--out " + out + " is " + (o.equals(real(p)) ? "one of" : "inside one of")
                        + " the pooled folders: write the pool to a folder of its own");
            }
        }
        kind(cl, context, OutputKind.CONTEXT, "--context", "ies experiment context");
        kind(cl, relocate, OutputKind.RELOCATE, "--relocate", "ies experiment relocate");
        OutputFolder.check(out, inputs, OutputKind.POOL, "experiment pool");
        long t0 = System.nanoTime();
        ExperimentPool.Context ctx = null;
        BufferedImage fig = null;
        if (!context.isEmpty()) {
            double[] thr = new double[context.size()];
            for (int i = 0; i < thr.length; i++) thr[i] = threshold(context.get(i));
            ctx = ExperimentPool.context(context, names(context), thr);
            fig = Figures.contextFigure(ctx);
        }
        ExperimentPool.Relocate rel = relocate.isEmpty() ? null : ExperimentPool.relocate(relocate, names(relocate));
        RunRecord rec = new RunRecord("experiment pool", new IesCli.Version().getVersion()[0]);
        JsonArray cj = new JsonArray(), rj = new JsonArray();
        context.forEach(p -> cj.add(p.toString()));
        relocate.forEach(p -> rj.add(p.toString()));
        rec.parameters().add("context", cj);
        rec.parameters().add("relocate", rj);
        rec.parameters().addProperty("out", out.toString());
        JsonObject res = new JsonObject();
        if (ctx != null) {
            res.addProperty("context_lesions", ctx.lesions.size());
            if (Double.isFinite(ctx.threshold)) res.addProperty("context_threshold", ctx.threshold);
            int all = ctx.allDetectedStep();
            res.addProperty("all_detected_step", all);
            if (all >= 0) res.addProperty("all_detected_distance_mm", ctx.distanceMm[all]);
        }
        if (rel != null) res.addProperty("relocate_rows", rel.rows.size());
        rec.add("result", res);
        String json = rec.toJson(new ArrayList<>(), (System.nanoTime() - t0) / 1e9);
        final ExperimentPool.Context c = ctx;
        final BufferedImage f = fig;
        OutputFolder.write(out, OutputKind.POOL, "experiment pool", inputs, staging -> {
            if (c != null) {
                ExperimentCommand.writeText(staging.resolve("context.csv"), c.csv());
                ExperimentCommand.writeText(staging.resolve("context_lesions.csv"), c.detailCsv());
                Figures.writePng(f, staging.resolve("context.png"));
            }
            if (rel != null) {
                ExperimentCommand.writeText(staging.resolve("relocate.csv"), rel.csv());
                ExperimentCommand.writeText(staging.resolve("relocate_summary.csv"), rel.summaryCsv());
            }
            ExperimentCommand.writeText(staging.resolve("run.json"), json);
        });
        java.io.PrintWriter po = cl.getOut();
        if (ctx != null) {
            int all = ctx.allDetectedStep();
            po.printf(Locale.ROOT, "context: %d lesion(s) from %d folder(s), %d step(s); all detected from step %s%n", ctx.lesions.size(), context.size(),
                    ctx.steps(), all < 0 ? "(never)" : all + String.format(Locale.ROOT, " (%.1f mm)", ctx.distanceMm[all]));
        }
        if (rel != null) po.printf(Locale.ROOT, "relocate: %d case row(s) from %d folder(s)%n", rel.rows.size(), relocate.size());
        po.printf(Locale.ROOT, "wrote %s%n", out);
        po.flush();
        return IesCli.EXIT_OK;
    }

    /**
     * The folder names (their sources); when two folders share a name, every source is "parent/name" (and the whole
     * path when that is still not unique).
     */
    static List<String> names(List<Path> dirs) {
        for (int depth = 1; depth <= 2; depth++) {
            List<String> out = new ArrayList<>();
            for (Path d : dirs) {
                Path a = d.toAbsolutePath().normalize();
                int n = a.getNameCount();
                out.add(n == 0 ? a.toString() : a.subpath(Math.max(0, n - depth), n).toString());
            }
            if (new LinkedHashSet<>(out).size() == out.size()) return out;
        }
        List<String> out = new ArrayList<>();
        for (Path d : dirs) out.add(d.toAbsolutePath().normalize().toString());
        return out;
    }

    /** Each folder must hold the run.json of the given kind of run. */
    static void kind(CommandLine cl, List<Path> dirs, OutputKind kind, String option, String command) {
        for (Path d : dirs) {
            String c = OutputFolder.runCommand(d);
            if (c == null || OutputKind.ofLabel(c) != kind) {
                throw new CommandLine.ParameterException(cl, option + " " + d + " is not a folder written by '" + command + "'"
                        + (c == null ? " (no IES run.json)" : " (its run.json is of '" + c + "')"));
            }
        }
    }

    static Path real(Path p) {
        Path a = p.toAbsolutePath().normalize();
        try {
            return a.toRealPath();
        } catch (java.io.IOException e) {
            Path parent = a.getParent();
            return parent == null ? a : real(parent).resolve(a.getFileName());
        }
    }

    /** The threshold a context run used: its run.json's result.threshold, else parameters.threshold in [0, 1]; NaN when unknown. */
    static double threshold(Path dir) {
        try {
            Path rj = dir.resolve("run.json");
            if (!Files.isRegularFile(rj)) return Double.NaN;
            JsonObject o = JsonParser.parseString(Files.readString(rj, StandardCharsets.UTF_8)).getAsJsonObject();
            for (String block : new String[] {"result", "parameters"}) {
                JsonElement b = o.get(block);
                if (b == null || !b.isJsonObject()) continue;
                JsonElement t = b.getAsJsonObject().get("threshold");
                if (t != null && t.isJsonPrimitive() && t.getAsJsonPrimitive().isNumber()) {
                    double v = t.getAsDouble();
                    if (v >= 0 && v <= 1) return v;
                }
            }
            return Double.NaN;
        } catch (Exception e) {
            return Double.NaN;
        }
    }
}
