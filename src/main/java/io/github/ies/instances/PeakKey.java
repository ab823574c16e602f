package io.github.ies.instances;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The map a peak comes from: the method's key as on the command line and in file names ({@code smoothgrad-max},
 * {@code gradcampp}) and the channel's file-name key ({@code flair}, or {@code layer} for a layer map). Its
 * lesions.csv columns are named by {@link LesionColumns}.
 */
public record PeakKey(String method, String channel) {

    /** The channel name of layer maps (Grad-CAM++): a ReLU, never negative. */
    public static final String LAYER = io.github.ies.io.ExplainLayout.LAYER;

    public PeakKey {
        if (method == null || method.isEmpty()) throw new IllegalArgumentException("a peak needs a method");
        if (channel == null) throw new IllegalArgumentException("a peak needs a channel");
    }

    /** {@code <method>_<channel>} with {@code -} as {@code _}: the prefix of the key's lesions.csv columns. */
    public String columnPrefix() {
        return (method + "_" + channel).replace('-', '_');
    }

    /** Whether the map has a negative peak: SmoothGrad maps yes, layer maps (a ReLU) no. */
    public boolean hasNegative() {
        return !LAYER.equals(channel);
    }

    /**
     * The key of a column prefix ({@link #columnPrefix}, which writes {@code -} as {@code _}, so the split needs help):
     * the first of {@code known} (e.g. the keys of a folder's map files) with that prefix; else the longest of
     * {@code methodKeys} whose prefix starts it, the rest the channel; else split at the last {@code _}.
     */
    public static PeakKey ofPrefix(String prefix, Collection<PeakKey> known, Collection<String> methodKeys) {
        for (PeakKey k : known) if (k.columnPrefix().equals(prefix)) return k;
        List<String> ms = methodKeys.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
        for (String m : ms) {
            String mk = m.replace('-', '_') + "_";
            if (prefix.startsWith(mk)) return new PeakKey(m, prefix.substring(mk.length()));
        }
        int u = prefix.lastIndexOf('_');
        return u <= 0 ? new PeakKey(prefix, "") : new PeakKey(prefix.substring(0, u), prefix.substring(u + 1));
    }
}
