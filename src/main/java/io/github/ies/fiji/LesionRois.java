package io.github.ies.fiji;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.plugin.filter.ThresholdToSelection;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import io.github.ies.instances.LesionRow;
import io.github.ies.instances.LesionRows;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Every lesion of a table as per-slice contours for the ROI Manager, in the views' coordinates ({@link ViewSpace}):
 * one ROI per view slice that the lesion touches (a composite ROI when the lesion has several pieces on that slice),
 * named with its slice, "lesion 007 (TP) slice 12", group = lesion id (ImageJ allows groups 1..255; larger ids get
 * group 0), property {@value #ID_PROPERTY} = id, and position (channel 0 = all, the slice, frame 1) so that selecting
 * it jumps to its slice of the overview or label image. The pixels inside each ROI are exactly the lesion's voxels on
 * that slice.
 */
public final class LesionRois {

    /** Roi property holding the lesion id. */
    public static final String ID_PROPERTY = "lesion_id";

    private LesionRois() {}

    static {
        // Roi.setGroup colours a ROI from ImageJ's luts/glasbey.lut, printing "LUT not found" on every call where
        // that file is missing (outside Fiji); give it our glasbey-like LUT instead in that case.
        try {
            String dir = ij.IJ.getDir("luts");
            if (dir == null || !new java.io.File(dir, "glasbey.lut").isFile()) {
                java.lang.reflect.Field f = Roi.class.getDeclaredField("glasbeyLut");
                f.setAccessible(true);
                if (f.get(null) == null) f.set(null, Luts.labels());
            }
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // a different ImageJ version: the message is cosmetic
        }
    }

    /** "lesion 007 (TP)", or "lesion 007" without a category (the ids zero-padded as in file names). */
    public static String name(int id, String category) {
        String n = "lesion " + io.github.ies.io.ExplainLayout.paddedId(id);
        return category == null || category.isEmpty() ? n : n + " (" + category + ")";
    }

    /** A ROI's name: the lesion's name and its slice (1-based, as ImageJ counts): "lesion 007 (TP) slice 12". */
    public static String name(int id, String category, int slice) {
        return name(id, category) + " slice " + slice;
    }

    /** ROIs of predicted instances only: {@code labels} (NIfTI order) holds every id of the table. */
    public static List<Roi> build(int[] labels, ViewSpace view, LesionRows table) {
        return build(table, view, category -> labels);
    }

    /**
     * ROIs of every row of {@code table} in {@code view}'s coordinates; {@code labelsFor} gives the label array (NIfTI
     * order) holding an instance of a category (predicted, FN or TN labels: see {@link io.github.ies.io.ExplainLayout#labelFileFor}).
     */
    public static List<Roi> build(LesionRows table, ViewSpace view, Function<String, int[]> labelsFor) {
        List<Roi> out = new ArrayList<>();
        int[] vd = view.viewDims();
        int nx = vd[0], ny = vd[1], nz = vd[2], plane = nx * ny;
        java.util.Map<int[], int[]> inView = new java.util.IdentityHashMap<>();
        for (LesionRow row : table.rows()) {
            int id = row.id();
            String cat = row.category();
            int[] nifti = labelsFor.apply(cat);
            if (nifti == null) continue;
            int[] lab = inView.computeIfAbsent(nifti, view::toView);
            int k0 = 0, k1 = nz - 1;
            if (row.bboxMin() != null && row.bboxMax() != null) {
                // the view slices of the bounding box's corners
                int[] lo = row.bboxMin(), hi = row.bboxMax();
                int za = view.screen(lo)[2], zb = view.screen(hi)[2];
                k0 = Math.max(0, Math.min(za, zb));
                k1 = Math.min(nz - 1, Math.max(za, zb));
            }
            for (int k = k0; k <= k1; k++) {
                ByteProcessor bp = new ByteProcessor(nx, ny);
                byte[] px = (byte[]) bp.getPixels();
                boolean any = false;
                for (int p = 0; p < plane; p++) {
                    if (lab[k * plane + p] == id) {
                        px[p] = (byte) 255;
                        any = true;
                    }
                }
                if (!any) continue;
                bp.setThreshold(255, 255, ImageProcessor.NO_LUT_UPDATE);
                Roi roi = ThresholdToSelection.run(new ImagePlus("", bp));
                if (roi == null) continue;
                roi.setName(name(id, cat, k + 1));
                roi.setGroup(id >= 1 && id <= 255 ? id : 0);
                roi.setProperty(ID_PROPERTY, Integer.toString(id));
                roi.setPosition(0, k + 1, 1);
                out.add(roi);
            }
        }
        return out;
    }

    /** The lesion id of a ROI made by {@link #build}, else parsed from a name "lesion 007 ..."; -1 if neither. */
    public static int idOf(Roi roi) {
        String p = roi.getProperty(ID_PROPERTY);
        if (p != null && !p.isEmpty()) {
            try {
                return Integer.parseInt(p.trim());
            } catch (NumberFormatException ignored) {
                // fall through to the name
            }
        }
        String n = roi.getName();
        if (n != null) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^lesion\\s+0*(\\d+)").matcher(n);
            if (m.find()) return Integer.parseInt(m.group(1));
        }
        return -1;
    }

    /** The slice (0-based k) a ROI belongs to: its z position, else its stack position, else -1 (all slices). */
    public static int sliceOf(Roi roi) {
        if (roi.hasHyperStackPosition()) return roi.getZPosition() - 1;
        int p = roi.getPosition();
        return p > 0 ? p - 1 : -1;
    }

    /**
     * A label volume (NIfTI order) from ROIs drawn on {@code view}'s images, for explaining regions a user drew: a ROI
     * made by {@link #build} (or named "lesion N ...") labels its pixels with N; any other ROI gets a new id (above all
     * known ids), shared by the ROIs of one non-zero group. A ROI without a slice position covers every slice.
     */
    public static int[] toLabels(List<Roi> rois, ViewSpace view) {
        return view.fromView(toViewLabels(rois, view.viewDims()));
    }

    /** {@link #toLabels} in the view's own order (x fastest, then y, then slices). */
    static int[] toViewLabels(List<Roi> rois, int[] dims) {
        int nx = dims[0], ny = dims[1], nz = dims[2], plane = nx * ny;
        int[] lab = new int[plane * nz];
        int next = 0;
        for (Roi r : rois) next = Math.max(next, idOf(r));
        next = Math.max(next, 0) + 1;
        java.util.Map<Integer, Integer> groupIds = new java.util.HashMap<>();
        for (Roi r : rois) {
            int id = idOf(r);
            if (id <= 0) {
                if (r.getGroup() > 0) {
                    Integer g = groupIds.get(r.getGroup());
                    if (g == null) groupIds.put(r.getGroup(), g = next++);
                    id = g;
                } else {
                    id = next++;
                }
            }
            int k = sliceOf(r);
            int from = k < 0 ? 0 : k, to = k < 0 ? nz - 1 : k;
            if (from >= nz) throw new IllegalArgumentException("ROI '" + r.getName() + "' is on slice " + (k + 1) + " of a " + nz + "-slice image");
            for (java.awt.Point pt : r.getContainedPoints()) {
                if (pt.x < 0 || pt.y < 0 || pt.x >= nx || pt.y >= ny) continue;
                for (int z = from; z <= to; z++) lab[z * plane + pt.y * nx + pt.x] = id;
            }
        }
        return lab;
    }
}
