package io.github.ies.io;

import io.github.ies.io.OutputFolder.OutputFolderException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * The checks of an output folder before a run touches it (no side effects): {@link OutputFolder#check(Path,
 * Collection)} and {@link OutputFolder#check(Path, Collection, OutputKind, String)}.
 */
final class FolderChecks {

    private FolderChecks() {
    }

    static void check(Path out, Collection<Path> inputs) throws OutputFolderException {
        Path abs = out.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new OutputFolderException("the output folder " + out + " is an existing " + (Files.isRegularFile(abs) ? "file" : "non-folder")
                    + ": give the path of a folder (it is created if missing)");
        }
        Path anc = abs;
        while (anc != null && !Files.exists(anc)) anc = anc.getParent();
        if (anc == null) throw new OutputFolderException("cannot create the output folder " + out + ": no part of its path exists");
        if (!Files.isDirectory(anc)) {
            throw new OutputFolderException("cannot create the output folder " + out + ": " + anc + " is a file, not a folder");
        }
        if (!Files.isWritable(anc)) {
            throw new OutputFolderException((anc.equals(abs) ? "the output folder " + out + " is not writable"
                    : "cannot create the output folder " + out + ": " + anc + " is not writable")
                    + " (permission denied or a read-only file system): choose another folder or fix its permissions");
        }
        Path real = realOf(abs, anc);
        for (Path in : inputs) {
            if (in == null || !Files.exists(in)) continue;
            Path ri;
            try {
                ri = in.toRealPath();
            } catch (IOException e) {
                continue;
            }
            if (ri.equals(real)) {
                throw new OutputFolderException("the output folder " + out + " is the input " + in
                        + ": choose another folder (IES never writes over its inputs)");
            }
            if (ri.startsWith(real)) {
                throw new OutputFolderException("the output folder " + out + " contains the input " + in
                        + ": IES refuses to write where its inputs are (an output could replace them); choose a folder that"
                        + " holds none of the inputs, e.g. a new sub-folder");
            }
        }
        List<String> foreign = foreignOutputs(abs);
        if (!foreign.isEmpty()) {
            throw new OutputFolderException("the output folder " + out + " holds " + String.join(", ", foreign) + ", which no IES run wrote"
                    + " (there is no IES run.json in it): IES never overwrites what it did not create; choose another folder, e.g. a new"
                    + " sub-folder (nothing was changed)");
        }
    }

    static void check(Path out, Collection<Path> inputs, OutputKind kind, String label) throws OutputFolderException {
        check(out, inputs);
        Path abs = out.toAbsolutePath().normalize();
        String there = Files.isDirectory(abs) ? runCommand(abs) : null;
        if (there != null && kind != null && !OutputKind.ofLabel(there).sharesFolderWith(kind)) {
            throw new OutputFolderException("the output folder " + out + " holds the outputs of " + OutputKind.ofLabel(there).description()
                    + " ('" + there + "', its run.json); " + label + " would replace them: choose another folder, e.g. a new sub-folder"
                    + " (nothing was changed)");
        }
    }

    /**
     * The names IES writes ({@link ExplainLayout#outputNames}) present in an existing folder that no IES run wrote:
     * none when the folder holds the run.json of an IES run (a {@code command} and an {@code ies_version}; commands
     * without staging write a provisional one first, {@link OutputFolder#claim}), a batch run's marker (in it or in a
     * subject's folder, {@link BatchMarkers}), or the record of an earlier version (context.json / relocate.json of an
     * experiment, an IES metrics.json, the four tables of an analysis); they are then an earlier run's outputs, which a
     * new run replaces.
     */
    static List<String> foreignOutputs(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        List<String> present = new ArrayList<>();
        for (String n : ExplainLayout.outputNames()) if (Files.exists(dir.resolve(n), LinkOption.NOFOLLOW_LINKS)) present.add(n);
        if (present.isEmpty() || writtenByIes(dir)) return List.of();
        return present;
    }

    static boolean writtenByIes(Path dir) {
        if (BatchMarkers.in(dir)) return true;
        // a batch output folder: its subjects' folders carry the markers (its summary.csv is at the top)
        try (Stream<Path> st = Files.list(dir)) {
            if (st.anyMatch(d -> Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) && BatchMarkers.in(d))) return true;
        } catch (IOException e) {
            return false;
        }
        if (runCommand(dir) != null) return true;
        // records of earlier versions
        com.google.gson.JsonObject ctx = json(dir.resolve("context.json")), rel = json(dir.resolve("relocate.json")),
                met = json(dir.resolve(ExplainLayout.METRICS));
        if ((ctx != null && ctx.has("experiment")) || (rel != null && rel.has("experiment")) || (met != null && met.has("ndsc_r"))) return true;
        for (String t : new String[] {ExplainLayout.GROUP_TESTS, ExplainLayout.GROUP_SUMMARY, ExplainLayout.CHANNEL_CONTRIBUTIONS, "peaks.csv"}) {
            if (!Files.isRegularFile(dir.resolve(t), LinkOption.NOFOLLOW_LINKS)) return false;
        }
        return true;
    }

    static String runCommand(Path dir) {
        com.google.gson.JsonObject o = json(dir.resolve(ExplainLayout.RUN));
        if (o == null || !o.has("command") || !o.has("ies_version") || !o.get("command").isJsonPrimitive()) return null;
        return o.get("command").getAsString();
    }

    static com.google.gson.JsonObject json(Path f) {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return null;
        try {
            com.google.gson.JsonElement e = com.google.gson.JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8));
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (IOException | RuntimeException ex) {
            return null;
        }
    }

    private static Path realOf(Path abs, Path existingAncestor) {
        try {
            Path r = existingAncestor.toRealPath();
            return r.resolve(existingAncestor.relativize(abs).toString()).normalize();
        } catch (IOException e) {
            return abs;
        }
    }
}
