package io.github.ies.request;

import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request value that is out of range, said once for every front-end: the message names its settings as
 * {@code {key}} (the macro key, lower_snake_case), and each front-end renders them as it names them: Fiji as the
 * macro key ({@link #getMessage()}), the command line as its option ({@code --min-voxels}, {@link #render}).
 */
public final class InvalidRequest extends IllegalArgumentException {

    private static final Pattern KEY = Pattern.compile("\\{([a-z0-9_]+)\\}");

    private final String template;

    public InvalidRequest(String template) {
        super(render(template, UnaryOperator.identity()));
        this.template = template;
    }

    /** The message with each {@code {key}} replaced by {@code name.apply(key)}. */
    public String render(UnaryOperator<String> name) {
        return render(template, name);
    }

    private static String render(String template, UnaryOperator<String> name) {
        Matcher m = KEY.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(name.apply(m.group(1))));
        m.appendTail(sb);
        return sb.toString();
    }

    /** The command line's name of a key: {@code min_voxels} -> {@code --min-voxels}. */
    public static String option(String key) {
        return "--" + key.replace('_', '-');
    }
}
