package io.github.ies.jobs;

import io.github.ies.instances.LesionTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** The subjects of a cohort for {@code ies batch}: one folder per subject, or a CSV of paths. */
public final class Subjects {

    /** One subject's inputs (gt and brain mask optional). */
    public static final class Subject {
        public final String name;
        public final Path flair, mprage, gt, brainMask;

        public Subject(String name, Path flair, Path mprage, Path gt, Path brainMask) {
            this.name = name;
            this.flair = flair;
            this.mprage = mprage;
            this.gt = gt;
            this.brainMask = brainMask;
        }

        /** The subject's input files (no nulls). */
        public List<Path> files() {
            List<Path> l = new ArrayList<>();
            for (Path p : new Path[] {flair, mprage, gt, brainMask}) if (p != null) l.add(p);
            return l;
        }
    }

    private Subjects() {}

    /** Subjects of a folder (each sub-folder with a FLAIR and an MPRAGE file) or a CSV, sorted by name. */
    public static List<Subject> load(Path source) throws IOException {
        List<Subject> out = Files.isDirectory(source) ? fromFolder(source) : fromCsv(source);
        out.sort(Comparator.comparing(s -> s.name));
        Set<String> seen = new HashSet<>();
        for (Subject s : out) {
            if (!seen.add(s.name)) throw new IOException(source + ": subject '" + s.name + "' appears twice");
        }
        if (out.isEmpty()) throw new IOException(source + ": no subjects (folders with flair and mprage NIfTI files, or CSV rows)");
        return out;
    }

    private static List<Subject> fromFolder(Path dir) throws IOException {
        List<Subject> out = new ArrayList<>();
        List<Path> subs;
        try (Stream<Path> s = Files.list(dir)) {
            subs = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
        for (Path d : subs) {
            Path flair = find(d, "flair"), mprage = find(d, "mprage", "t1");
            if (flair == null && mprage == null) continue;     // not a subject folder
            if (flair == null || mprage == null) {
                throw new IOException(d + ": subject folder needs both a flair*.nii[.gz] and an mprage*/t1*.nii[.gz] file");
            }
            out.add(new Subject(d.getFileName().toString(), flair, mprage, find(d, "lesions", "gt", "ground_truth"),
                    find(d, "brainmask", "brain_mask")));
        }
        return out;
    }

    /** The single NIfTI file of {@code dir} whose name starts with one of {@code prefixes} (case-insensitive). */
    private static Path find(Path dir, String... prefixes) throws IOException {
        List<Path> hits = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                if (!n.matches(".*\\.nii(\\.gz)?$")) continue;
                for (String pre : prefixes) {
                    if (n.startsWith(pre) && !(pre.equals("t1") && n.startsWith("t1c"))) {
                        hits.add(p);
                        break;
                    }
                }
            }
        }
        if (hits.size() > 1) throw new IOException(dir + ": several files match " + String.join("/", prefixes) + ": " + hits);
        return hits.isEmpty() ? null : hits.get(0);
    }

    private static List<Subject> fromCsv(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) throw new IOException("--subjects: no such folder or CSV file: " + csv);
        LesionTable t = LesionTable.read(csv);
        for (String c : List.of("subject", "flair", "mprage")) {
            if (!t.hasColumn(c)) throw new IOException(csv + ": missing column '" + c + "' (columns: subject,flair,mprage[,gt,brain_mask])");
        }
        Path base = csv.toAbsolutePath().getParent();
        List<Subject> out = new ArrayList<>();
        for (int r = 0; r < t.rowCount(); r++) {
            String name = t.get(r, "subject").trim();
            if (name.isEmpty() || !name.matches("[A-Za-z0-9._-]+") || name.startsWith(".")) {
                throw new IOException(csv + ": row " + (r + 1) + ": subject '" + name + "' must be a plain name (letters, digits, . _ -)");
            }
            out.add(new Subject(name, path(base, t.get(r, "flair")), path(base, t.get(r, "mprage")),
                    t.hasColumn("gt") ? path(base, t.get(r, "gt")) : null,
                    t.hasColumn("brain_mask") ? path(base, t.get(r, "brain_mask")) : null));
        }
        return out;
    }

    private static Path path(Path base, String s) {
        if (s == null || s.isBlank()) return null;
        Path p = Path.of(s.trim());
        return p.isAbsolute() ? p : base.resolve(p);
    }
}
