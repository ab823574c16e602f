package io.github.ies.io;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The markers a batch run writes into each subject's folder: the folder is the batch's ({@link #OWNER}), the subject
 * is done ({@link #DONE}) or failed ({@link #FAILED}). A folder holding one is an IES folder.
 */
public final class BatchMarkers {

    public static final String OWNER = "ies-batch-subject.json";
    public static final String DONE = "ies-batch-done.json";
    public static final String FAILED = "ies-batch-failed.json";

    private static final String[] ALL = {OWNER, DONE, FAILED};

    private BatchMarkers() {
    }

    /** True when {@code dir} holds one of the markers (a regular file, not a link). */
    static boolean in(Path dir) {
        for (String marker : ALL) if (Files.isRegularFile(dir.resolve(marker), LinkOption.NOFOLLOW_LINKS)) return true;
        return false;
    }
}
