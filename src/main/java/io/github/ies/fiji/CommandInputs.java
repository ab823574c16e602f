package io.github.ies.fiji;

import ij.ImagePlus;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.module.ModuleItem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's inputs from the string arguments of a headless run ({@code ies run}, headless Fiji's {@code --run}):
 * keys checked, images resolved, other values left to SciJava's converters.
 */
final class CommandInputs {

    private CommandInputs() {}

    /**
     * A command's inputs from string arguments: unknown keys are a {@link HeadlessRunner.UsageException} naming the command's keys;
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
                throw new HeadlessRunner.UsageException("'" + info.getMenuPath().getLeaf().getName() + "' has no parameter '" + k + "'" + hint + " (keys: "
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
}
