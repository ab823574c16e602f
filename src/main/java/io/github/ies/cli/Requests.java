package io.github.ies.cli;

import io.github.ies.jobs.InvalidRequest;
import picocli.CommandLine;

import java.util.function.Supplier;

/** A job's request checked on the command line: its messages name the settings as options ({@code --min-voxels}). */
final class Requests {

    private Requests() {}

    /** Runs the request's check; a bad value is a usage error (exit 2) in the command line's words. */
    static <T> T validated(CommandLine cl, Supplier<T> validate) {
        try {
            return validate.get();
        } catch (InvalidRequest e) {
            throw new CommandLine.ParameterException(cl, e.render(InvalidRequest::option));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }
}
