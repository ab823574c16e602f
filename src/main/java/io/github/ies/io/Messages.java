package io.github.ies.io;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * One-line error messages that say what is wrong and what to do. Java's file-system exceptions carry only a path
 * as their message ("error: /data/out"); they are spelled out here (a front-end's error lines, a batch's failure
 * markers).
 */
public final class Messages {

    private Messages() {}

    public static String describe(Throwable e) {
        String m = describe0(e);
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    private static String describe0(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            return "out of memory (" + e.getMessage() + "): give Java more memory, e.g. IES_JAVA_OPTS=-Xmx16g, or use smaller inputs";
        }
        if (e instanceof FileSystemException) {
            FileSystemException f = (FileSystemException) e;
            String file = f.getFile(), other = f.getOtherFile(), reason = f.getReason();
            String where = file == null ? "" : file + (other == null ? "" : " -> " + other);
            if (reason != null && !reason.isBlank()) {
                return where.isEmpty() ? reason : where + ": " + reason;
            }
            if (e instanceof NoSuchFileException) return where + ": no such file or folder (check the path)";
            if (e instanceof AccessDeniedException) return where + ": permission denied (check its permissions, or choose another path)";
            if (e instanceof FileAlreadyExistsException) return where + ": already exists (move it away or choose another path)";
            if (e instanceof NotDirectoryException) return where + ": is not a folder (give a folder path)";
            if (e instanceof DirectoryNotEmptyException) return where + ": is a folder that is not empty";
            return where + ": file system error (" + e.getClass().getSimpleName() + ")";
        }
        String msg = e.getMessage();
        if (msg == null || msg.isBlank()) {
            return e.getClass().getSimpleName() + (e.getCause() != null ? ": " + describe0(e.getCause()) : "");
        }
        return msg;
    }
}
