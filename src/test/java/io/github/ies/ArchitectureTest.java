package io.github.ies;

import org.junit.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The import rules of docs/architecture.md, checked on the sources: a wrong import fails here. */
public class ArchitectureTest {

    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("request", Set.of()),
            Map.entry("io", Set.of("request")),
            Map.entry("geometry", Set.of("request", "io")),
            Map.entry("model", Set.of("request", "io", "geometry")),
            Map.entry("instances", Set.of("request", "io")),
            Map.entry("phantom", Set.of("request", "io")),
            Map.entry("saliency", Set.of("request", "io", "model")),
            Map.entry("pipeline", Set.of("request", "io", "geometry", "model", "instances", "saliency")),
            Map.entry("analysis", Set.of("request", "io", "geometry", "model", "instances", "saliency", "pipeline")),
            // the report's figure rows come from the saliency method registry (saliency.SaliencyMethods)
            Map.entry("report", Set.of("request", "io", "geometry", "instances", "saliency", "analysis")),
            Map.entry("jobs", Set.of("request", "io", "geometry", "model", "instances", "saliency", "pipeline", "analysis", "report")),
            Map.entry("fiji", Set.of("request", "io", "geometry", "model", "instances", "phantom", "saliency", "pipeline", "analysis", "report", "jobs")),
            // ies run drives the Fiji commands (fiji.HeadlessRunner) in a SciJava context of its own
            Map.entry("cli", Set.of("request", "io", "geometry", "model", "instances", "phantom", "saliency", "pipeline", "analysis", "report", "jobs", "fiji")));

    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\bio\\.github\\.ies\\.([a-z]+)\\.[A-Z]");
    private static final Pattern FOREIGN = Pattern.compile("(?<![\\w.\"])((?:ij|org\\.scijava|picocli)(?:\\.[a-z]\\w*)*\\.[A-Z]\\w*)");

    @Test
    public void packagesImportOnlyWhatTheArchitectureAllows() throws IOException {
        Path root = Paths.get("src/main/java/io/github/ies");
        List<String> broken = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String pkg = root.relativize(f).getName(0).toString();
                if (pkg.endsWith(".java")) continue;
                files++;
                String src = Files.readString(f);
                Set<String> allowed = ALLOWED.get(pkg);
                assertTrue("unknown package " + pkg, allowed != null);
                Matcher m = IMPORT.matcher(src);
                while (m.find()) check(f, pkg, m.group(1), allowed, broken);
                // fully qualified uses in code (ij.WindowManager.getImage(...)) count as imports too
                String body = src.replaceAll("(?m)^(package|import) .*$", "").replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
                Matcher fq = FOREIGN.matcher(body);
                while (fq.find()) check(f, pkg, fq.group(1), allowed, broken);
                Matcher q = QUALIFIED.matcher(src.replaceAll("(?m)^(package|import) .*$", ""));
                while (q.find()) {
                    String target = q.group(1);
                    if (!target.equals(pkg) && !allowed.contains(target)) {
                        broken.add(f.getFileName() + " (" + pkg + ") uses io.github.ies." + target);
                    }
                }
            }
        }
        assertTrue("read the sources", files > 50);
        assertTrue(String.join("\n", broken), broken.isEmpty());
    }

    /** Words of the io layer that are subcommand names but no command labels: a folder's name, a JSON key. */
    private static final Set<String> NOT_LABELS = Set.of(
            "ExplainLayout.java explain",          // a relocation case's explain sub-folder
            "FolderChecks.java experiment");       // the key of an earlier version's context.json / relocate.json

    /** Every package under io.github.ies has a row in the table, and every row a package (no rule left unchecked). */
    @Test
    public void theTableCoversEveryPackage() throws IOException {
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> s = Files.list(Paths.get("src/main/java/io/github/ies"))) {
            s.filter(Files::isDirectory).forEach(d -> packages.add(d.getFileName().toString()));
        }
        assertEquals(new TreeSet<>(ALLOWED.keySet()), packages);
    }

    /**
     * The io layer names no front-end: no Fiji command's title (its {@code @Plugin} label or menu entry) appears in its
     * sources, comments included, and no {@code ies} subcommand's name is a string literal there (a command label
     * such as "analyze" or "experiment context"). Front-ends give io the kind of their output folder
     * ({@code OutputKind}) and declare their run.json labels themselves.
     */
    @Test
    public void theIoLayerNamesNoFrontEnd() throws IOException {
        Set<String> titles = new TreeSet<>();
        Pattern plugin = Pattern.compile("@Plugin\\((?s:.*?)\\)\\s*public");
        Pattern label = Pattern.compile("\\blabel = \"([^\"]+)\""), menu = Pattern.compile("menuPath = \"[^\"]*>([^\">]+)\"");
        try (Stream<Path> s = Files.list(Paths.get("src/main/java/io/github/ies/fiji"))) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith("Command.java"))::iterator) {
                Matcher p = plugin.matcher(Files.readString(f));
                while (p.find()) {
                    for (Matcher m : List.of(label.matcher(p.group()), menu.matcher(p.group()))) if (m.find()) titles.add(m.group(1));
                }
            }
        }
        assertTrue("the Fiji titles: " + titles, titles.contains("Lesion Statistics") && titles.contains("Relocate Lesion") && titles.size() >= 7);
        Set<String> names = new TreeSet<>();
        Pattern command = Pattern.compile("@Command\\(name = \"([^\"]+)\"");
        try (Stream<Path> s = Files.list(Paths.get("src/main/java/io/github/ies/cli"))) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                Matcher m = command.matcher(Files.readString(f));
                while (m.find()) if (!m.group(1).equals("ies")) names.add(m.group(1));
            }
        }
        assertTrue("the ies subcommands: " + names, names.contains("analyze") && names.contains("context") && names.size() >= 10);
        Pattern literal = Pattern.compile("\"((?:ies )?(?:experiment )?([a-z]+))\"");
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.list(Paths.get("src/main/java/io/github/ies/io"))) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                files++;
                String src = Files.readString(f);
                for (String t : titles) if (src.contains(t)) found.add(f.getFileName() + " names the Fiji command " + t);
                Matcher m = literal.matcher(src);
                while (m.find()) {
                    if (names.contains(m.group(2)) && !NOT_LABELS.contains(f.getFileName() + " " + m.group(1))) found.add(f.getFileName() + " names the ies subcommand \"" + m.group(1) + "\"");
                }
            }
        }
        assertTrue("read the io sources", files > 10);
        assertTrue(String.join("\n", found), found.isEmpty());
    }

    private static void check(Path f, String pkg, String imp, Set<String> allowed, List<String> broken) {
        if (imp.startsWith("io.github.ies.")) {
            String target = imp.substring("io.github.ies.".length()).split("\\.")[0];
            if (!target.equals(pkg) && !allowed.contains(target)) broken.add(f.getFileName() + " (" + pkg + ") imports " + imp);
        }
        boolean ij = imp.startsWith("ij.");
        boolean scijava = imp.startsWith("org.scijava.");
        boolean picocli = imp.startsWith("picocli.");
        if (ij && !(pkg.equals("report") || pkg.equals("fiji"))) broken.add(f.getFileName() + " (" + pkg + ") imports ImageJ: " + imp);
        boolean runsFiji = pkg.equals("cli") && f.endsWith("RunCommand.java");       // ies run: a SciJava context of its own
        if (scijava && !pkg.equals("fiji") && !runsFiji) broken.add(f.getFileName() + " (" + pkg + ") imports SciJava: " + imp);
        if (picocli && !pkg.equals("cli")) broken.add(f.getFileName() + " (" + pkg + ") imports picocli: " + imp);
        if (imp.startsWith("ai.djl.pytorch.jni") && !pkg.equals("model")) broken.add(f.getFileName() + " (" + pkg + ") uses JniUtils: " + imp);
    }
}
