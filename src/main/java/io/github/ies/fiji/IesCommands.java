package io.github.ies.fiji;

import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;

import java.util.ArrayList;
import java.util.List;

/**
 * The IES commands a SciJava CommandService knows, and the one a name means (for {@code ies run} and headless Fiji's
 * {@code --run}).
 */
final class IesCommands {

    private IesCommands() {}

    /** The IES commands a CommandService knows (those with a menu path). */
    static List<CommandInfo> commands(CommandService commands) {
        List<CommandInfo> out = new ArrayList<>();
        for (CommandInfo ci : commands.getCommands()) {
            if (ci.getClassName().startsWith("io.github.ies.") && ci.getMenuPath() != null && !ci.getMenuPath().isEmpty()) out.add(ci);
        }
        return out;
    }

    /**
     * The IES command a name means, or null: its menu leaf ("Open NIfTI"), its label ("Open NIfTI (IES)", the title
     * headless Fiji's own {@code --run} matches), its class name (full or simple), any case; underscores may stand for
     * spaces, as in ImageJ 1 command names.
     */
    static CommandInfo find(CommandService commands, String name) {
        if (name == null) return null;
        String n = name.trim();
        String spaced = n.replace('_', ' ');
        for (CommandInfo ci : commands(commands)) {
            String leaf = ci.getMenuPath().getLeaf().getName();
            String cls = ci.getClassName();
            if (leaf.equalsIgnoreCase(n) || leaf.equalsIgnoreCase(spaced) || n.equalsIgnoreCase(ci.getLabel())
                    || spaced.equalsIgnoreCase(ci.getLabel()) || cls.equals(n) || cls.endsWith("." + n)) {
                return ci;
            }
        }
        return null;
    }
}
