package io.github.ies.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The staging folders of one output folder: outputs are written into a hidden staging folder and moved into place
 * when complete ({@link #commit}, which removes the previous run's files that this run does not write again); what killed runs left (staging folders, {@code .*.part} files) is removed when the
 * folder is opened ({@link #removeLeftovers}).
 */
final class Staging {

    /** Prefixes of staging folders that killed runs (of this or earlier versions) may have left. */
    static final String[] LEFTOVER_PREFIXES = {OutputFolder.STAGING_PREFIX, ".ies-explain-"};

    /** Staging folders of runs stopped by a signal: writes into them fail instead of re-creating them. */
    private static final Set<Path> STOPPED = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final List<Path> open = Collections.synchronizedList(new ArrayList<>());
    private final List<Path> seen = new CopyOnWriteArrayList<>();

    Staging(Path dir) {
        this.dir = dir;
    }

    /** Fails when {@code target} lies in the staging folder of a run that a signal is stopping. */
    static void checkNotStopped(Path target) throws IOException {
        if (STOPPED.isEmpty()) return;
        for (Path p : STOPPED) {
            if (target.startsWith(p)) throw new IOException("the run is stopping (SIGINT or SIGTERM): " + p + " was removed");
        }
    }

    /** Removes the staging folders and temporary files that killed runs left (safe: this run holds the lock). */
    void removeLeftovers(List<String> warnings) throws IOException {
        List<String> removed = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                boolean staging = false;
                for (String pre : LEFTOVER_PREFIXES) staging |= n.startsWith(pre) && Files.isDirectory(p);
                boolean part = n.startsWith(".") && n.endsWith(".part") && Files.isRegularFile(p);
                if (staging || part) {
                    deleteTree(p);
                    removed.add(n);
                }
            }
        }
        if (!removed.isEmpty()) {
            Collections.sort(removed);
            warnings.add("removed " + removed.size() + " leftover(s) of an interrupted run from " + dir + ": " + String.join(", ", removed));
        }
    }

    /** A new, empty staging folder. */
    Path create() throws IOException {
        Path s = Files.createTempDirectory(dir, OutputFolder.STAGING_PREFIX);
        open.add(s);
        seen.add(s);
        return s;
    }

    /**
     * Moves a staging folder's files into the output folder, replacing the previous run's outputs as a whole: the
     * first commit of a run removes every file the folder's previous IES run wrote ({@link #previousOutputs}) that
     * this run does not write again, so no file of the old run survives beside the new ones; files IES did not write
     * (a user's notes) stay. The folder's run.json then lists exactly this run's files ({@value #OUTPUTS}).
     *
     * <p>Order, for a run stopped half-way: the run.json first lists the old and the new files (so the next run still
     * knows every one of them as IES's) and moves first, then the other files, then the old ones are deleted (and the
     * folders they leave empty), and run.json is rewritten with this run's files only.
     */
    void commit(Path staging) throws IOException {
        List<Path> files;
        Path record = staging.resolve(ExplainLayout.RUN);
        try (Stream<Path> s = Files.walk(staging)) {
            files = s.filter(Files::isRegularFile).sorted(Comparator.comparing((Path f) -> !f.equals(record))).toList();
        }
        Set<String> fresh = new TreeSet<>();
        for (Path f : files) fresh.add(relative(staging, f));
        Set<String> old = committed != null ? new TreeSet<>() : previousOutputs(dir);
        if (committed == null) committed = new TreeSet<>();
        Set<String> stale = new TreeSet<>(old);
        stale.removeAll(fresh);
        stale.removeAll(committed);
        Set<String> both = new TreeSet<>(committed);
        both.addAll(fresh);
        both.addAll(stale);
        Path runJson = Files.isRegularFile(record) ? record : dir.resolve(ExplainLayout.RUN);
        boolean listed = (runJson == record || !committed.isEmpty()) && listOutputs(runJson, both);
        for (Path f : files) {
            Path dst = dir.resolve(staging.relativize(f).toString());
            Files.createDirectories(dst.getParent());
            try {
                Files.move(f, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(f, dst, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (String r : stale) removeOutput(r);
        committed.addAll(fresh);
        if (listed) listOutputs(dir.resolve(ExplainLayout.RUN), committed);
        deleteTree(staging);
        open.remove(staging);
    }

    /** The key of run.json that lists the files of the run (relative to its folder, '/'-separated). */
    static final String OUTPUTS = "outputs";

    /** Writes {@code names} into the run.json {@code file} as {@value #OUTPUTS}; false when it is no IES record. */
    private static boolean listOutputs(Path file, Set<String> names) throws IOException {
        com.google.gson.JsonObject o = FolderChecks.json(file);
        if (o == null || !o.has("command") || !o.has("ies_version")) return false;
        com.google.gson.JsonArray a = new com.google.gson.JsonArray();
        names.forEach(a::add);
        o.remove(OUTPUTS);
        o.add(OUTPUTS, a);
        String text = new com.google.gson.GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(o) + "\n";
        Nifti.writeAtomically(file, os -> os.write(text.getBytes(StandardCharsets.UTF_8)));
        return true;
    }

    /** See {@link OutputFolder#listAmongOutputs}. */
    static boolean addOutput(Path dir, String name) throws IOException {
        Path runJson = dir.resolve(ExplainLayout.RUN);
        com.google.gson.JsonObject run = FolderChecks.json(runJson);
        if (run == null || !run.has("command") || !run.has("ies_version") || !run.has(OUTPUTS) || !run.get(OUTPUTS).isJsonArray()) return false;
        if (!insideAndPlain(dir, name)) return false;
        Set<String> names = new TreeSet<>();
        for (com.google.gson.JsonElement e : run.getAsJsonArray(OUTPUTS)) if (e.isJsonPrimitive()) names.add(e.getAsString());
        if (!names.add(name)) return true;
        return listOutputs(runJson, names);
    }

    /** The files this run committed so far (null before its first commit). */
    private Set<String> committed;

    private static String relative(Path base, Path f) {
        return base.relativize(f).toString().replace(java.io.File.separatorChar, '/');
    }

    /**
     * The files the folder's previous IES run wrote (relative, '/'-separated): its run.json's {@value #OUTPUTS}; for a
     * folder an earlier version wrote (an IES run.json without that list, or another record of IES's), the files named as IES names its
     * outputs ({@link ExplainLayout#outputNames}, the maps in saliency/, the PNGs in figures/); nothing for a folder no
     * IES run wrote. Only regular files inside the folder count (no links, nothing outside, no lock or staging).
     */
    static Set<String> previousOutputs(Path dir) throws IOException {
        Set<String> out = new TreeSet<>();
        com.google.gson.JsonObject run = FolderChecks.json(dir.resolve(ExplainLayout.RUN));
        if (run != null && run.has("command") && run.has("ies_version") && run.has(OUTPUTS) && run.get(OUTPUTS).isJsonArray()) {
            for (com.google.gson.JsonElement e : run.getAsJsonArray(OUTPUTS)) {
                String n = e.isJsonPrimitive() ? e.getAsString() : "";
                if (insideAndPlain(dir, n)) out.add(n);
            }
            return out;
        }
        if (!FolderChecks.writtenByIes(dir)) return out;
        for (String n : ExplainLayout.outputNames()) {
            if (insideAndPlain(dir, n)) out.add(n);
        }
        for (String[] sub : new String[][] {{ExplainLayout.SALIENCY, ".nii.gz"}, {ExplainLayout.FIGURES, ".png"}}) {
            Path d = dir.resolve(sub[0]);
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
                for (Path p : ds) {
                    String f = p.getFileName().toString();
                    boolean ies = sub[0].equals(ExplainLayout.SALIENCY)
                            ? ExplainLayout.parseMapName(f) != null || f.endsWith("_" + ExplainLayout.LAYER + ".nii.gz")
                            : f.endsWith(sub[1]);
                    if (ies && insideAndPlain(dir, sub[0] + "/" + f)) out.add(sub[0] + "/" + f);
                }
            }
        }
        return out;
    }

    /** True for a relative name that stays inside {@code dir}, is a regular file reached without links, and is no lock or staging file. */
    private static boolean insideAndPlain(Path dir, String name) {
        Path p;
        try {
            p = dir.resolve(name).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
        if (!p.startsWith(dir) || p.equals(dir)) return false;
        String first = dir.relativize(p).getName(0).toString();
        if (first.equals(OutputFolder.LOCK) || first.startsWith(".ies-")) return false;
        for (Path q = p; q != null && !q.equals(dir); q = q.getParent()) {
            if (Files.isSymbolicLink(q)) return false;
        }
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }

    /** Deletes one of the previous run's files, and the folders it leaves empty (up to, not including, the output folder). */
    private void removeOutput(String name) throws IOException {
        if (!insideAndPlain(dir, name)) return;
        Path p = dir.resolve(name).normalize();
        Files.deleteIfExists(p);
        for (Path d = p.getParent(); d != null && !d.equals(dir) && d.startsWith(dir); d = d.getParent()) {
            try {
                Files.delete(d);           // only when empty
            } catch (IOException notEmpty) {
                break;
            }
        }
    }

    /** Deletes the staging folders not committed. */
    void deleteOpen() {
        for (Path s : new ArrayList<>(open)) deleteTree(s);
        open.clear();
    }

    /** From now on no write may re-create any staging folder of this run ({@link #checkNotStopped}). */
    void stop() {
        STOPPED.addAll(seen);
    }

    /** Deletes every staging folder this run ever made (again, after a signal: a write may have re-created one). */
    void deleteSeen() {
        for (Path s : seen) deleteTree(s);
    }

    /** Deletes a folder tree (best effort). */
    static void deleteTree(Path p) {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // best effort
        }
    }
}
