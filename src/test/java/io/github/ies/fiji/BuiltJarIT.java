package io.github.ies.fiji;

import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.Assert.assertTrue;

/**
 * Runs after {@code package} (surefire execution "built-jar", phase integration-test, so {@code mvn verify} and
 * {@code scripts/test} run it): the jar Fiji gets carries the plugin index with every command.
 */
public class BuiltJarIT {

    @Test
    public void builtJarCarriesThePluginIndex() throws Exception {
        Path jar = Path.of(System.getProperty("ies.jar"));
        assertTrue("no built jar " + jar, Files.isRegularFile(jar));
        List<String> cmds = UpdateSiteCheck.indexedCommands(jar);
        for (String c : PluginIndexTest.COMMANDS) {
            assertTrue(jar.getFileName() + " lacks " + c + " in " + UpdateSiteCheck.PLUGIN_INDEX + " (found " + cmds + ")",
                    cmds.contains("io.github.ies.fiji." + c));
        }
    }
}
