package io.github.ies.fiji;

import org.scijava.util.FileUtils;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Checks a Fiji.app overlay before it is installed or uploaded (run by {@code update-site/build.sh}): our jar carries
 * SciJava's plugin index (without it Fiji shows no menu entries, silently), and no file clashes in Fiji's updater,
 * which identifies files by their name without version ({@link FileUtils#stripFilenameVersion}, the updater's own
 * rule): none is a jar Fiji already ships, none takes a name another update site uses for its DJL, no two share a name.
 */
public final class UpdateSiteCheck {

    /** The plugin index entry that SciJava's annotation processor writes. */
    public static final String PLUGIN_INDEX = "META-INF/json/org.scijava.plugin.Plugin";

    private UpdateSiteCheck() {}

    /** Problems of an overlay's file list (paths relative to Fiji.app, '/'-separated); empty when it is fine. */
    public static List<String> clashes(List<String> files, List<String> shippedByFiji, List<String> usedByOthers) {
        List<String> problems = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (String f : files) {
            String id = FileUtils.stripFilenameVersion(f);
            if (shippedByFiji.contains(id)) problems.add(f + ": Fiji already ships " + id + " (do not copy it)");
            if (usedByOthers.contains(id)) problems.add(f + ": the updater names it " + id + ", a name other update sites use for their DJL (rename it)");
            String other = seen.put(id, f);
            if (other != null) problems.add(f + " and " + other + " are the same file " + id + " for the updater");
        }
        return problems;
    }

    /** The command classes listed in a jar's plugin index (empty when the index is missing). */
    public static List<String> indexedCommands(Path jar) throws IOException {
        List<String> out = new ArrayList<>();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            ZipEntry e = z.getEntry(PLUGIN_INDEX);
            if (e == null) return out;
            String json;
            try (InputStream in = z.getInputStream(e)) {
                json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"class\":\"([^\"]+)\"[^{}]*\\{[^{}]*\"type\":\"org\\.scijava\\.command\\.Command\"")
                    .matcher(json);
            while (m.find()) out.add(m.group(1));
        }
        return out;
    }

    /** Usage: {@code UpdateSiteCheck FIJI_APP_OVERLAY FIJI_SHIPS_TXT OUR_JAR_NAME_PREFIX}; exit 1 with the problems. */
    public static void main(String[] args) throws IOException {
        Path app = Path.of(args[0]);
        List<String> shipped = new ArrayList<>(), others = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            String l = line.trim();
            if (l.isEmpty() || l.startsWith("#")) continue;
            if (l.startsWith("!")) others.add(l.substring(1).trim());
            else shipped.add(l);
        }
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(app)) {
            s.filter(Files::isRegularFile).forEach(p -> files.add(app.relativize(p).toString().replace('\\', '/')));
        }
        List<String> problems = clashes(files, shipped, others);
        String prefix = args.length > 2 ? args[2] : "ies-fiji-";
        List<Path> ours = new ArrayList<>();
        try (Stream<Path> s = Files.list(app.resolve("jars"))) {
            s.filter(p -> p.getFileName().toString().startsWith(prefix)).forEach(ours::add);
        }
        if (ours.size() != 1) problems.add("expected one jars/" + prefix + "*.jar, found " + ours.size());
        for (Path j : ours) {
            List<String> cmds = indexedCommands(j);
            if (cmds.isEmpty()) {
                problems.add(j.getFileName() + " has no SciJava plugin index (" + PLUGIN_INDEX + "): Fiji would show no menu entries;"
                        + " the compiler did not run SciJava's annotation processor");
            } else {
                System.out.println(j.getFileName() + ": plugin index lists " + cmds.size() + " commands");
            }
        }
        if (!problems.isEmpty()) {
            for (String p : problems) System.err.println("update site: " + p);
            System.exit(1);
        }
        System.out.println("update site: " + files.size() + " files, no clash with Fiji's jars or other sites' DJL");
    }
}
