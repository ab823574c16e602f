package io.github.ies.fiji;

import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.macro.Interpreter;
import org.scijava.Context;
import org.scijava.ItemVisibility;
import org.scijava.Priority;
import org.scijava.command.Command;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.convert.AbstractConverter;
import org.scijava.convert.ConvertService;
import org.scijava.convert.Converter;
import org.scijava.module.Module;
import org.scijava.module.ModuleException;
import org.scijava.module.ModuleItem;
import org.scijava.module.ModuleService;
import org.scijava.module.process.AbstractPostprocessorPlugin;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.AbstractSingleInputPreprocessor;
import org.scijava.module.process.PostprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.object.ObjectService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.PluginIndex;
import org.scijava.plugin.PluginInfo;
import org.scijava.service.Service;
import org.scijava.widget.Button;
import org.scijava.widget.DefaultWidgetModel;
import org.scijava.widget.InputHarvester;

import java.io.File;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A SciJava context that handles a command's inputs the way Fiji does (imagej-legacy plus scijava-common), as far as
 * it can be reproduced without imagej-legacy, for tests of points 1, 3 and 4 of issue 14. Real scijava-common
 * pre-processors run (services, default values, initializers, loaded inputs, required-input check); the
 * imagej-legacy ones are reproduced from their sources (imagej-legacy 2026-04):
 * <ul>
 * <li>{@code MacroPreprocessor} (priority 2 x VERY_HIGH): in a macro, every input whose key ImageJ 1's real
 * {@link Macro#getValue} finds in the options is converted by the ConvertService and resolved; nothing else is.</li>
 * <li>{@code StringToImagePlusConverter}: a macro value for an ImagePlus is an open image's title (or ID).</li>
 * <li>{@code ActiveImagePlusPreprocessor} (VERY_HIGH + 1, on scijava-common's real
 * {@link AbstractSingleInputPreprocessor}): a single unresolved, auto-fillable ImagePlus input gets the active
 * image.</li>
 * <li>{@code MacroRecorderPreprocessor}/{@code Postprocessor}: outside macros, the inputs still unresolved at VERY_HIGH
 * + 1 are recorded after the run as {@code key=value} (ImagePlus as its title, null values left out, values with
 * spaces in brackets, as ImageJ 1's Recorder writes them).</li>
 * <li>scijava-common's {@code FilePreprocessor} (a single unresolved input that is a File opens a file chooser) and
 * the input harvester (priority VERY_LOW): every other unresolved input makes the dialog open. The dialog's values
 * are those of scijava-common's real {@link DefaultWidgetModel} (an empty ImagePlus shows the first open image, a
 * value that is not a choice shows the first choice), then the simulated user changes the values the test gives and
 * presses OK.</li>
 * </ul>
 * Open images are ImageJ 1 batch-mode images (found by title through {@link WindowManager}, the last one active).
 * While the macro route runs, ImageJ 1 has an interpreter instance ({@code IJ.isMacro()}), as while a real macro runs
 * without ImageJ's window (headless Fiji).
 */
final class LegacyHarness implements AutoCloseable {

    /** What happened to one command run. */
    static final class Outcome {
        Module module;
        /** The inputs shown in a dialog, or null when no dialog opened. */
        List<String> dialog;
        /** The File input a file chooser asked for, or null. */
        String fileChooser;
        /** What the macro recorder wrote for the run (outside macros), e.g. {@code run("Explain Lesions", "...");}. */
        String recorded;

        Object input(String key) {
            return module.getInput(key);
        }

        boolean canceled() {
            return module instanceof org.scijava.Cancelable && ((org.scijava.Cancelable) module).isCanceled();
        }

        String cancelReason() {
            return module instanceof org.scijava.Cancelable ? ((org.scijava.Cancelable) module).getCancelReason() : null;
        }

        boolean quiet() {
            return dialog == null && fileChooser == null;
        }
    }

    /** The state of the emulated Fiji (one run at a time). */
    static final class State {
        String macroOptions;          // non-null while a macro runs
        Map<String, Object> userEdits = new LinkedHashMap<>();
        Outcome outcome;
        Set<String> preResolved = new LinkedHashSet<>();
    }

    static final State STATE = new State();
    private final Context context;
    private final List<ImagePlus> opened = new ArrayList<>();

    LegacyHarness() {
        PluginIndex index = new PluginIndex();
        index.add(plugin(MacroPreprocessor.class, PreprocessorPlugin.class, 2 * Priority.VERY_HIGH));
        index.add(plugin(ActiveImagePlusPreprocessor.class, PreprocessorPlugin.class, Priority.VERY_HIGH + 1));
        index.add(plugin(RecorderPreprocessor.class, PreprocessorPlugin.class, Priority.VERY_HIGH + 1));
        index.add(plugin(FileChooser.class, PreprocessorPlugin.class, InputHarvester.PRIORITY + 0.5));
        index.add(plugin(DialogHarvester.class, PreprocessorPlugin.class, InputHarvester.PRIORITY));
        index.add(plugin(RecorderPostprocessor.class, PostprocessorPlugin.class, Priority.VERY_LOW));
        index.add(plugin(TitleToImagePlus.class, Converter.class, Priority.NORMAL));
        index.add(plugin(ImageTitleToImagePlus.class, Converter.class, Priority.NORMAL));
        List<Class<? extends Service>> services = List.of(CommandService.class, ModuleService.class, ConvertService.class,
                ObjectService.class, org.scijava.app.StatusService.class, org.scijava.thread.ThreadService.class);
        context = new Context(services, index);
        Interpreter.batchMode = true;
        InputImageDefaults.dialogs = () -> true;      // the emulated GUI shows dialogs (the JVM itself is headless)
    }

    private static <P extends org.scijava.plugin.SciJavaPlugin> PluginInfo<P> plugin(Class<? extends P> c, Class<P> type, double priority) {
        PluginInfo<P> info = new PluginInfo<>(c, type);
        info.setPriority(priority);
        return info;
    }

    Context context() {
        return context;
    }

    /** Opens an image (batch mode, becomes the active image) and returns its title. */
    String open(ImagePlus imp) {
        Interpreter.addBatchModeImage(imp);
        WindowManager.setTempCurrentImage(imp);
        opened.add(imp);
        return imp.getTitle();
    }

    /** The menu route: no macro; a dialog opens for what is unresolved, the user changes {@code edits} and presses OK. */
    Outcome menu(Class<? extends Command> command, Map<String, Object> edits) throws Exception {
        return run(info(command), null, edits, null);
    }

    /** {@code run("<leaf>", "<options>")} from a macro. */
    Outcome macro(String leaf, String options) throws Exception {
        CommandInfo info = null;
        for (CommandInfo ci : context.service(CommandService.class).getCommands()) {
            if (ci.getMenuPath() != null && !ci.getMenuPath().isEmpty() && ci.getMenuPath().getLeaf().getName().equals(leaf)
                    && ci.getClassName().startsWith("io.github.ies.")) {
                info = ci;
            }
        }
        if (info == null) throw new IllegalArgumentException("no command '" + leaf + "'");
        return run(info, options, Map.of(), null);
    }

    /** A script's {@code moduleService.run(commandService.getCommand(cls), process, inputs)}. */
    Outcome script(Class<? extends Command> command, boolean process, Map<String, Object> inputs) throws Exception {
        return run(info(command), null, Map.of(), inputs, process);
    }

    private CommandInfo info(Class<? extends Command> command) {
        return context.service(CommandService.class).getCommand(command);
    }

    private Outcome run(CommandInfo info, String macro, Map<String, Object> edits, Map<String, Object> inputs) throws Exception {
        return run(info, macro, edits, inputs, true);
    }

    private synchronized Outcome run(CommandInfo info, String macro, Map<String, Object> edits, Map<String, Object> inputs, boolean process)
            throws Exception {
        Outcome o = new Outcome();
        STATE.macroOptions = macro;
        STATE.userEdits = new LinkedHashMap<>(edits);
        STATE.outcome = o;
        STATE.preResolved = new LinkedHashSet<>();
        // while a macro runs, ImageJ 1 has an interpreter instance (IJ.isMacro() is true): what its macro route
        // runs in, without ImageJ's window as headless Fiji
        Object interpreter = macro != null ? new Interpreter() : null;
        setInterpreterInstance(interpreter);
        try {
            o.module = context.service(ModuleService.class).run(info, process, inputs == null ? null : new LinkedHashMap<>(inputs)).get();
        } finally {
            STATE.macroOptions = null;
            setInterpreterInstance(null);
        }
        return o;
    }

    /**
     * Closes the images that runs registered (a headless macro's command outputs, {@link HeadlessOutputs}) and makes
     * the last image the harness opened the active one again, so that tests do not see each other's outputs.
     */
    void reset() {
        int[] ids = WindowManager.getIDList();
        if (ids != null) {
            for (int id : ids) {
                ImagePlus imp = WindowManager.getImage(id);
                if (imp != null && !opened.contains(imp)) Interpreter.removeBatchModeImage(imp);
            }
        }
        if (!opened.isEmpty()) WindowManager.setTempCurrentImage(opened.get(opened.size() - 1));
    }

    private static void setInterpreterInstance(Object interpreter) throws ReflectiveOperationException {
        java.lang.reflect.Field f = Interpreter.class.getDeclaredField("instance");
        f.setAccessible(true);
        f.set(null, interpreter);
    }

    @Override
    public void close() {
        for (ImagePlus imp : opened) Interpreter.removeBatchModeImage(imp);
        Interpreter.batchMode = false;
        InputImageDefaults.dialogs = () -> !java.awt.GraphicsEnvironment.isHeadless();
        context.dispose();
    }

    static boolean isService(ModuleItem<?> item) {
        return Service.class.isAssignableFrom(item.getType()) || Context.class.isAssignableFrom(item.getType());
    }

    // -- imagej-legacy, reproduced --

    /** imagej-legacy's MacroPreprocessor. */
    public static class MacroPreprocessor extends AbstractPreprocessorPlugin {
        @Parameter
        private ConvertService convertService;

        @Override
        public void process(Module module) {
            String options = STATE.macroOptions;
            if (options == null) return;
            for (ModuleItem<?> input : module.getInfo().inputs()) {
                String name = input.getName();
                Class<?> type = input.getType();
                if (Button.class.equals(type) || ItemVisibility.MESSAGE.equals(input.getVisibility())) {
                    module.resolveInput(name);
                    continue;
                }
                String value = Macro.getValue(options, name, null);
                if (value == null) continue;
                if (!convertService.supports(value, type)) continue;
                module.setInput(name, convertService.convert(value, type));
                module.resolveInput(name);
            }
        }
    }

    /** imagej-legacy's StringToImagePlusConverter: an image ID or an open image's title. */
    public static class TitleToImagePlus extends AbstractConverter<String, ImagePlus> {
        @Override
        public boolean canConvert(Object src, Class<?> dest) {
            return convert(src, dest) != null;
        }

        @Override
        public boolean canConvert(Object src, java.lang.reflect.Type dest) {
            return dest instanceof Class && canConvert(src, (Class<?>) dest);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T convert(Object src, Class<T> dest) {
            if (!(src instanceof String) || dest == null || !dest.isAssignableFrom(ImagePlus.class)) return null;
            String s = (String) src;
            try {
                ImagePlus imp = WindowManager.getImage(Integer.parseInt(s));
                if (imp != null) return (T) imp;
            } catch (NumberFormatException ignored) {
                // a title
            }
            return (T) WindowManager.getImage(s);
        }

        @Override
        public Class<ImagePlus> getOutputType() {
            return ImagePlus.class;
        }

        @Override
        public Class<String> getInputType() {
            return String.class;
        }
    }

    /** imagej-legacy's ImageTitleToImagePlusConverter.ImageTitle: an open image shown by its title (no equals). */
    public static final class ImageTitle {
        final ImagePlus imp;

        ImageTitle(ImagePlus imp) {
            this.imp = imp;
        }

        @Override
        public String toString() {
            return imp.getTitle();
        }
    }

    /** imagej-legacy's ImageTitleToImagePlusConverter: what the dialog's choice converts to. */
    public static class ImageTitleToImagePlus extends AbstractConverter<ImageTitle, ImagePlus> {
        @Override
        @SuppressWarnings("unchecked")
        public <T> T convert(Object src, Class<T> dest) {
            return src instanceof ImageTitle ? (T) ((ImageTitle) src).imp : null;
        }

        @Override
        public Class<ImagePlus> getOutputType() {
            return ImagePlus.class;
        }

        @Override
        public Class<ImageTitle> getInputType() {
            return ImageTitle.class;
        }
    }

    /** imagej-legacy's ActiveImagePlusPreprocessor. */
    public static class ActiveImagePlusPreprocessor extends AbstractSingleInputPreprocessor {
        @Override
        public void process(Module module) {
            ImagePlus imp = WindowManager.getCurrentImage();
            if (imp == null) return;
            String input = getSingleInput(module, ImagePlus.class);
            if (input != null) {
                module.setInput(input, imp);
                module.resolveInput(input);
            }
        }
    }

    /** imagej-legacy's MacroRecorderPreprocessor: the inputs resolved this early are not recorded. */
    public static class RecorderPreprocessor extends AbstractPreprocessorPlugin {
        @Override
        public void process(Module module) {
            if (STATE.macroOptions != null) return;
            for (ModuleItem<?> input : module.getInfo().inputs()) {
                if (module.isInputResolved(input.getName())) STATE.preResolved.add(input.getName());
            }
        }
    }

    /** imagej-legacy's MacroRecorderPostprocessor with ImageJ 1's Recorder.recordOption quoting. */
    public static class RecorderPostprocessor extends AbstractPostprocessorPlugin {
        @Override
        public void process(Module module) {
            if (STATE.macroOptions != null || STATE.outcome == null) return;
            StringBuilder sb = new StringBuilder();
            for (ModuleItem<?> input : module.getInfo().inputs()) {
                String name = input.getName();
                if (STATE.preResolved.contains(name)) continue;
                if (input.getVisibility() == ItemVisibility.INVISIBLE || input.getVisibility() == ItemVisibility.MESSAGE) continue;
                Object value = module.getInput(name);
                if (value == null) continue;
                String s = value instanceof ImagePlus ? ((ImagePlus) value).getTitle() : value.toString();
                if (s.indexOf(' ') >= 0) s = "[" + s + "]";
                if (sb.length() > 0) sb.append(' ');
                sb.append(name.toLowerCase(java.util.Locale.US)).append('=').append(s);
            }
            org.scijava.MenuPath mp = module.getInfo().getMenuPath();
            String leaf = mp != null && mp.getLeaf() != null ? mp.getLeaf().getName() : module.getInfo().getTitle();
            STATE.outcome.recorded = "run(\"" + leaf + "\", \"" + sb + "\");";
        }
    }

    // -- scijava-common's UI pre-processors, as Fiji's GUI runs them --

    /** scijava-common's FilePreprocessor: one unresolved input left, and it is a File: a file chooser opens. */
    public static class FileChooser extends AbstractPreprocessorPlugin {
        @Override
        public void process(Module module) {
            ModuleItem<?> file = null;
            for (ModuleItem<?> input : module.getInfo().inputs()) {
                if (module.isInputResolved(input.getName())) continue;
                if (!File.class.isAssignableFrom(input.getType())) return;
                if (file != null) return;
                file = input;
            }
            if (file == null) return;
            STATE.outcome.fileChooser = file.getName();
            Object chosen = STATE.userEdits.get(file.getName());
            if (chosen == null) {
                cancel("");
                return;
            }
            module.setInput(file.getName(), chosen);
            module.resolveInput(file.getName());
        }
    }

    /**
     * The input harvester: a dialog with every unresolved input, values as scijava-common's DefaultWidgetModel shows
     * them; the simulated user sets the edits and presses OK (every input is then resolved).
     */
    public static class DialogHarvester extends AbstractPreprocessorPlugin {
        @Parameter
        private ObjectService objectService;
        @Parameter
        private ConvertService convertService;

        @Override
        public void process(Module module) {
            List<String> shown = new ArrayList<>();
            List<DefaultWidgetModel> models = new ArrayList<>();
            for (ModuleItem<?> item : module.getInfo().inputs()) {
                if (module.isInputResolved(item.getName())) continue;
                List<Object> pool = objects(item.getType());
                if (ImagePlus.class.isAssignableFrom(item.getType()) && pool.isEmpty()) {
                    if (item.isRequired()) {
                        cancel("An ImagePlus is required but none is available.");
                        return;
                    }
                    continue;
                }
                DefaultWidgetModel m = new DefaultWidgetModel(getContext(), null, module, item, pool);
                m.getValue();   // what the widget shows (and, for objects and choices, sets)
                models.add(m);
                shown.add(item.getName());
            }
            if (shown.isEmpty()) return;
            STATE.outcome.dialog = shown;
            for (DefaultWidgetModel m : models) {
                String name = m.getItem().getName();
                if (STATE.userEdits.containsKey(name)) m.setValue(STATE.userEdits.get(name));
            }
            for (ModuleItem<?> item : module.getInfo().inputs()) module.resolveInput(item.getName());
        }

        private List<Object> objects(Class<?> type) {
            List<Object> out = new ArrayList<>(objectService.getObjects(type));
            if (ImagePlus.class.isAssignableFrom(type)) {
                // imagej-legacy's ImageTitleToImagePlusConverter: the pool holds a title wrapper per open image (no
                // equals), so an ImagePlus value a command set before the dialog is never found in it and the widget
                // shows the first wrapper (seen in ImageJ 2.16 + imagej-legacy 1.2.2; there the pool is a HashSet,
                // any order: here WindowManager's order, so that the tests are repeatable)
                int[] ids = WindowManager.getIDList();
                if (ids != null) for (int id : ids) out.add(new ImageTitle(WindowManager.getImage(id)));
            } else {
                Collection<Object> c = convertService.getCompatibleInputs(type);
                out.addAll(c);
            }
            return out;
        }
    }

    static void require(boolean ok, String message) throws ModuleException {
        if (!ok) throw new ModuleException(message);
    }
}
