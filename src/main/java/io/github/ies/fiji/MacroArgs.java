package io.github.ies.fiji;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The arguments of a command as Fiji writes them, parsed into key/value pairs ({@link #parse}); a malformed string is a
 * {@link HeadlessRunner.UsageException}. Used by {@code ies run} and headless Fiji's {@code --run} ({@link ConsoleRun}).
 */
public final class MacroArgs {

    private MacroArgs() {}

    /**
     * Parses a command's arguments in either syntax Fiji uses:
     * <ul>
     * <li>headless Fiji's ({@code --run "Command" 'key="value",...'}): {@code key=value} pairs separated by commas, a
     * value quoted ({@code "..."} or {@code '...'}, backslash escapes a quote) or bare (up to the next comma);</li>
     * <li>the macro recorder's ({@code run("Command", "key=value key2=[a value] ...")}): pairs separated by spaces, a
     * value in brackets ({@code [...]}), quoted, or bare up to the next space (commas belong to the value:
     * {@code methods=smoothgrad-max,gradcampp}); a key alone is {@code true} (a checked box).</li>
     * </ul>
     * The recorder's form is recognised by a key that follows a space rather than a comma, or by a bracketed value.
     */
    public static Map<String, String> parse(String args) {
        if (args == null) return new LinkedHashMap<>();
        return isMacroSyntax(args) ? parseMacro(args) : parseCommas(args);
    }

    private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    /** True when, outside quotes and brackets, a {@code key=} follows white space not preceded by a comma, or a value is bracketed. */
    static boolean isMacroSyntax(String a) {
        int n = a.length();
        char quote = 0;
        char prev = ',';     // the last character outside white space
        boolean gap = false;
        for (int i = 0; i < n; i++) {
            char c = a.charAt(i);
            if (quote != 0) {
                if (c == '\\' && i + 1 < n) i++;
                else if (c == quote) quote = 0;
                continue;
            }
            if (c == '"' || c == '\'') { quote = c; prev = c; gap = false; continue; }
            if (c == '[' && prev == '=') return true;
            if (Character.isWhitespace(c)) { gap = true; continue; }
            if (gap && prev != ',' && prev != '=') {
                java.util.regex.Matcher m = KEY.matcher(a).region(i, n);
                if (m.lookingAt()) {
                    int e = m.end();
                    if (e == n || a.charAt(e) == '=' || Character.isWhitespace(a.charAt(e))) return true;
                }
            }
            gap = false;
            prev = c;
        }
        return false;
    }

    private static Map<String, String> parseMacro(String args) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0, n = args.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(args.charAt(i))) i++;
            if (i >= n) break;
            int k = i;
            while (i < n && args.charAt(i) != '=' && !Character.isWhitespace(args.charAt(i))) i++;
            String key = args.substring(k, i);
            if (!KEY.matcher(key).matches()) throw new HeadlessRunner.UsageException("bad key '" + key + "' in '" + args + "'");
            String value;
            if (i >= n || args.charAt(i) != '=') {
                value = "true";                                   // a key alone: a checked box
            } else {
                i++;
                if (i < n && args.charAt(i) == '[') {
                    int close = args.indexOf(']', i + 1);
                    if (close < 0) throw new HeadlessRunner.UsageException("unterminated [ in the value of '" + key + "'");
                    value = args.substring(i + 1, close);
                    i = close + 1;
                } else if (i < n && (args.charAt(i) == '"' || args.charAt(i) == '\'')) {
                    StringBuilder v = new StringBuilder();
                    i = quoted(args, i, key, v);
                    value = v.toString();
                } else {
                    int e = i;
                    while (e < n && !Character.isWhitespace(args.charAt(e))) e++;
                    value = args.substring(i, e);
                    i = e;
                }
            }
            if (out.containsKey(key)) throw new HeadlessRunner.UsageException("key '" + key + "' given twice");
            out.put(key, value);
        }
        return out;
    }

    /** Reads a quoted value starting at {@code i} (the quote) into {@code v}; returns the index after the closing quote. */
    private static int quoted(String args, int i, String key, StringBuilder v) {
        int n = args.length();
        char q = args.charAt(i++);
        while (i < n) {
            char c = args.charAt(i++);
            if (c == '\\' && i < n && (args.charAt(i) == q || args.charAt(i) == '\\')) {
                v.append(args.charAt(i++));
            } else if (c == q) {
                return i;
            } else {
                v.append(c);
            }
        }
        throw new HeadlessRunner.UsageException("unterminated quote in the value of '" + key + "'");
    }

    private static Map<String, String> parseCommas(String args) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0, n = args.length();
        while (i < n) {
            while (i < n && (args.charAt(i) == ',' || Character.isWhitespace(args.charAt(i)))) i++;
            if (i >= n) break;
            int eq = args.indexOf('=', i);
            if (eq < 0) throw new HeadlessRunner.UsageException("expected key=value at '" + args.substring(i) + "'");
            String key = args.substring(i, eq).trim();
            if (!KEY.matcher(key).matches()) throw new HeadlessRunner.UsageException("bad key '" + key + "' in '" + args + "'");
            i = eq + 1;
            while (i < n && args.charAt(i) == ' ') i++;
            String value;
            if (i < n && (args.charAt(i) == '"' || args.charAt(i) == '\'')) {
                StringBuilder v = new StringBuilder();
                i = quoted(args, i, key, v);
                value = v.toString();
                while (i < n && args.charAt(i) == ' ') i++;
                if (i < n && args.charAt(i) != ',') throw new HeadlessRunner.UsageException("expected ',' after the quoted value of '" + key + "'");
            } else {
                int comma = args.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                value = args.substring(i, end).trim();
                i = end;
            }
            if (out.containsKey(key)) throw new HeadlessRunner.UsageException("key '" + key + "' given twice");
            out.put(key, value);
        }
        return out;
    }
}
