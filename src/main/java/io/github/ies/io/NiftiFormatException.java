package io.github.ies.io;

import java.io.IOException;

/** A file that is not a valid or supported NIfTI file; the message names the file and the problem. */
public final class NiftiFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public NiftiFormatException(String file, String problem) {
        super(file + ": " + problem);
    }

    public NiftiFormatException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
