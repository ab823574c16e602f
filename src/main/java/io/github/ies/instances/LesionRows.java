package io.github.ies.instances;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * The lesion table as typed rows ({@link LesionRow}) and the maps whose peaks it has columns for, in order. The
 * analysis builds it ({@link InstanceAnalysis}), the explanation adds the peaks ({@link #addPeakColumns},
 * {@link #setPeak}); lesions.csv ({@link #write}) and the Fiji results table are views of it ({@link #table}), and
 * {@link #read} parses a lesions.csv back into it. Columns by {@link LesionColumns}.
 */
public final class LesionRows {

    /** The peak columns of one map; {@code standardErrors}: also the two {@code _se} columns. */
    public record PeakColumns(PeakKey key, boolean standardErrors) {
        public List<String> names() { return LesionColumns.peakColumns(key, standardErrors); }
    }

    private final List<LesionRow> rows;
    private final List<String> baseColumns;
    private final List<PeakColumns> peakColumns = new ArrayList<>();
    /** The channels of the share columns ({@link LesionColumns#shareColumn}), in order, and each row's shares by id. */
    private final List<String> shareChannels = new ArrayList<>();
    private final java.util.Map<Integer, java.util.Map<String, Double>> shares = new java.util.HashMap<>();

    /** A table of every {@link LesionColumns#BASE} column. */
    public LesionRows(List<LesionRow> rows) {
        this(rows, LesionColumns.BASE);
    }

    private LesionRows(List<LesionRow> rows, List<String> baseColumns) {
        this.rows = new ArrayList<>(rows);
        this.baseColumns = List.copyOf(baseColumns);
    }

    /** A copy of this table (rows and peak columns) with other rows. */
    public LesionRows withRows(List<LesionRow> other) {
        LesionRows t = new LesionRows(other, baseColumns);
        t.peakColumns.addAll(peakColumns);
        t.shareChannels.addAll(shareChannels);
        t.shares.putAll(shares);
        return t;
    }

    public List<LesionRow> rows() { return Collections.unmodifiableList(rows); }
    public int size() { return rows.size(); }
    public LesionRow get(int index) { return rows.get(index); }

    /** The index of the row of an id, or -1. */
    public int indexOf(int id) {
        for (int r = 0; r < rows.size(); r++) if (rows.get(r).id() == id) return r;
        return -1;
    }

    /** The row of an id, or null. */
    public LesionRow byId(int id) {
        int r = indexOf(id);
        return r < 0 ? null : rows.get(r);
    }

    /** The ids, in row order. */
    public List<Integer> ids() {
        List<Integer> out = new ArrayList<>();
        for (LesionRow r : rows) out.add(r.id());
        return out;
    }

    /** Appends a row. */
    public void add(LesionRow row) { rows.add(row); }

    /** Replaces the row at an index. */
    public void set(int index, LesionRow row) { rows.set(index, row); }

    public List<PeakColumns> peakColumns() { return Collections.unmodifiableList(peakColumns); }

    /** The maps with peak columns, in column order. */
    public List<PeakKey> peakKeys() {
        List<PeakKey> out = new ArrayList<>();
        for (PeakColumns p : peakColumns) out.add(p.key());
        return out;
    }

    /** Adds a map's peak columns (empty in every row until set); an existing one is kept (its errors added when asked). */
    public void addPeakColumns(PeakKey key, boolean standardErrors) {
        for (int i = 0; i < peakColumns.size(); i++) {
            if (peakColumns.get(i).key().equals(key)) {
                if (standardErrors && !peakColumns.get(i).standardErrors()) peakColumns.set(i, new PeakColumns(key, true));
                return;
            }
        }
        peakColumns.add(new PeakColumns(key, standardErrors));
    }

    /** Sets the peak of a map in the row of an id. */
    public void setPeak(int id, PeakKey key, Peak peak) {
        int r = indexOf(id);
        if (r < 0) throw new IllegalArgumentException("no instance with id " + id);
        rows.set(r, rows.get(r).withPeak(key, peak));
    }

    /** Adds the channel-share columns of these channels (empty in every row until set; {@link LesionColumns#shareColumn}). */
    public void addShareColumns(List<String> channels) {
        for (String c : channels) if (!shareChannels.contains(c)) shareChannels.add(c);
    }

    /** Sets a row's channel shares (channel -> share; NaN: undefined). */
    public void setShares(int id, java.util.Map<String, Double> byChannel) {
        if (indexOf(id) < 0) throw new IllegalArgumentException("no instance with id " + id);
        shares.put(id, new java.util.LinkedHashMap<>(byChannel));
    }

    /** A row's share of a channel, NaN when not set. */
    public double share(int id, String channel) {
        java.util.Map<String, Double> s = shares.get(id);
        Double v = s == null ? null : s.get(channel);
        return v == null ? Double.NaN : v;
    }

    /** The column names, in order. */
    public List<String> columns() {
        List<String> c = new ArrayList<>(baseColumns);
        for (PeakColumns p : peakColumns) c.addAll(p.names());
        for (String ch : shareChannels) c.add(LesionColumns.shareColumn(ch));
        return c;
    }

    /** The text view: one cell per column as lesions.csv writes it. */
    public LesionTable table() {
        LesionTable t = new LesionTable(columns());
        for (LesionRow r : rows) {
            List<Object> v = new ArrayList<>();
            for (String c : baseColumns) v.add(LesionColumns.value(r, c));
            for (PeakColumns pc : peakColumns) {
                Peak p = r.peak(pc.key());
                v.add(p == null ? null : p.pos());
                if (pc.key().hasNegative()) v.add(p == null ? null : p.neg());
                if (pc.standardErrors()) {
                    v.add(p == null ? null : p.posSe());
                    v.add(p == null ? null : p.negSe());
                }
            }
            for (String ch : shareChannels) {
                double sh = share(r.id(), ch);
                v.add(Double.isNaN(sh) ? null : sh);
            }
            t.addRow(v.toArray());
        }
        return t;
    }

    /** Writes lesions.csv (atomically; {@link LesionTable#write}). */
    public void write(Path path) throws IOException {
        table().write(path);
    }

    /** Reads a lesions.csv ({@link #of}). */
    public static LesionRows read(Path path, Collection<PeakKey> knownMaps, Collection<String> methodKeys) throws IOException {
        try {
            return of(LesionTable.read(path), knownMaps, methodKeys);
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /**
     * The typed rows of a table's text: a lesions.csv read back. The {@code id} column is required; base columns it
     * lacks stay undefined (and out of {@link #columns}); peak columns are split into method and channel by
     * {@link PeakKey#ofPrefix} ({@code knownMaps}: e.g. the keys of the folder's map files); other columns are left out.
     * A row without any defined value of a map has no peak of it.
     */
    public static LesionRows of(LesionTable t, Collection<PeakKey> knownMaps, Collection<String> methodKeys) {
        if (!t.hasColumn(LesionColumns.ID)) throw new IllegalArgumentException("the lesion table has no '" + LesionColumns.ID + "' column");
        List<String> base = new ArrayList<>();
        for (String c : LesionColumns.BASE) if (t.hasColumn(c)) base.add(c);
        LesionRows out = new LesionRows(List.of(), base);
        List<PeakKey> keys = new ArrayList<>();
        for (String c : t.columns()) {
            LesionColumns.ParsedPeak pp = LesionColumns.parsePeak(c);
            if (pp == null) continue;
            PeakKey k = null;
            for (PeakKey have : keys) if (have.columnPrefix().equals(pp.prefix())) k = have;
            if (k == null) {
                k = PeakKey.ofPrefix(pp.prefix(), knownMaps, methodKeys);
                keys.add(k);
            }
            out.addPeakColumns(k, pp.standardError());
        }
        List<String> shareChannels = new ArrayList<>();
        for (String c : t.columns()) {
            if (LesionColumns.isShare(c)) shareChannels.add(c.substring("smoothgrad_max_".length(), c.length() - "_share".length()));
        }
        out.addShareColumns(shareChannels);
        for (int r = 0; r < t.rowCount(); r++) {
            int id = t.getInt(r, LesionColumns.ID);
            String cat = t.hasColumn(LesionColumns.CATEGORY) ? t.get(r, LesionColumns.CATEGORY) : "";
            int voxels = t.hasColumn(LesionColumns.VOXELS) && !t.get(r, LesionColumns.VOXELS).isEmpty() ? t.getInt(r, LesionColumns.VOXELS) : -1;
            List<PeakKey> ks = out.peakKeys();
            java.util.Map<PeakKey, Peak> peaks = new java.util.LinkedHashMap<>();
            for (PeakKey k : ks) {
                float pos = cell(t, r, LesionColumns.peakColumn(k, true, false)), neg = cell(t, r, LesionColumns.peakColumn(k, false, false));
                float posSe = cell(t, r, LesionColumns.peakColumn(k, true, true)), negSe = cell(t, r, LesionColumns.peakColumn(k, false, true));
                if (!(Float.isNaN(pos) && Float.isNaN(neg) && Float.isNaN(posSe) && Float.isNaN(negSe))) peaks.put(k, new Peak(pos, neg, posSe, negSe));
            }
            out.rows.add(new LesionRow(id, cat, voxels, number(t, r, LesionColumns.VOLUME), doubles(t, r, LesionColumns.CENTROID_VOXEL),
                    doubles(t, r, LesionColumns.CENTROID_WORLD), ints(t, r, LesionColumns.BBOX_MIN), ints(t, r, LesionColumns.BBOX_MAX),
                    number(t, r, LesionColumns.MEAN_PROBABILITY), cell(t, r, LesionColumns.MAX_PROBABILITY), false, peaks));
            if (!shareChannels.isEmpty()) {
                java.util.Map<String, Double> sh = new java.util.LinkedHashMap<>();
                for (String ch : shareChannels) sh.put(ch, number(t, r, LesionColumns.shareColumn(ch)));
                out.shares.put(id, sh);
            }
        }
        return out;
    }

    private static double number(LesionTable t, int r, String c) {
        return t.hasColumn(c) ? t.getDouble(r, c) : Double.NaN;
    }

    /** A float32 cell read as a float (not through a double, which could round twice). */
    private static float cell(LesionTable t, int r, String c) {
        if (!t.hasColumn(c) || t.get(r, c).isEmpty()) return Float.NaN;
        try {
            return Float.parseFloat(t.get(r, c));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lesion table row " + (r + 1) + " column '" + c + "': not a number: '" + t.get(r, c) + "'");
        }
    }

    private static double[] doubles(LesionTable t, int r, List<String> cs) {
        for (String c : cs) if (!t.hasColumn(c)) return null;
        return new double[] {t.getDouble(r, cs.get(0)), t.getDouble(r, cs.get(1)), t.getDouble(r, cs.get(2))};
    }

    private static int[] ints(LesionTable t, int r, List<String> cs) {
        for (String c : cs) if (!t.hasColumn(c) || t.get(r, c).isEmpty()) return null;
        return new int[] {t.getInt(r, cs.get(0)), t.getInt(r, cs.get(1)), t.getInt(r, cs.get(2))};
    }
}
