package io.github.ies.fiji;

import ij.ImagePlus;
import ij.io.FileSaver;
import ij.measure.ResultsTable;
import io.github.ies.io.Nifti;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What a headless run of a command produced, printed (images described, tables as CSV) and optionally saved. */
final class ModuleReport {

    private ModuleReport() {}

    /**
     * Prints a module's outputs (images described, tables as CSV) and, when {@code saveDir} is not null, saves
     * images as TIFF (hyperstacks keep channels, LUTs and labels) and tables as CSV there.
     */
    static void report(Module m, PrintWriter out, Path saveDir) throws IOException {
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
}
