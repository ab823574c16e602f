package io.github.ies.cli;

import io.github.ies.request.InvalidRequest;
import picocli.CommandLine;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Requests checked on the command line: an {@link InvalidRequest} (a value out of range, found by the request that
 * owns the setting) becomes a usage error (exit 2) naming the settings as this command's options ({@code --min-voxels}).
 */
final class Requests {

    /** Keys whose option is not {@code --key-with-dashes} in every command: the candidates, first found wins. */
    private static final Map<String, List<String>> ALIASES = Map.of(
            "min_size", List.of("--min-size", "--min-voxels"));

    private Requests() {}

    /** Runs the request's check; a bad value is a usage error (exit 2) in the command line's words. */
    static <T> T validated(CommandLine cl, Supplier<T> validate) {
        try {
            return validate.get();
        } catch (InvalidRequest e) {
            throw usageError(cl, e);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());     // a value that does not parse (a method's name)
        }
    }

    /** The usage error of {@code e} in the words of the command {@code cl}. */
    static CommandLine.ParameterException usageError(CommandLine cl, InvalidRequest e) {
        return new CommandLine.ParameterException(cl, e.render(key -> option(cl.getCommandSpec(), key)), e);
    }

    /** The option of {@code key} in {@code spec}: the first alias the command has, else {@code --key-with-dashes}. */
    static String option(CommandLine.Model.CommandSpec spec, String key) {
        for (String name : ALIASES.getOrDefault(key, List.of())) if (spec.findOption(name) != null) return name;
        return InvalidRequest.option(key);
    }
}
