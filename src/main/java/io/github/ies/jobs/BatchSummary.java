package io.github.ies.jobs;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.instances.LesionTable;
import io.github.ies.io.BatchMarkers;
import io.github.ies.io.OutputFolder;
import io.github.ies.jobs.BatchJob.State;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The summary CSV of a batch, rebuilt from the subjects' markers (subject, status, lesions, explained, tp, fp, fn,
 * dice, seconds, message): one row per subject, with its {@link State}.
 */
final class BatchSummary {

    private BatchSummary() {}

    /**
     * Where the subject of folder {@code dir} stands, given its {@link #marker}: refused (the run would not touch its
     * folder), else as its marker says, else busy or missing.
     */
    static State state(Path dir, boolean refused, boolean busy, JsonObject marker) {
        if (refused) return State.FAILED;
        if (marker == null) return busy || OutputFolder.isHeld(dir) ? State.BUSY : State.MISSING;
        return "done".equals(str(marker.get("status"))) ? State.DONE : State.FAILED;
    }

    /** The done marker of a subject folder, else its failed marker, else null. */
    static JsonObject marker(Path d) {
        if (Files.isRegularFile(d.resolve(BatchMarkers.DONE))) return readJson(d.resolve(BatchMarkers.DONE));
        if (Files.isRegularFile(d.resolve(BatchMarkers.FAILED))) return readJson(d.resolve(BatchMarkers.FAILED));
        return null;
    }

    /**
     * Writes the summary of {@code list} from the markers ({@code refused}: subjects the run did not touch, with the
     * reason; {@code busy}: held by another run); returns the number of failed (or unfinished) subjects.
     */
    static int write(Path out, List<Subjects.Subject> list, Map<String, String> refused, Set<String> busy, Path file) throws IOException {
        LesionTable t = new LesionTable(List.of("subject", "status", "lesions", "explained", "tp", "fp", "fn", "dice", "seconds", "message"));
        int failed = 0;
        for (Subjects.Subject s : list) {
            Path dir = out.resolve(s.name);
            JsonObject j = marker(dir);
            State st = state(dir, refused.containsKey(s.name), busy.contains(s.name), j);
            if (st != State.DONE) failed++;
            if (refused.containsKey(s.name)) {
                t.addRow(s.name, "failed", null, null, null, null, null, null, null, refused.get(s.name));
            } else if (st == State.BUSY || st == State.MISSING) {
                boolean held = st == State.BUSY;
                t.addRow(s.name, held ? "busy" : "missing", null, null, null, null, null, null, null,
                        held ? "another IES run is working on this subject" : "no output (killed?)");
            } else {
                t.addRow(s.name, str(j.get("status")), str(j.get("segmented_lesions")), str(j.get("explained")), str(j.get("lesion_tp")),
                        str(j.get("lesion_fp")), str(j.get("lesion_fn")), str(j.get("dice")), str(j.get("seconds")), str(j.get("message")));
            }
        }
        t.write(file);
        return failed;
    }

    private static String str(JsonElement e) {
        if (e == null || e.isJsonNull()) return null;
        String s = e.getAsString();
        return "-1".equals(s) ? null : s;
    }

    static JsonObject readJson(Path p) {
        try {
            return JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
