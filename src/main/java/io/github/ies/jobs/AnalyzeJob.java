package io.github.ies.jobs;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.analysis.CohortAnalysis;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.OutputFolder;
import io.github.ies.model.ProgressListener;
import io.github.ies.pipeline.RunRecord;
import io.github.ies.report.CohortFigures;
import io.github.ies.request.InvalidRequest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The statistics over explain folders as a use case (paper 3.3; {@code ies analyze} and Fiji's Lesion Statistics):
 * a typed {@link Request} checked once, the analysis, and the output folder (the tables, the figures and run.json)
 * staged and published the same way for both front-ends. The front-ends map their options onto the request, fill the
 * record's parameters under their own names and show the outcome.
 */
public final class AnalyzeJob {

    private AnalyzeJob() {}

    /** What to run; the field names are the macro keys'. */
    public static final class Request {
        public List<Path> explainDirs = new ArrayList<>();
        /** The analysis options (threshold, bin_mm, max_mm, min_group_size), checked by {@link CohortAnalysis.Options#validate}. */
        public final CohortAnalysis.Options analysis = new CohortAnalysis.Options();
        public boolean figures = true;

        /** Checks every value before any work; an {@link InvalidRequest} names the settings by their keys. */
        public Request validate() {
            if (explainDirs.isEmpty()) throw new InvalidRequest("no explain folder given ({explain_dir})");
            for (Path d : explainDirs) if (!Files.isDirectory(d)) throw new InvalidRequest("{explain_dir} " + d + ": not a folder");
            analysis.validate();
            return this;
        }

        /** The run.json of every folder analysed: what an output folder must not be or replace. */
        public List<Path> records() {
            List<Path> records = new ArrayList<>();
            for (Path d : explainDirs) records.add(new ExplainLayout(d).run());
            return records;
        }
    }

    /** The output folder check, before any work (e.g. an explain folder as the output: its run.json would be replaced). */
    public static void checkFolder(Path out, String command, Request q) throws IOException {
        OutputFolder.check(out, q.records(), io.github.ies.io.OutputKind.ANALYSIS, command);
    }

    /** Runs the analysis; {@code status} hears each step. */
    public static CohortAnalysis.Result run(Request q, Consumer<String> status, ProgressListener progress) throws IOException {
        q.validate();
        return new CohortAnalysis(q.analysis).run(q.explainDirs, status, progress);
    }

    /**
     * Writes the result into {@code out} (checked, locked, staged, published at once): the tables, the figures when
     * asked for, and run.json made of {@code rec} (its parameters filled by the front-end) and the result block.
     */
    public static void write(Path out, String command, Request q, CohortAnalysis.Result r, RunRecord rec, double seconds) throws IOException {
        JsonObject res = new JsonObject();
        res.addProperty("instances", r.instances);
        res.addProperty("instances_with_maps", r.instancesWithMaps);
        JsonArray groups = new JsonArray(), channels = new JsonArray();
        r.groups.forEach(groups::add);
        r.channels.forEach(channels::add);
        res.add("groups", groups);
        res.add("channels", channels);
        JsonObject sizes = new JsonObject();
        r.groupSizes.forEach(sizes::addProperty);
        res.add("group_sizes", sizes);
        res.addProperty("min_group_size", r.minGroupSize);
        JsonArray small = new JsonArray();
        r.smallGroups.forEach(small::add);
        res.add("groups_below_min_group_size", small);
        rec.add("result", res);
        String json = rec.toJson(r.warnings, seconds);
        OutputFolder.write(out, io.github.ies.io.OutputKind.ANALYSIS, command, q.records(), staging -> {
            writeFiles(q, r, staging);
            ContextJob.text(staging.resolve(ExplainLayout.RUN), json);
        });
    }

    /** The tables and (when asked for) the figures into {@code dir}; returns the figure files. */
    public static List<Path> writeFiles(Request q, CohortAnalysis.Result r, Path dir) throws IOException {
        CohortAnalysis.writeTables(r, dir);
        return q.figures ? CohortFigures.write(r, dir.resolve(ExplainLayout.FIGURES)) : List.of();
    }
}
