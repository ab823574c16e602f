package io.github.ies.saliency;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The explanation methods (paper sections 2.3-2.4), with the keys used on the command line, in macros and in file names. */
public enum Method {
    SMOOTHGRAD_MAX("smoothgrad-max"), SMOOTHGRAD_MEAN("smoothgrad-mean"), GRADCAMPP("gradcampp"),
    CLASS_GRADCAMPP("class-gradcampp");

    public final String key;

    Method(String key) { this.key = key; }

    /** The method of a key (case-insensitive), or null. */
    public static Method fromKey(String s) {
        for (Method m : values()) if (m.key.equalsIgnoreCase(s.trim())) return m;
        return null;
    }

    public boolean smoothGrad() { return this == SMOOTHGRAD_MAX || this == SMOOTHGRAD_MEAN; }

    /**
     * The one parser of a method list, for every interface: keys separated by commas, semicolons or spaces, e.g.
     * {@code "smoothgrad-max,gradcampp"}; "all" for every method.
     *
     * @throws IllegalArgumentException naming the unknown key and the known ones
     */
    /** Every method: the default of every interface ({@link #parseList} reads it). */
    public static final String ALL = "all";

    public static Set<Method> parseList(String text) {
        Set<Method> out = EnumSet.noneOf(Method.class);
        if (text == null || text.isBlank()) throw new IllegalArgumentException("no method given (" + keys() + ")");
        for (String part : text.split("[,;\\s]+")) {
            if (part.isBlank()) continue;
            if (part.trim().equalsIgnoreCase("all")) {
                out.addAll(EnumSet.allOf(Method.class));
                continue;
            }
            Method m = fromKey(part);
            if (m == null) throw new IllegalArgumentException("unknown method '" + part.trim() + "' (expected " + keys() + ")");
            out.add(m);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no method given (" + keys() + ")");
        return out;
    }

    /** "smoothgrad-max, smoothgrad-mean, gradcampp or class-gradcampp". */
    static String keys() {
        StringBuilder sb = new StringBuilder();
        Method[] v = values();
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : i == v.length - 1 ? " or " : ", ").append(v[i].key);
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
