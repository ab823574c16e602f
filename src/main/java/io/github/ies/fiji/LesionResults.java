package io.github.ies.fiji;

import ij.measure.ResultsTable;
import io.github.ies.instances.LesionTable;

/** A {@link LesionTable} (the lesions.csv columns) as an ImageJ results table: numbers as numbers, text as text. */
public final class LesionResults {

    /** The title Fiji shows ("Lesions"). */
    public static final String TITLE = "Lesions";

    private LesionResults() {}

    public static ResultsTable toResultsTable(LesionTable t) {
        ResultsTable rt = new ResultsTable();
        rt.showRowNumbers(false);
        for (int r = 0; r < t.rowCount(); r++) {
            rt.incrementCounter();
            for (String c : t.columns()) {
                String s = t.get(r, c);
                if (s == null || s.isEmpty()) {
                    rt.addValue(c, "");                 // an empty cell (e.g. no category without ground truth), not NaN
                    continue;
                }
                double d;
                try {
                    d = Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    rt.addValue(c, s);
                    continue;
                }
                rt.addValue(c, d);
            }
        }
        return rt;
    }
}
