package io.github.ies.instances;

import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A table as text: named columns, one string per cell: the CSV view of the lesion table ({@link LesionRows#table},
 * whose columns {@link LesionColumns} defines) and of IES's other tables (e.g. {@code ies batch}'s summary). CSV dialect: RFC 4180 (comma separator, CRLF line
 * ends, fields quoted when they contain a comma, quote or line break, quotes doubled), UTF-8, '.' as decimal
 * separator ({@link Locale#ROOT}), an empty field for a missing or undefined (NaN) value.
 */
public final class LesionTable {

    private final List<String> columns;
    private final List<String[]> rows = new ArrayList<>();

    public LesionTable(List<String> columns) {
        if (columns.isEmpty()) throw new IllegalArgumentException("a table needs columns");
        if (columns.size() != columns.stream().distinct().count()) {
            throw new IllegalArgumentException("duplicate column names: " + columns);
        }
        this.columns = new ArrayList<>(columns);
    }

    public List<String> columns() { return Collections.unmodifiableList(columns); }
    public int rowCount() { return rows.size(); }

    public int columnIndex(String name) {
        int c = columns.indexOf(name);
        if (c < 0) throw new IllegalArgumentException("lesion table has no column '" + name + "' (columns: " + columns + ")");
        return c;
    }

    public boolean hasColumn(String name) { return columns.contains(name); }

    /** Appends a row of values (numbers are formatted with {@link #format}); the count must match the columns. */
    public void addRow(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("row has " + values.length + " values, table has " + columns.size() + " columns");
        }
        String[] r = new String[values.length];
        for (int c = 0; c < values.length; c++) r[c] = format(values[c]);
        rows.add(r);
    }

    /** Adds a column (empty in every row) and returns its index; an existing column is kept. */
    public int addColumn(String name) {
        if (columns.contains(name)) return columns.indexOf(name);
        columns.add(name);
        for (int r = 0; r < rows.size(); r++) rows.set(r, Arrays.copyOf(rows.get(r), columns.size()));
        for (String[] row : rows) if (row[row.length - 1] == null) row[row.length - 1] = "";
        return columns.size() - 1;
    }

    public String get(int row, String column) { return rows.get(row)[columnIndex(column)]; }

    /** The value as a double; NaN for an empty field. */
    public double getDouble(int row, String column) {
        String s = get(row, column);
        if (s.isEmpty()) return Double.NaN;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lesion table row " + (row + 1) + " column '" + column + "': not a number: '" + s + "'");
        }
    }

    public int getInt(int row, String column) {
        String s = get(row, column);
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lesion table row " + (row + 1) + " column '" + column + "': not an integer: '" + s + "'");
        }
    }

    public void set(int row, String column, Object value) { rows.get(row)[columnIndex(column)] = format(value); }

    /** The row whose {@code id} column equals id, or -1. */
    public int rowOfId(int id) {
        int c = columnIndex("id");
        String s = Integer.toString(id);
        for (int r = 0; r < rows.size(); r++) if (rows.get(r)[c].equals(s)) return r;
        return -1;
    }

    /**
     * The label file (in an output folder) holding an instance of a category: {@code fn_labels.nii.gz} for FN,
     * {@code tn_spheres.nii.gz} for TN, {@code labels.nii.gz} for predicted instances (TP, FP or no category).
     */
    public static String labelFileFor(String category) {
        return ExplainLayout.labelFileFor(category);
    }

    /** Significant digits of a double in the table (centroids to 1e-4 voxel, probabilities to 1e-6). */
    public static final int SIGNIFICANT_DIGITS = 6;

    /**
     * Text of a value: integers as is; a {@link Float} (a float32 map value, e.g. a saliency peak) as the shortest
     * text that reads back as the same float ({@link Float#toString}); a {@link Double} (a derived quantity: centroid,
     * volume, mean) rounded to {@value #SIGNIFICANT_DIGITS} significant digits ({@link #round}); integral values as
     * {@code 12.0}; NaN and infinities, and null, empty.
     */
    public static String format(Object v) {
        if (v == null) return "";
        if (v instanceof Float) {
            float f = (Float) v;
            if (!Float.isFinite(f)) return "";
            return Float.toString(f);
        }
        if (v instanceof Double) return round((Double) v, SIGNIFICANT_DIGITS);
        return v.toString();
    }

    /**
     * A double rounded to {@code digits} significant digits, without trailing zeros: {@code 50.416666666666664} ->
     * {@code 50.4167}, {@code 3.0} -> {@code 3.0}, {@code 1.23456789e-7} -> {@code 1.23457E-7}; empty for NaN and
     * infinities. Plain notation for magnitudes from 1e-4 to 1e15, scientific otherwise.
     */
    public static String round(double d, int digits) {
        if (!Double.isFinite(d)) return "";
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d) + ".0";
        java.math.BigDecimal b = new java.math.BigDecimal(d).round(new java.math.MathContext(digits, java.math.RoundingMode.HALF_EVEN))
                .stripTrailingZeros();
        double a = Math.abs(d);
        if (a >= 1e-4 && a < 1e15) {
            String s = b.toPlainString();
            return s.contains(".") ? s : s + ".0";
        }
        String m = b.unscaledValue().toString();
        boolean neg = m.startsWith("-");
        if (neg) m = m.substring(1);
        int exp = m.length() - 1 - b.scale();
        String mant = m.length() == 1 ? m + ".0" : m.charAt(0) + "." + m.substring(1);
        return (neg ? "-" : "") + mant + "E" + exp;
    }

    public static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Writes the table atomically (temporary file, then rename). */
    public void write(Path path) throws IOException {
        Nifti.writeAtomically(path, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            writeRow(w, columns.toArray(new String[0]));
            for (String[] r : rows) writeRow(w, r);
            w.flush();
        });
    }

    private static void writeRow(Writer w, String[] fields) throws IOException {
        for (int c = 0; c < fields.length; c++) {
            if (c > 0) w.write(',');
            w.write(quote(fields[c] == null ? "" : fields[c]));
        }
        w.write("\r\n");
    }

    /** Reads a table written by {@link #write} (or any RFC 4180 CSV with a header row). */
    public static LesionTable read(Path path) throws IOException {
        String text = Files.readString(path, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<List<String>> records = parse(text, path);
        if (records.isEmpty()) throw new IOException(path + ": empty CSV file (no header row)");
        LesionTable t = new LesionTable(records.get(0));
        for (int r = 1; r < records.size(); r++) {
            List<String> rec = records.get(r);
            if (rec.size() != t.columns.size()) {
                throw new IOException(path + ": row " + r + " has " + rec.size() + " fields, header has " + t.columns.size());
            }
            t.rows.add(rec.toArray(new String[0]));
        }
        return t;
    }

    static List<List<String>> parse(String text, Path path) throws IOException {
        List<List<String>> out = new ArrayList<>();
        List<String> rec = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int n = text.length(), p = 0;
        boolean any = false;
        while (p < n) {
            char ch = text.charAt(p);
            if (ch == '"' && f.length() == 0) {
                p++;
                while (true) {
                    if (p >= n) throw new IOException(path + ": unterminated quoted field in record " + (out.size() + 1));
                    char q = text.charAt(p++);
                    if (q == '"') {
                        if (p < n && text.charAt(p) == '"') {
                            f.append('"');
                            p++;
                        } else break;
                    } else f.append(q);
                }
                any = true;
                continue;
            }
            if (ch == ',') {
                rec.add(f.toString());
                f.setLength(0);
                any = true;
                p++;
            } else if (ch == '\r' || ch == '\n') {
                if (any || f.length() > 0 || !rec.isEmpty()) {
                    rec.add(f.toString());
                    out.add(rec);
                }
                rec = new ArrayList<>();
                f.setLength(0);
                any = false;
                p += (ch == '\r' && p + 1 < n && text.charAt(p + 1) == '\n') ? 2 : 1;
            } else {
                f.append(ch);
                any = true;
                p++;
            }
        }
        if (any || f.length() > 0 || !rec.isEmpty()) {
            rec.add(f.toString());
            out.add(rec);
        }
        return out;
    }
}
