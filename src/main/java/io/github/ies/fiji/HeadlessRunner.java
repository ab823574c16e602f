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
        List<CommandInfo> out = new ArrayList<>();
        for (CommandInfo ci : commands.getCommands()) {
            if (ci.getClassName().startsWith("io.github.ies.") && ci.getMenuPath() != null && !ci.getMenuPath().isEmpty()) out.add(ci);
        }
        return out;
    }

    /** The command named by its menu leaf ("Explain Lesions"), label, or class name (simple or full). */
    public CommandInfo find(String name) {
        String n = name.trim();
        for (CommandInfo ci : commands()) {
            String leaf = ci.getMenuPath().getLeaf().getName();
            String cls = ci.getClassName();
            if (leaf.equalsIgnoreCase(n) || n.equalsIgnoreCase(ci.getLabel()) || cls.equals(n) || cls.endsWith("." + n)) return ci;
        }
        List<String> names = new ArrayList<>();
        for (CommandInfo ci : commands()) names.add(ci.getMenuPath().getLeaf().getName());
        throw new UsageException("no command '" + name + "' (commands: " + String.join(", ", names) + ")");
    }

    /**
     * Parses Fiji's headless argument string: {@code key=value} pairs separated by commas, a value either quoted
     * ({@code "..."} or {@code '...'}, backslash escapes a quote) or bare (up to the next comma).
     */
    public static Map<String, String> parseArgs(String args) {
        Map<String, String> out = new LinkedHashMap<>();
        if (args == null) return out;
        int i = 0, n = args.length();
        while (i < n) {
            while (i < n && (args.charAt(i) == ',' || Character.isWhitespace(args.charAt(i)))) i++;
            if (i >= n) break;
            int eq = args.indexOf('=', i);
            if (eq < 0) throw new UsageException("expected key=value at '" + args.substring(i) + "'");
            String key = args.substring(i, eq).trim();
            if (!key.matches("[A-Za-z_][A-Za-z0-9_.]*")) throw new UsageException("bad key '" + key + "' in '" + args + "'");
            i = eq + 1;
            while (i < n && args.charAt(i) == ' ') i++;
            StringBuilder v = new StringBuilder();
            if (i < n && (args.charAt(i) == '"' || args.charAt(i) == '\'')) {
                char q = args.charAt(i++);
                boolean closed = false;
                while (i < n) {
                    char c = args.charAt(i++);
                    if (c == '\\' && i < n && (args.charAt(i) == q || args.charAt(i) == '\\')) {
                        v.append(args.charAt(i++));
                    } else if (c == q) {
                        closed = true;
                        break;
                    } else {
                        v.append(c);
                    }
                }
                if (!closed) throw new UsageException("unterminated quote in the value of '" + key + "'");
                while (i < n && args.charAt(i) == ' ') i++;
                if (i < n && args.charAt(i) != ',') throw new UsageException("expected ',' after the quoted value of '" + key + "'");
            } else {
                int comma = args.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                v.append(args, i, end);
                i = end;
                String s = v.toString().trim();
                v.setLength(0);
                v.append(s);
            }
            if (out.containsKey(key)) throw new UsageException("key '" + key + "' given twice");
            out.put(key, v.toString());
        }
        return out;
    }

    /**
     * Runs a command with string arguments. Image parameters are read from NIfTI paths; unknown keys are a
     * {@link UsageException} naming the command's keys. Runs through the ModuleService, with pre-processing (our
     * model commands are DynamicCommands, for which {@code CommandService.run(...).get()} gives null).
     */
    public Module run(CommandInfo info, Map<String, String> args) throws Exception {
        Map<String, Object> inputs = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        for (ModuleItem<?> it : info.inputs()) {
            if (isParameterKey(it)) keys.add(it.getName());
        }
        for (String k : args.keySet()) {
            ModuleItem<?> item = info.getInput(k);
            if (item == null || !isParameterKey(item)) {
                throw new UsageException("'" + info.getMenuPath().getLeaf().getName() + "' has no parameter '" + k + "' (keys: "
                        + String.join(", ", keys) + ")");
            }
        }
        for (Map.Entry<String, String> e : args.entrySet()) {
            ModuleItem<?> item = info.getInput(e.getKey());
            if (ImagePlus.class.isAssignableFrom(item.getType())) {
                if (e.getValue().isBlank()) continue;
                Path p = Path.of(e.getValue());
                if (!Files.isRegularFile(p)) throw new IOException(e.getKey() + ": file not found: " + p);
                Volume v = Nifti.read(p);
                inputs.put(e.getKey(), VolumeImages.toImagePlus(v, OpenNiftiCommand.titleOf(p.getFileName().toString())));
            } else {
                inputs.put(e.getKey(), e.getValue());
            }
        }
        return modules.run(info, true, inputs).get();
    }

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
        for (ModuleItem<?> it : m.getInfo().outputs()) {
            Object v = m.getOutput(it.getName());
            if (v == null) continue;
            if (v instanceof ImagePlus) {
                ImagePlus imp = (ImagePlus) v;
                out.printf(Locale.ROOT, "%s: image '%s' %dx%d, %d channel(s), %d slice(s), %d frame(s), %d-bit%n", it.getName(), imp.getTitle(),
                        imp.getWidth(), imp.getHeight(), imp.getNChannels(), imp.getNSlices(), imp.getNFrames(), imp.getBitDepth());
                if (saveDir != null) {
                    Path f = saveDir.resolve(imp.getTitle().replaceAll("[^A-Za-z0-9._-]+", "_") + ".tif");
                    if (!new FileSaver(imp).saveAsTiff(f.toString())) throw new IOException("cannot write " + f);
                    out.println("  saved " + f);
                }
            } else if (v instanceof ResultsTable) {
                ResultsTable rt = (ResultsTable) v;
                out.printf(Locale.ROOT, "%s: table, %d row(s)%n", it.getName(), rt.size());
                String csv = csv(rt);
                out.print(csv);
                if (saveDir != null) {
                    Path f = saveDir.resolve(it.getName() + ".csv");
                    Nifti.writeAtomically(f, os -> os.write(csv.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    out.println("  saved " + f);
                }
            } else {
                out.println(it.getName() + ": " + v);
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
