package io.github.ies.io;

import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The kinds of run folders. A run gives its kind to {@link OutputFolder#check(java.nio.file.Path, java.util.Collection,
 * OutputKind, String)} and {@link OutputFolder#write}: a folder holding the run.json of another kind of run is refused,
 * since its record and outputs would be replaced by unrelated ones. A subject's segmentation, explanation and the
 * subject folders of a batch share one kind of folder (an explanation may go where a segmentation was).
 *
 * <p>The run.json of a folder names the command that wrote it, in the words of its front-end; which kind each of those
 * words means is declared by the front-ends ({@link Labels}, found with {@link ServiceLoader}): this layer names none.
 */
public enum OutputKind {
    SEGMENT(Folder.SUBJECT), EXPLAIN(Folder.SUBJECT), BATCH(Folder.SUBJECT), ANALYSIS(Folder.ANALYSIS), CONTEXT(Folder.CONTEXT),
    RELOCATE(Folder.RELOCATE), EVALUATION(Folder.EVALUATION), POOL(Folder.POOL);

    /** The kinds of folders, as the messages name them. */
    private enum Folder {
        SUBJECT("a subject's segmentation or explanation"), ANALYSIS("an analysis"), CONTEXT("a context experiment"),
        RELOCATE("a relocation experiment"), EVALUATION("an evaluation"), POOL("pooled experiments");

        final String description;

        Folder(String description) {
            this.description = description;
        }
    }

    private final Folder folder;

    OutputKind(Folder folder) {
        this.folder = folder;
    }

    /** The kind of folder in words ("an analysis"), for messages. */
    public String description() {
        return folder.description;
    }

    /** True when a run of this kind may replace the outputs of a run of {@code other}'s kind. */
    public boolean sharesFolderWith(OutputKind other) {
        return folder == other.folder;
    }

    /**
     * What a front-end declares: the command label each of its runs writes into run.json ({@code command}), and the
     * kind of folder that run writes. Implementations are listed in {@code META-INF/services/io.github.ies.io.OutputKind$Labels}.
     */
    public interface Labels {
        Map<String, OutputKind> labels();
    }

    private static volatile Map<String, OutputKind> declared;

    /**
     * The kind of folder a run.json's {@code command} means; a label no front-end declares (e.g. of a later version)
     * counts as a subject's folder ({@link #EXPLAIN}); null for null.
     */
    public static OutputKind ofLabel(String label) {
        if (label == null) return null;
        return declared().getOrDefault(label, EXPLAIN);
    }

    private static Map<String, OutputKind> declared() {
        Map<String, OutputKind> m = declared;
        if (m == null) {
            m = new HashMap<>();
            for (Labels l : ServiceLoader.load(Labels.class, OutputKind.class.getClassLoader())) m.putAll(l.labels());
            declared = m = Map.copyOf(m);
        }
        return m;
    }
}
