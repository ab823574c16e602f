package io.github.ies.fiji;

import ij.ImagePlus;
import ij.io.FileSaver;
import ij.measure.ResultsTable;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.convert.ConvertService;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.ModuleService;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one of our SciJava commands the way headless Fiji does ({@code --headless --run "Command" 'key="value",...'}),
 * in a headless SciJava context without ImageJ's GUI: image parameters given as file paths are read with our NIfTI
 * reader; other values (optional images included: {@code none}, a title or a path, see {@link OptionalImages}) are
 * converted by SciJava's ConvertService. Used by {@code ies run}.
 */
public final class HeadlessRunner implements AutoCloseable {

    /** A usage problem (unknown command or key, malformed arguments). */
    public static final class UsageException extends IllegalArgumentException {
        public UsageException(String message) {
            super(message);
        }
    }

    private final Context context;
    private final CommandService commands;
    private final ModuleService modules;

    public HeadlessRunner() {
        context = new Context(CommandService.class, ConvertService.class, org.scijava.app.StatusService.class);
        commands = context.service(CommandService.class);
        modules = context.service(ModuleService.class);
    }

    /** Our commands (menu path under Plugins > Instance Saliency), by title. */
    public List<CommandInfo> commands() {
        return commands(commands);
    }

    /** The IES commands a CommandService knows (those with a menu path). */
    static List<CommandInfo> commands(CommandService commands) {
        List<CommandInfo> out = new ArrayList<>();
        for (CommandInfo ci : commands.getCommands()) {
            if (ci.getClassName().startsWith("io.github.ies.") && ci.getMenuPath() != null && !ci.getMenuPath().isEmpty()) out.add(ci);
        }
        return out;
    }

    /** The command named by its menu leaf ("Explain Lesions"), label, or class name (simple or full). */
    public CommandInfo find(String name) {
        CommandInfo ci = find(commands, name);
        if (ci != null) return ci;
        List<String> names = new ArrayList<>();
        for (CommandInfo c : commands()) names.add(c.getMenuPath().getLeaf().getName());
        throw new UsageException("no command '" + name + "' (commands: " + String.join(", ", names) + ")");
    }

    /**
     * The IES command a name means, or null: its menu leaf ("Open NIfTI"), its label ("Open NIfTI (IES)", the title
     * headless Fiji's own {@code --run} matches), its class name (full or simple), any case; underscores may stand for
     * spaces, as in ImageJ 1 command names.
     */
    static CommandInfo find(CommandService commands, String name) {
        if (name == null) return null;
        String n = name.trim();
        String spaced = n.replace('_', ' ');
        for (CommandInfo ci : commands(commands)) {
            String leaf = ci.getMenuPath().getLeaf().getName();
            String cls = ci.getClassName();
            if (leaf.equalsIgnoreCase(n) || leaf.equalsIgnoreCase(spaced) || n.equalsIgnoreCase(ci.getLabel())
                    || spaced.equalsIgnoreCase(ci.getLabel()) || cls.equals(n) || cls.endsWith("." + n)) {
                return ci;
            }
        }
        return null;
    }

    /**
     * Parses a command's arguments in either syntax Fiji uses:
     * <ul>
     * <li>headless Fiji's ({@code --run "Command" 'key="value",...'}): {@code key=value} pairs separated by commas, a
     * value quoted ({@code "..."} or {@code '...'}, backslash escapes a quote) or bare (up to the next comma);</li>
     * <li>the macro recorder's ({@code run("Command", "key=value key2=[a value] ...")}): pairs separated by spaces, a
     * value in brackets ({@code [...]}), quoted, or bare up to the next space (commas belong to the value:
     * {@code methods=smoothgrad-max,gradcampp}); a key alone is {@code true} (a checked box).</li>
     * </ul>
     * The recorder's form is recognised by a key that follows a space rather than a comma, or by a bracketed value.
     */
    public static Map<String, String> parseArgs(String args) {
        if (args == null) return new LinkedHashMap<>();
        return isMacroSyntax(args) ? parseMacro(args) : parseCommas(args);
    }

    private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    /** True when, outside quotes and brackets, a {@code key=} follows white space not preceded by a comma, or a value is bracketed. */
    static boolean isMacroSyntax(String a) {
        int n = a.length();
        char quote = 0;
        char prev = ',';     // the last character outside white space
        boolean gap = false;
        for (int i = 0; i < n; i++) {
            char c = a.charAt(i);
            if (quote != 0) {
                if (c == '\\' && i + 1 < n) i++;
                else if (c == quote) quote = 0;
                continue;
            }
            if (c == '"' || c == '\'') { quote = c; prev = c; gap = false; continue; }
            if (c == '[' && prev == '=') return true;
            if (Character.isWhitespace(c)) { gap = true; continue; }
            if (gap && prev != ',' && prev != '=') {
                java.util.regex.Matcher m = KEY.matcher(a).region(i, n);
                if (m.lookingAt()) {
                    int e = m.end();
                    if (e == n || a.charAt(e) == '=' || Character.isWhitespace(a.charAt(e))) return true;
                }
            }
            gap = false;
            prev = c;
        }
        return false;
    }

    private static Map<String, String> parseMacro(String args) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0, n = args.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(args.charAt(i))) i++;
            if (i >= n) break;
            int k = i;
            while (i < n && args.charAt(i) != '=' && !Character.isWhitespace(args.charAt(i))) i++;
            String key = args.substring(k, i);
            if (!KEY.matcher(key).matches()) throw new UsageException("bad key '" + key + "' in '" + args + "'");
            String value;
            if (i >= n || args.charAt(i) != '=') {
                value = "true";                                   // a key alone: a checked box
            } else {
                i++;
                if (i < n && args.charAt(i) == '[') {
                    int close = args.indexOf(']', i + 1);
                    if (close < 0) throw new UsageException("unterminated [ in the value of '" + key + "'");
                    value = args.substring(i + 1, close);
                    i = close + 1;
                } else if (i < n && (args.charAt(i) == '"' || args.charAt(i) == '\'')) {
                    StringBuilder v = new StringBuilder();
                    i = quoted(args, i, key, v);
                    value = v.toString();
                } else {
                    int e = i;
                    while (e < n && !Character.isWhitespace(args.charAt(e))) e++;
                    value = args.substring(i, e);
                    i = e;
                }
            }
            if (out.containsKey(key)) throw new UsageException("key '" + key + "' given twice");
            out.put(key, value);
        }
        return out;
    }

    /** Reads a quoted value starting at {@code i} (the quote) into {@code v}; returns the index after the closing quote. */
    private static int quoted(String args, int i, String key, StringBuilder v) {
        int n = args.length();
        char q = args.charAt(i++);
        while (i < n) {
            char c = args.charAt(i++);
            if (c == '\\' && i < n && (args.charAt(i) == q || args.charAt(i) == '\\')) {
                v.append(args.charAt(i++));
            } else if (c == q) {
                return i;
            } else {
                v.append(c);
            }
        }
        throw new UsageException("unterminated quote in the value of '" + key + "'");
    }

    private static Map<String, String> parseCommas(String args) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0, n = args.length();
        while (i < n) {
            while (i < n && (args.charAt(i) == ',' || Character.isWhitespace(args.charAt(i)))) i++;
            if (i >= n) break;
            int eq = args.indexOf('=', i);
            if (eq < 0) throw new UsageException("expected key=value at '" + args.substring(i) + "'");
            String key = args.substring(i, eq).trim();
            if (!KEY.matcher(key).matches()) throw new UsageException("bad key '" + key + "' in '" + args + "'");
            i = eq + 1;
            while (i < n && args.charAt(i) == ' ') i++;
            String value;
            if (i < n && (args.charAt(i) == '"' || args.charAt(i) == '\'')) {
                StringBuilder v = new StringBuilder();
                i = quoted(args, i, key, v);
                value = v.toString();
                while (i < n && args.charAt(i) == ' ') i++;
                if (i < n && args.charAt(i) != ',') throw new UsageException("expected ',' after the quoted value of '" + key + "'");
            } else {
                int comma = args.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                value = args.substring(i, end).trim();
                i = end;
            }
            if (out.containsKey(key)) throw new UsageException("key '" + key + "' given twice");
            out.put(key, value);
        }
        return out;
    }

    /**
     * Runs a command with string arguments ({@link #inputs}) through the ModuleService with pre- and post-processing
     * and waits for it (our model commands are DynamicCommands, for which {@code CommandService.run(...)} gives no
     * future).
     */
    public Module run(CommandInfo info, Map<String, String> args) throws Exception {
        return modules.run(info, true, inputs(info, args)).get();
    }

    /**
     * A command's inputs from string arguments: unknown keys are a {@link UsageException} naming the command's keys;
     * image inputs are resolved by {@link ImageInputs#resolve} (an open image's title, a NIfTI file read with IES's
     * reader, another file ImageJ opens; an empty value leaves the input unset); other values stay strings, for
     * SciJava's ConvertService.
     */
    static Map<String, Object> inputs(CommandInfo info, Map<String, String> args) {
        Map<String, Object> inputs = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        for (ModuleItem<?> it : info.inputs()) {
            if (isParameterKey(it)) keys.add(it.getName());
        }
        for (String k : args.keySet()) {
            ModuleItem<?> item = info.getInput(k);
            if (item == null || !isParameterKey(item)) {
                String alias = CLI_NAMES.get(k.toLowerCase(java.util.Locale.ROOT).replace('-', '_'));
                String hint = alias != null && keys.contains(alias) ? "; the command line's --" + k.replace('_', '-') + " is '" + alias + "' here" : "";
                throw new UsageException("'" + info.getMenuPath().getLeaf().getName() + "' has no parameter '" + k + "'" + hint + " (keys: "
                        + String.join(", ", keys) + ")");
            }
        }
        for (Map.Entry<String, String> e : args.entrySet()) {
            ModuleItem<?> item = info.getInput(e.getKey());
            if (ImagePlus.class.isAssignableFrom(item.getType())) {
                if (e.getValue().isBlank()) continue;
                inputs.put(e.getKey(), ImageInputs.resolve(e.getValue(), e.getKey()));
            } else {
                inputs.put(e.getKey(), e.getValue());
            }
        }
        return inputs;
    }

    /**
     * Command-line option names (as {@code key}, dashes as underscores) whose macro key differs, to the macro key: the
     * mapping table of docs/fiji.md, used for hints.
     */
    static final Map<String, String> CLI_NAMES = Map.of("gt", "ground_truth", "min_voxels", "min_size", "context", "saliency_context",
            "out", "output_folder", "input", "flair", "explain_dir", "explain_folders", "bin", "bin_mm");

    private static boolean isParameterKey(ModuleItem<?> it) {
        Class<?> t = it.getType();
        return !(org.scijava.service.Service.class.isAssignableFrom(t) || Context.class.isAssignableFrom(t));
    }

    /**
     * Prints a module's outputs (images described, tables as CSV) and, when {@code saveDir} is not null, saves
     * images as TIFF (hyperstacks keep channels, LUTs and labels) and tables as CSV there.
     */
    public static void report(Module m, PrintWriter out, Path saveDir) throws IOException {
        if (saveDir != null) Files.createDirectories(saveDir);
        Map<String, Object> outputs = new LinkedHashMap<>();
        for (ModuleItem<?> it : m.getInfo().outputs()) outputs.put(it.getName(), m.getOutput(it.getName()));
        outputs.putAll(TableResults.of(m));
        for (Map.Entry<String, Object> o : outputs.entrySet()) {
            Object v = o.getValue();
            String name = o.getKey();
            if (v == null) continue;
            if (v instanceof ImagePlus) {
                ImagePlus imp = (ImagePlus) v;
                out.printf(Locale.ROOT, "%s: image '%s' %dx%d, %d channel(s), %d slice(s), %d frame(s), %d-bit%n", name, imp.getTitle(),
                        imp.getWidth(), imp.getHeight(), imp.getNChannels(), imp.getNSlices(), imp.getNFrames(), imp.getBitDepth());
                if (saveDir != null) {
                    Path f = saveDir.resolve(imp.getTitle().replaceAll("[^A-Za-z0-9._-]+", "_") + ".tif");
                    if (!new FileSaver(imp).saveAsTiff(f.toString())) throw new IOException("cannot write " + f);
                    out.println("  saved " + f);
                }
            } else if (v instanceof ResultsTable) {
                ResultsTable rt = (ResultsTable) v;
                out.printf(Locale.ROOT, "%s: table, %d row(s)%n", name, rt.size());
                String csv = csv(rt);
                out.print(csv);
                if (saveDir != null) {
                    Path f = saveDir.resolve(name + ".csv");
                    Nifti.writeAtomically(f, os -> os.write(csv.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    out.println("  saved " + f);
                }
            } else {
                out.println(name + ": " + v);
            }
        }
        out.flush();
    }

    static String csv(ResultsTable rt) {
        StringBuilder sb = new StringBuilder();
        String[] h = rt.getHeadings();
        sb.append(String.join(",", h)).append('\n');
        for (int r = 0; r < rt.size(); r++) {
            for (int c = 0; c < h.length; c++) {
                if (c > 0) sb.append(',');
                String s = rt.getStringValue(h[c], r);
                double d = rt.getValue(h[c], r);
                if (!Double.isNaN(d)) s = d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
                else if ("NaN".equals(s)) s = "";
                sb.append(s.contains(",") ? '"' + s.replace("\"", "\"\"") + '"' : s);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        context.dispose();
    }
}
