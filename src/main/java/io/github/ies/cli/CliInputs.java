package io.github.ies.cli;

import picocli.CommandLine;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses repeated {@code --input NAME=FILE} options, and checks the segmentation options shared by several commands. */
final class CliInputs {

    private CliInputs() {}

    static Map<String, Path> parse(CommandLine cl, List<String> inputs) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String s : inputs) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) throw new CommandLine.ParameterException(cl, "--input must be NAME=FILE, got '" + s + "'");
            String name = s.substring(0, eq).trim();
            for (String k : files.keySet()) {
                if (k.equalsIgnoreCase(name)) throw new CommandLine.ParameterException(cl, "input '" + name + "' given twice");
            }
            files.put(name, Path.of(s.substring(eq + 1)));
        }
        return files;
    }
}
