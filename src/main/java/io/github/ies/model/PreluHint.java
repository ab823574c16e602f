package io.github.ies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Finds the frozen single-parameter PReLUs of a bundle exported before the exporter wrote them as {@code leaky_relu}
 * (docs/model.md, "PReLU as leaky_relu"): libtorch's PReLU backward also computes the slope's gradient, which the
 * saliency engine never uses, so such a bundle is slower than its re-export (same maps bit for bit). The graph is not
 * changed here; {@link #hint} gives one line saying so.
 *
 * <p>How: the TorchScript archive's code ({@code code/__torch__/...py}, read as a zip) declares each submodule
 * attribute with its type ({@code A : __torch__.torch.nn.modules.activation.PReLU}, or
 * {@code __annotations__["0"] = ...PReLU} for numbered children); a parameter of the loaded module whose name ends in
 * {@code <such an attribute>.weight} and that holds one element is a single-parameter PReLU. Per-channel PReLUs (more
 * elements) are not counted: the exporter keeps them.
 */
public final class PreluHint {

    /** The bundle key the exporter writes when it exported the PReLUs as leaky_relu (or found only per-channel ones). */
    public static final String EXPORT_KEY = "prelu_as_leaky_relu";

    private static final Pattern DECLARED = Pattern.compile(
            "(?m)^\\s*(?:(\\w+)\\s*:|__annotations__\\[\"(\\w+)\"\\]\\s*=)\\s*__torch__\\.torch\\.nn\\.modules\\.activation\\.(?:___torch_mangle_\\d+\\.)?PReLU\\s*$");

    private PreluHint() {}

    /** The attribute names declared with a PReLU type in the archive's code (empty when it cannot be read). */
    static Set<String> preluAttributes(java.nio.file.Path modelFile) {
        Set<String> names = new HashSet<>();
        try (ZipFile zip = new ZipFile(modelFile.toFile())) {
            Enumeration<? extends ZipEntry> en = zip.entries();
            while (en.hasMoreElements()) {
                ZipEntry e = en.nextElement();
                String n = e.getName();
                if (e.isDirectory() || !n.endsWith(".py") || !n.contains("/code/")) continue;
                String code;
                try (InputStream in = zip.getInputStream(e)) {
                    code = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                if (!code.contains("PReLU")) continue;
                Matcher m = DECLARED.matcher(code);
                while (m.find()) names.add(m.group(1) != null ? m.group(1) : m.group(2));
            }
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
        return names;
    }

    /** The names of the model's parameters that are single-parameter PReLU slopes (see the class comment). */
    public static List<String> singleParameterPrelus(TorchModel model) {
        Set<String> attrs = preluAttributes(model.bundle().modelFile());
        List<String> out = new ArrayList<>();
        if (attrs.isEmpty()) return out;
        for (Pair<String, Parameter> p : model.block().getParameters()) {
            String name = p.getKey();
            if (!name.endsWith(".weight")) continue;
            String owner = name.substring(0, name.length() - ".weight".length());
            String attr = owner.substring(owner.lastIndexOf('.') + 1);
            NDArray a = p.getValue().getArray();
            if (attrs.contains(attr) && a.getShape().size() == 1) out.add(owner);
        }
        return out;
    }

    /**
     * One line when the model has single-parameter PReLUs and its bundle does not say it was exported with them as
     * leaky_relu; null otherwise.
     */
    public static String hint(TorchModel model) {
        if (model.bundle().json().has(EXPORT_KEY)) return null;
        List<String> prelus = singleParameterPrelus(model);
        if (prelus.isEmpty()) return null;
        return "hint: this bundle runs " + prelus.size() + " single-parameter PReLU(s) as PReLU, whose backward also computes "
                + "an unused slope gradient; re-exported by the current scripts/export_torchscript.py (or the importer that "
                + "made it) they become leaky_relu: the same maps bit for bit, saliency about 15% faster (docs/model.md#prelu-as-leaky_relu)";
    }
}
