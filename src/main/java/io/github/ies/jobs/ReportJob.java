package io.github.ies.jobs;

import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.OutputFolder.OutputFolderException;
import io.github.ies.report.HtmlReport;
import io.github.ies.request.InvalidRequest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The HTML report over explain folders as a use case ({@code ies report}): a typed {@link Request} checked once, the
 * report file decided and checked before any work ({@link #target}), the report built ({@link HtmlReport}) and
 * written atomically. The report obeys the output rules of every command: a folder (an existing one, or a path
 * ending in '/') means {@code folder/report.html}; an existing file is replaced only when it is a report IES wrote
 * (it carries {@link HtmlReport#GENERATOR} in its head, or the line of reports of earlier versions); anything else (an
 * input, another output of an IES run, a user's file) is refused before any work.
 */
public final class ReportJob {

    private ReportJob() {}

    /** What to run; the field names are the macro keys'. */
    public static final class Request {
        public List<Path> explainDirs = new ArrayList<>();
        /** The report's options (anatomy, analysis, lesions shown, title), checked by {@link HtmlReport.Options#validate}. */
        public final HtmlReport.Options report = new HtmlReport.Options();
        /** The report file or folder; null: {@code report.html} in the first explain folder. */
        public Path out;
        /** True when {@link #out} was written as a folder (ending in '/'): the report is {@code out/report.html}. */
        public boolean outIsFolder;

        /** Checks every value before any work; an {@link InvalidRequest} names the settings by their keys. */
        public Request validate() {
            if (explainDirs.isEmpty()) throw new InvalidRequest("no explain folder given ({explain_dir})");
            for (Path d : explainDirs) if (!Files.isDirectory(d)) throw new InvalidRequest("{explain_dir} " + d + ": not a folder");
            report.validate();
            return this;
        }
    }

    /**
     * The file the report goes to, checked without writing anything: {@code report.html} of the first folder when no
     * {@code out} is given, {@code out/report.html} for a folder (existing, or written with a trailing '/'), else
     * {@code out}. An existing file there must be a report IES wrote ({@link #isIesReport}).
     *
     * @throws OutputFolderException naming the file and what to do
     */
    public static Path target(Request q) throws OutputFolderException {
        Path t;
        if (q.out == null) t = q.explainDirs.get(0).resolve(ExplainLayout.REPORT);
        else if (q.outIsFolder || Files.isDirectory(q.out)) t = q.out.resolve(ExplainLayout.REPORT);
        else t = q.out;
        Path abs = t.toAbsolutePath().normalize();
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
                throw new OutputFolderException("--out: " + t + " is a folder: give a file name or another folder (nothing was written)");
            }
            if (!isIesReport(abs)) {
                throw new OutputFolderException("--out: " + t + " exists and is not a report IES wrote (" + whatItIs(abs)
                        + "): IES never overwrites what it did not write as a report; give a new file name, or a folder (the report is then"
                        + " FOLDER/" + ExplainLayout.REPORT + ") (nothing was written)");
            }
        }
        for (Path p = abs.getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new OutputFolderException("--out: cannot write " + t + ": " + p + " is a file, not a folder (nothing was written)");
                }
                if (!Files.isWritable(p)) {
                    throw new OutputFolderException("--out: cannot write " + t + ": " + p + " is not writable; choose another place (nothing was written)");
                }
                break;
            }
        }
        return t;
    }

    /** True when {@code file} is an HTML report IES wrote: its head names {@link HtmlReport#GENERATOR} (or it has the line of earlier versions' reports). */
    public static boolean isIesReport(Path file) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return false;
        byte[] head = new byte[1 << 14];
        int n = 0;
        try (InputStream in = Files.newInputStream(file)) {
            for (int r; n < head.length && (r = in.read(head, n, head.length - n)) > 0; ) n += r;
        } catch (IOException e) {
            return false;
        }
        String s = new String(head, 0, n, StandardCharsets.UTF_8);
        if (!s.startsWith("<!DOCTYPE html>")) return false;
        return s.contains("<meta name=\"generator\" content=\"" + HtmlReport.GENERATOR) || s.contains("by IES for Fiji from ");
    }

    private static String whatItIs(Path file) {
        String name = file.getFileName().toString();
        Path dir = file.getParent();
        if (dir != null && Files.isRegularFile(dir.resolve(ExplainLayout.RUN)) && ExplainLayout.outputNames().contains(name)) {
            return "an output of the IES run in " + dir;
        }
        if (name.endsWith(".nii") || name.endsWith(".nii.gz")) return "an image";
        return "a file IES did not write";
    }

    /** Builds the report and writes it to {@link #target} (checked first, before any work); returns the file and its size in characters. */
    public static Written run(Request q, Consumer<String> log) throws Exception {
        q.validate();
        Path t = target(q);
        String html = HtmlReport.build(q.explainDirs, q.report, log);
        target(q);                     // still ours to replace (another program may have written it meanwhile)
        Nifti.writeAtomically(t, os -> os.write(html.getBytes(StandardCharsets.UTF_8)));
        // a report inside an IES run's folder becomes one of that run's outputs: a rerun there replaces it with the rest
        // (no report of the old run left beside the new run's files)
        Path dir = t.toAbsolutePath().getParent();
        if (dir != null) io.github.ies.io.OutputFolder.listAmongOutputs(dir, t.getFileName().toString());
        return new Written(t, html.length());
    }

    /** The written report: its file and length in characters. */
    public record Written(Path file, int chars) { }
}
