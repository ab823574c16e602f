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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.Assert.assertTrue;

/** The import rules of docs/architecture.md, checked on the sources: a wrong import fails here. */
public class ArchitectureTest {

    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("io", Set.of()),
            Map.entry("geometry", Set.of("io")),
            Map.entry("model", Set.of("io", "geometry")),
            Map.entry("instances", Set.of("io")),
            Map.entry("phantom", Set.of("io")),
            Map.entry("saliency", Set.of("io", "model")),
            Map.entry("pipeline", Set.of("io", "geometry", "model", "instances", "saliency")),
            Map.entry("analysis", Set.of("io", "geometry", "model", "instances", "saliency", "pipeline")),
            // the report's figure rows come from the saliency method registry (saliency.SaliencyMethods)
            Map.entry("report", Set.of("io", "geometry", "instances", "saliency", "analysis")),
            Map.entry("jobs", Set.of("io", "geometry", "model", "instances", "saliency", "pipeline", "analysis", "report")),
            Map.entry("fiji", Set.of("io", "geometry", "model", "instances", "phantom", "saliency", "pipeline", "analysis", "report", "jobs")),
            // ies run drives the Fiji commands (fiji.HeadlessRunner) in a SciJava context of its own
            Map.entry("cli", Set.of("io", "geometry", "model", "instances", "phantom", "saliency", "pipeline", "analysis", "report", "jobs", "fiji")));

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
