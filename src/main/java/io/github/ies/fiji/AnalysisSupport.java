package io.github.ies.fiji;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.ResultsTable;
import ij.process.ColorProcessor;
import io.github.ies.analysis.ContextExperiment;
import io.github.ies.io.Volume;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Helpers of the analysis commands: CSV text as results tables, figures as images, the lesion labels of an experiment. */
final class AnalysisSupport {

    private AnalysisSupport() {}

    /**
     * A CSV text (header line, then rows; CRLF or LF; RFC 4180 quotes) as a results table: numbers as numbers, empty
     * cells as NaN, anything else as text. The same text the CLI writes, so table and file agree cell by cell.
     */
    static ResultsTable table(String csv) {
        ResultsTable rt = new ResultsTable();
        rt.showRowNumbers(false);
        String[] lines = csv.split("\r?\n");
        if (lines.length == 0 || lines[0].isEmpty()) return rt;
        List<String> header = split(lines[0]);
        for (int l = 1; l < lines.length; l++) {
            if (lines[l].isEmpty()) continue;
            List<String> cells = split(lines[l]);
            if (cells.size() != header.size()) {
                throw new IllegalStateException("CSV row " + l + " has " + cells.size() + " cells, the header " + header.size());
            }
            rt.incrementCounter();
            for (int c = 0; c < cells.size(); c++) {
                String s = cells.get(c);
                if (s.isEmpty()) {
                    rt.addValue(header.get(c), Double.NaN);
                    continue;
                }
                try {
                    rt.addValue(header.get(c), Double.parseDouble(s));
                } catch (NumberFormatException e) {
                    rt.addValue(header.get(c), s);
                }
            }
        }
        return rt;
    }

    static ResultsTable table(Path csv) throws IOException {
        return table(Files.readString(csv));
    }

    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean q = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (q) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; }
                else if (ch == '"') q = false;
                else cur.append(ch);
            } else if (ch == '"') q = true;
            else if (ch == ',') { out.add(cur.toString()); cur.setLength(0); }
            else cur.append(ch);
        }
        out.add(cur.toString());
        return out;
    }

    /** One figure as an RGB image. */
    static ImagePlus image(String title, BufferedImage img) {
        return new ImagePlus(title, new ColorProcessor(img));
    }

    /** Figures of different sizes as one RGB stack (white padding, slice labels = names); null when there is none. */
    static ImagePlus stack(String title, List<String> names, List<BufferedImage> images) {
        if (images.isEmpty()) return null;
        int w = 0, h = 0;
        for (BufferedImage b : images) { w = Math.max(w, b.getWidth()); h = Math.max(h, b.getHeight()); }
        ImageStack st = new ImageStack(w, h);
        for (int i = 0; i < images.size(); i++) {
            BufferedImage pad = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = pad.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.drawImage(images.get(i), 0, 0, null);
            g.dispose();
            st.addSlice(names.get(i), new ColorProcessor(pad));
        }
        return new ImagePlus(title, st);
    }

    /**
     * The instance labels of an experiment: the label image as given (ids as they are), or the 18-connected
     * components of a binary ground truth numbered as Explain Lesions numbers them ({@link io.github.ies.analysis.ExplainIds}:
     * a segmentation with the bundle's settings); exactly one of the two, on the FLAIR's grid.
     */
    static Volume lesionLabels(ImagePlus groundTruth, ImagePlus labels, Volume[] channels, io.github.ies.model.ModelBundle bundle,
            String device, io.github.ies.model.ProgressListener progress, java.util.List<String> warnings) throws Exception {
        Volume ref = channels[0];
        boolean g = CommandSupport.given(groundTruth), l = CommandSupport.given(labels);
        if (g == l) throw new IllegalArgumentException("give exactly one of ground_truth and labels");
        Volume v = CommandSupport.volume(g ? groundTruth : labels, g ? "ground_truth" : "labels");
        Volume.requireOnGrid(v, g ? "ground_truth '" + groundTruth.getTitle() + "'" : "labels '" + labels.getTitle() + "'", ref, "the FLAIR image");
        return g ? io.github.ies.analysis.ExplainIds.of(bundle, channels, v, null, device, 0, progress, warnings) : v;
    }

    /** Shows a table under a title in ImageJ's GUI, once it is up ({@link PluginRuntime#whenGuiUp}); headless, nothing. */
    static void show(ResultsTable t, String title) {
        if (t != null) PluginRuntime.whenGuiUp(() -> t.show(title));
    }
}
