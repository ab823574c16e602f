package io.github.ies.fiji;

import ij.measure.ResultsTable;
import org.scijava.module.Module;

import java.util.Map;

/**
 * The tables an IES command made, by name. They are not SciJava outputs: ImageJ2 has no display for an ImageJ 1
 * {@code ResultsTable} and logs "Ignoring unsupported output" for each at every run. The commands show them
 * themselves in ImageJ's GUI (titled windows) and write them as CSV into their output folder; {@code ies run}
 * prints them, and scripts read them here ({@code module.getDelegateObject().tables()}).
 */
public interface TableResults {

    /** The command's tables in a fixed order (empty before a run; a table absent when it was not made). */
    Map<String, ResultsTable> tables();

    /** The tables of a run module, or an empty map for a command without tables. */
    static Map<String, ResultsTable> of(Module m) {
        Object o = m == null ? null : m.getDelegateObject();
        return o instanceof TableResults ? ((TableResults) o).tables() : Map.of();
    }
}
