package io.github.ies.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The seam for model formats: a reader says whether a bundle folder is of its format and turns it into a
 * {@link ModelBundle} (its metadata translated to the keys of {@code ies-model.json}, {@link ModelBundle#of}).
 * {@link ModelBundle#load} unpacks a zip, then asks the readers in order: IES's own format first, then those
 * registered as Java services ({@code META-INF/services/io.github.ies.model.BundleReader}, one class name a line), so
 * a new format is a new class plus that one line.
 */
public interface BundleReader {

    /** True when {@code folder} is a bundle of this format (cheap: look for its files). */
    boolean accepts(Path folder);

    /** The files this format needs, for the message when no reader accepts a folder. */
    String expects();

    /**
     * The bundle in {@code folder}; {@code path} is what the user gave (the folder or its zip), for messages.
     *
     * @throws IOException (a {@link BundleException}) naming the problem
     */
    ModelBundle read(Path path, Path folder) throws IOException;

    /** The readers in the order they are asked. */
    static List<BundleReader> all() {
        List<BundleReader> out = new ArrayList<>();
        out.add(new ModelBundle.IesReader());
        for (BundleReader r : ServiceLoader.load(BundleReader.class, BundleReader.class.getClassLoader())) out.add(r);
        return out;
    }

    /** The first reader that accepts the folder, or null. */
    static BundleReader forFolder(Path folder) {
        for (BundleReader r : all()) if (r.accepts(folder)) return r;
        return null;
    }

    /** What the readers expect, joined: "ies-model.json and model.pt, or ...". */
    static String expected() {
        List<String> e = new ArrayList<>();
        for (BundleReader r : all()) e.add(r.expects());
        return "a bundle holds " + String.join(", or ", e);
    }
}
