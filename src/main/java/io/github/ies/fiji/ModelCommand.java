package io.github.ies.fiji;

import ij.ImagePlus;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.Segmenter;
import org.scijava.app.StatusService;
import org.scijava.command.DynamicCommand;
import org.scijava.log.LogService;
import org.scijava.module.ModuleItem;
import org.scijava.module.MutableModuleItem;
import org.scijava.plugin.Parameter;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;

/**
 * Base of the commands that run a model on a FLAIR/MPRAGE pair (Segment Lesions, Explain Lesions, Perilesional
 * Context Experiment, Relocate Lesion): the shared inputs (macro keys {@code flair}, {@code mprage}, {@code model};
 * SciJava lists a superclass's parameters first), and one {@link #run()} that does the work with the plugin's class
 * loader as the thread context class loader (DJL finds its engine through it), turns a cancellation or a failure into
 * the command's cancel reason (logged), deletes the scratch folder and clears the status bar.
 *
 * <p>A {@link DynamicCommand}, so that the optional image inputs (String choices: {@value OptionalImages#NONE} or an
 * open image's title, see {@link OptionalImages}) get the titles of the open images as choices when the dialog is
 * built. Consequence for scripts: {@code CommandService.run(...).get()} returns null for a DynamicCommand; scripts
 * use {@code ModuleService.run(commandService.getCommand(cls), false, inputs).get()} (docs/fiji.md).
 */
public abstract class ModelCommand extends DynamicCommand {

    /**
     * The FLAIR image: an open image's title (the dialog lists them, {@link #initInputImages}), or a NIfTI path
     * ({@link ImageInputs#resolve}). A title choice rather than an {@code ImagePlus} input: imagej-legacy fills an image
     * input's list with title wrappers that never equal the command's value, so the dialog could not preselect the
     * right images (docs/fiji.md, "Checked in a real ImageJ2").
     */
    @Parameter(label = "FLAIR", choices = {""}, initializer = INPUT_IMAGES, persist = false)
    protected String flair;

    /** The MPRAGE image, as {@link #flair}. */
    @Parameter(label = "MPRAGE (T1)", choices = {""}, initializer = INPUT_IMAGES, persist = false)
    protected String mprage;

    /** The initializer of {@link #flair} and {@link #mprage}. */
    static final String INPUT_IMAGES = "initInputImages";

    /** {@link #flair} and {@link #mprage} as images, resolved when the command runs. */
    protected ImagePlus flairImage, mprageImage;

    @Parameter(label = "Model bundle (.zip, or ies-model.json in the bundle folder)", style = "open", persist = true)
    protected File model;

    @Parameter(required = false)
    protected StatusService status;

    @Parameter(required = false)
    protected LogService log;

    /**
     * Initializer of the optional image inputs (those declared with {@code initializer = "initImageChoices"}): their
     * choices become {@value OptionalImages#NONE} plus the titles of the open images. Runs before the dialog
     * (SciJava's InitPreprocessor), so the value a macro, script or headless run gave is kept (and stays a choice).
     */
    protected void initImageChoices() {
        for (ModuleItem<?> item : getInfo().inputs()) {
            if (item.getType() != String.class || !OptionalImages.INITIALIZER.equals(item.getInitializer())) continue;
            MutableModuleItem<String> m = getInfo().getMutableInput(item.getName(), String.class);
            Object v = getInput(item.getName());
            m.setChoices(OptionalImages.choices(v == null ? null : v.toString()));
        }
    }

    /**
     * Warnings about the inputs that every model command logs before its work: the orientation and voxel size
     * assumed for an image without NIfTI geometry.
     */
    protected java.util.List<String> inputWarnings() {
        java.util.Map<String, ImagePlus> m = new java.util.LinkedHashMap<>();
        m.put("flair", flairImage);
        m.put("mprage", mprageImage);
        return CommandSupport.assumptions(m);
    }

    /**
     * The files this run reads, which an output folder must neither be nor contain: the model bundle and the files
     * FLAIR, MPRAGE and {@code more} (the optional images given) were read from, where known ({@link ImageInputs}
     * records a NIfTI path; ImageJ's readers their file).
     */
    protected java.util.List<Path> inputFiles(ImagePlus... more) {
        java.util.List<Path> out = new java.util.ArrayList<>();
        out.add(CommandSupport.bundlePath(model));
        java.util.List<ImagePlus> images = new java.util.ArrayList<>(java.util.Arrays.asList(flairImage, mprageImage));
        images.addAll(java.util.Arrays.asList(more));
        for (ImagePlus imp : images) {
            Path p = CommandSupport.sourceFile(imp);
            if (p != null) out.add(p);
        }
        return out;
    }

    /**
     * Initializer of the FLAIR and MPRAGE choices: the titles of the open images (and the given value when it is
     * none of them, e.g. a path); when no value was given and a dialog will show it, the images by name
     * ({@link InputImageDefaults}: never the same image for both).
     */
    protected void initInputImages() {
        String[] titles = ij.WindowManager.getImageTitles();
        String f = blankToNull(flair), m = blankToNull(mprage);
        if ((f == null || m == null) && InputImageDefaults.dialogs.getAsBoolean()) {
            ImagePlus current = ij.WindowManager.getCurrentImage();
            String[] pick = InputImageDefaults.pick(titles, current == null ? null : current.getTitle(), f, m);
            f = pick[0];
            m = pick[1];
        }
        flair = f;
        mprage = m;
        for (String key : new String[] {"flair", "mprage"}) {
            java.util.List<String> choices = new java.util.ArrayList<>(java.util.Arrays.asList(titles));
            String v = key.equals("flair") ? f : m;
            if (v != null && !choices.contains(v)) choices.add(v);
            if (choices.isEmpty()) choices.add("");
            getInfo().getMutableInput(key, String.class).setChoices(choices);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Resolves {@link #flair} and {@link #mprage} into {@link #flairImage} and {@link #mprageImage}. */
    private void resolveInputImages() {
        if (blankToNull(flair) == null) throw new IllegalArgumentException("no image given for 'flair' (an open image's title or a NIfTI path)");
        if (blankToNull(mprage) == null) throw new IllegalArgumentException("no image given for 'mprage' (an open image's title or a NIfTI path)");
        flairImage = ImageInputs.resolve(flair, "flair");
        mprageImage = ImageInputs.resolve(mprage, "mprage");
    }

    /** The command's name, used in status, log and cancel messages. */
    protected abstract String title();

    /** The work; {@code scratch} is an empty temporary folder deleted afterwards. */
    protected abstract void compute(Path scratch) throws Exception;

    /** Shows the results in ImageJ's GUI when it is up (after a successful {@link #compute}). */
    protected void show() {
    }

    @Override
    public final void run() {
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("ies-fiji-");
            Path s = scratch;
            PluginRuntime.withPluginClassLoader(() -> {
                // start PyTorch first: a first run may download its natives (announced with progress), and a missing
                // engine fails here with one line that says what to do
                resolveInputImages();
                io.github.ies.model.TorchRuntime.configure(0, this::note);
                if (log != null) for (String w : inputWarnings()) log.warn(title() + ": " + w);
                compute(s);
                return null;
            });
            show();
        } catch (CancellationException e) {
            cancel(title() + " cancelled");
        } catch (LinkageError e) {
            // a jar missing from Fiji.app/jars (or two versions of one): one line instead of "Module threw error"
            String msg = "a library is missing or clashes (" + e + "); reinstall the update site (docs/fiji.md)";
            Failures.log(log, title() + ": " + msg);
            cancel(title() + ": " + msg);
        } catch (Exception e) {
            String msg = CommandSupport.message(e);
            Failures.log(log, title() + ": " + msg);
            cancel(title() + ": " + msg);
        } finally {
            try {
                io.github.ies.io.OutputFolder.deleteTree(scratch);
            } catch (Exception ignored) {
                // a temporary folder left behind is harmless
            }
            if (status != null) status.clearStatus();
        }
    }

    /** A note for the user while the engine starts (status bar, log, and ImageJ's Log window in the GUI). */
    protected void note(String message) {
        if (status != null) status.showStatus(title() + ": " + message);
        if (log != null) log.info(title() + ": " + message);
        if (PluginRuntime.hasGui()) ij.IJ.log(title() + ": " + message);
    }

    /** The model bundle named by {@code model}. */
    protected ModelBundle loadBundle() throws java.io.IOException {
        return ModelBundle.load(CommandSupport.bundlePath(model));
    }

    /** FLAIR and MPRAGE in the bundle's channel order, checked for a common grid. */
    protected Volume[] channels(ModelBundle bundle) {
        return Segmenter.matchInputs(bundle, CommandSupport.inputs(bundle, flairImage, mprageImage), CommandSupport.sources(bundle, flairImage, mprageImage));
    }

    /** Progress to the status bar / ImageJ progress bar; throws CancellationException once the user cancelled. */
    protected ProgressListener progress() {
        return PluginRuntime.progress(title(), status, this::isCanceled);
    }
}
