package io.github.ies.io;

import java.nio.file.Path;
import java.util.List;

/** Test helper process: holds an output folder's lock until its standard input closes (or it is killed). */
public final class LockHolder {

    private LockHolder() {}

    public static void main(String[] args) throws Exception {
        try (OutputFolder f = OutputFolder.open(Path.of(args[0]), "test lock holder", List.of())) {
            f.keep();
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait
            }
        }
    }
}
