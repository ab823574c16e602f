package io.github.ies.fiji;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import ij.plugin.frame.RoiManager;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Small helpers shared by the Fiji commands (input conversion, parameter parsing, showing results in the GUI). */
final class CommandSupport {

    private CommandSupport() {}

    /**
     * Whether an optional image parameter was given: SciJava's pre-processing may fill an optional ImagePlus input
     * with an empty {@code new ImagePlus()}, which counts as absent.
     */
    static boolean given(ImagePlus imp) {
        return imp != null && imp.getWidth() > 0 && imp.getHeight() > 0 && imp.getProcessor() != null;
    }

    /** The volume of an image parameter, with the parameter's macro key in the message when it is not a volume. */
    static Volume volume(ImagePlus imp, String key) {
        if (imp == null) throw new IllegalArgumentException("no image given for '" + key + "'");
        String unreadable = ImageInputs.error(imp);
        if (unreadable != null) throw new IllegalArgumentException(key + ": " + unreadable);
        if (!given(imp)) {
            throw new IllegalArgumentException(key + ": image '" + imp.getTitle() + "' is empty: not an open image's title and not a "
                    + "file ImageJ could read (give an open image or a NIfTI path; IES reads .nii and .nii.gz with their affine)");
        }
        try {
            return VolumeImages.toVolume(imp);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    /** FLAIR and MPRAGE under the bundle's names of its two inputs ({@link InputImageDefaults#bundleInputs}). */
    static Map<String, Volume> inputs(ModelBundle bundle, ImagePlus flair, ImagePlus mprage) {
        String[] names = InputImageDefaults.bundleInputs(bundle.inputs());
        Map<String, Volume> m = new LinkedHashMap<>();
        m.put(names[0], volume(flair, "flair"));
        m.put(names[1], volume(mprage, "mprage"));
        return m;
    }

    /** The file an image was read from, where known; else null. */
    static java.nio.file.Path sourceFile(ImagePlus imp) {
        if (imp == null) return null;
        String src = imp.getProp("ies.source");
        if (src != null && !src.isEmpty()) return java.nio.file.Path.of(src);
        ij.io.FileInfo fi = imp.getOriginalFileInfo();
        if (fi != null && fi.directory != null && !fi.directory.isEmpty() && fi.fileName != null && !fi.fileName.isEmpty()) {
            try {
                return java.nio.file.Path.of(fi.directory, fi.fileName);
            } catch (RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    /** One line per image without NIfTI geometry, saying what is assumed for it ({@link VolumeImages#assumption}). */
    static List<String> assumptions(Map<String, ImagePlus> images) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ImagePlus> e : images.entrySet()) {
            String a = !given(e.getValue()) ? null : VolumeImages.assumption(e.getValue(), e.getKey());
            if (a != null) out.add(a);
        }
        return out;
    }

    /** Where FLAIR and MPRAGE came from (for messages), under the bundle's names of its inputs. */
    static Map<String, String> sources(ModelBundle bundle, ImagePlus flair, ImagePlus mprage) {
        String[] names = InputImageDefaults.bundleInputs(bundle.inputs());
        Map<String, String> m = new LinkedHashMap<>();
        m.put(names[0], "image '" + flair.getTitle() + "'");
        m.put(names[1], "image '" + mprage.getTitle() + "'");
        return m;
    }

    /**
     * The bundle path of the {@code model} parameter: a bundle folder or .zip as is; a file inside a bundle folder
     * (ies-model.json or model.pt, what a file chooser lets one pick) stands for its folder.
     */
    static java.nio.file.Path bundlePath(java.io.File model) {
        if (model == null) throw new IllegalArgumentException("no model bundle given (model=...)");
        return io.github.ies.pipeline.InputFiles.bundlePath(model.toPath());
    }

    /** null for a negative threshold (the bundle's), else the value, which must be in [0, 1]. */
    static Double threshold(double t) {
        return t < 0 ? null : io.github.ies.model.Segmenter.checkThreshold(t);
    }

    /** null for a negative minimum size (the bundle's). */
    static Integer minSize(int v) {
        return v < 0 ? null : v;
    }

    /** null for "model" (the bundle's), else 6, 18 or 26. */
    static Integer connectivity(String s) {
        return io.github.ies.instances.Connectivity.parseOption(s);
    }

    /** "all" (null), or a list of ids "3,7,12" (spaces allowed). "roi-manager" is handled by the caller. */
    static List<Integer> ids(String s) {
        if (s == null || s.isBlank() || s.trim().equalsIgnoreCase("all")) return null;
        List<Integer> ids = new ArrayList<>();
        for (String p : s.split("[,;\\s]+")) {
            if (p.isEmpty()) continue;
            try {
                int id = Integer.parseInt(p);
                if (id < 1) throw new NumberFormatException();
                if (!ids.contains(id)) ids.add(id);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("lesions must be all, roi-manager or a list of positive ids such as 3,7,12; got '" + s + "'");
            }
        }
        if (ids.isEmpty()) throw new IllegalArgumentException("no lesion ids in '" + s + "'");
        return ids;
    }

    /**
     * Shows the table and fills the ROI Manager in ImageJ's GUI, once it is up (a macro given to the launcher runs
     * before it, {@link PluginRuntime#whenGuiUp}); headless, does nothing.
     */
    static void showInGui(ResultsTable table, List<Roi> rois, ImagePlus target) {
        PluginRuntime.whenGuiUp(() -> showNow(table, rois));
    }

    private static void showNow(ResultsTable table, List<Roi> rois) {
        if (table != null) table.show(LesionResults.TITLE);
        if (rois != null && !rois.isEmpty()) {
            RoiManager rm = RoiManager.getRoiManager();
            rm.reset();
            for (Roi r : rois) rm.addRoi((Roi) r.clone());
            rm.runCommand("Associate", "true");
        }
    }

    /** The ROIs selected in the ROI Manager (all of them when none is selected); needs ImageJ's GUI. */
    static List<Roi> roiManagerSelection() {
        RoiManager rm = RoiManager.getInstance();
        if (rm == null || rm.getCount() == 0) {
            throw new IllegalArgumentException("lesions=roi-manager needs ROIs in the ROI Manager (none is open"
                    + (PluginRuntime.hasGui() ? "" : "; headless runs have no ROI Manager: give ids or a label image") + ")");
        }
        Roi[] sel = rm.getSelectedRoisAsArray();
        if (sel == null || sel.length == 0) sel = rm.getRoisAsArray();
        return new ArrayList<>(List.of(sel));
    }

    static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }

    /**
     * The {@code run.json} record of a Fiji command that writes into an output folder, in the same blocks as the
     * command line's ({@link io.github.ies.pipeline.RunRecord}): {@code command} (the menu command) and
     * {@code parameters} (every input parameter of the command under its macro key: images by title, files by path);
     * the job adds the model, environment, result, warnings and seconds.
     */
    static io.github.ies.pipeline.RunRecord runRecord(String command, Object cmd) {
        io.github.ies.pipeline.RunRecord rec = new io.github.ies.pipeline.RunRecord(command, version());
        inputParameters(cmd, rec.parameters());
        return rec;
    }

    /** The saliency parameters of a Fiji command mapped onto {@link io.github.ies.saliency.SaliencySettings} (checked there). */
    static io.github.ies.saliency.SaliencySettings saliencySettings(String methods, int samples, double noiseLevel, long seed, String context) {
        return io.github.ies.saliency.SaliencySettings.builder().methods(io.github.ies.saliency.SaliencyMethods.parseList(methods)).samples(samples)
                .noiseLevel(noiseLevel).seed(seed).context(io.github.ies.saliency.SaliencyContext.parse(context)).build();
    }

    /** Fiji's names of the request keys that are not its macro keys. */
    private static final java.util.Map<String, String> MACRO_KEYS = java.util.Map.of("context", "saliency_context", "explain_dir", "explain_folders");

    /**
     * The one-line message of a failure: a value out of range ({@link io.github.ies.request.InvalidRequest}, found by
     * the request that owns the setting) names it by its macro key.
     */
    static String message(Throwable e) {
        if (e instanceof io.github.ies.request.InvalidRequest) {
            return ((io.github.ies.request.InvalidRequest) e).render(k -> MACRO_KEYS.getOrDefault(k, k));
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** The command's input parameters (fields annotated with SciJava's {@code @Parameter}, not outputs or services). */
    static void inputParameters(Object cmd, com.google.gson.JsonObject into) {
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = cmd.getClass(); c != null && c != Object.class; c = c.getSuperclass()) chain.add(0, c);
        for (Class<?> c : chain) {
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                org.scijava.plugin.Parameter a = f.getAnnotation(org.scijava.plugin.Parameter.class);
                if (a == null || a.type() == org.scijava.ItemIO.OUTPUT) continue;
                Class<?> t = f.getType();
                if (!(t.isPrimitive() || t == String.class || t == java.io.File.class || t == ImagePlus.class || Number.class.isAssignableFrom(t)
                        || t == Boolean.class)) continue;
                try {
                    f.setAccessible(true);
                    Object v = f.get(cmd);
                    if (v == null) into.add(f.getName(), com.google.gson.JsonNull.INSTANCE);
                    else if (v instanceof ImagePlus) into.addProperty(f.getName(), ((ImagePlus) v).getTitle());
                    else if (v instanceof Number) into.addProperty(f.getName(), (Number) v);
                    else if (v instanceof Boolean) into.addProperty(f.getName(), (Boolean) v);
                    else into.addProperty(f.getName(), v.toString());
                } catch (ReflectiveOperationException | RuntimeException e) {
                    into.addProperty(f.getName(), "(not readable: " + e + ")");
                }
            }
        }
    }

    /** The plugin's version as the command line records it: "ies " and the jar's manifest version ("development" from classes). */
    static String version() {
        String v = CommandSupport.class.getPackage() == null ? null : CommandSupport.class.getPackage().getImplementationVersion();
        return "ies " + (v == null ? "development" : v);
    }
}
