package io.github.ies.saliency;

import io.github.ies.request.InvalidRequest;

/** What the network sees while one instance is explained (docs/saliency.md, "Contexts"). */
public enum SaliencyContext {
    FULL("full"), PATCH("patch"), LOCAL("local");

    /** The context when none is named. */
    public static final SaliencyContext DEFAULT = PATCH;

    public final String key;

    SaliencyContext(String key) { this.key = key; }

    /** The context of a key (case-insensitive), or null. */
    public static SaliencyContext fromKey(String s) {
        for (SaliencyContext c : values()) if (c.key.equalsIgnoreCase(s.trim())) return c;
        return null;
    }

    /** The one parser of a context, for every interface. @throws InvalidRequest naming the value */
    public static SaliencyContext parse(String s) {
        SaliencyContext c = s == null ? null : fromKey(s);
        if (c == null) throw new InvalidRequest("{context} must be patch, full or local, got '" + s + "'");
        return c;
    }
}
