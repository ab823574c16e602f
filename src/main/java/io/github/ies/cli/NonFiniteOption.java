package io.github.ies.cli;

import io.github.ies.io.NonFinite;
import picocli.CommandLine;

/** The {@code --non-finite error|zero} option shared by the commands that read images. */
final class NonFiniteOption {

    static final String HELP = "NaN or infinite voxels in the inputs (or in the model's output): error (the default: stop with a "
            + "message) or zero (set them to 0, probability 0 for the output, and warn with their count and channel)";

    private NonFiniteOption() {}

    static NonFinite.Policy parse(CommandLine cl, String value) {
        NonFinite.Policy p = NonFinite.Policy.fromKey(value);
        if (p == null) throw new CommandLine.ParameterException(cl, "--non-finite must be error or zero, got '" + value + "'");
        return p;
    }
}
