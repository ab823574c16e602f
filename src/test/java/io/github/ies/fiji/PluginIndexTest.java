package io.github.ies.fiji;

import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The compiler wrote SciJava's plugin index (without it Fiji's menu stays silently empty: JDK 23+ runs no annotation
 * processor found on the class path unless told to, hence {@code <proc>full</proc>} in the POM), and the update-site
 * check flags the updater's name clashes.
 */
public class PluginIndexTest {

    static final List<String> COMMANDS = List.of("ContextExperimentCommand", "ExplainLesionsCommand", "LesionStatisticsCommand",
            "OpenNiftiCommand", "RelocateLesionCommand", "SaveNiftiCommand", "SegmentLesionsCommand");

    @Test
    public void compiledClassesCarryThePluginIndex() throws Exception {
        Path classes = Path.of(ExplainLesionsCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path index = classes.resolve(UpdateSiteCheck.PLUGIN_INDEX);
        assertTrue("no " + index + ": the annotation processor did not run", Files.isRegularFile(index));
        String json = Files.readString(index);
        for (String c : COMMANDS) {
            assertTrue(c + " missing from the plugin index", json.contains("\"class\":\"io.github.ies.fiji." + c + "\""));
        }
        assertTrue(json.contains("\"menuPath\":\"Plugins>Instance Saliency>Explain Lesions\""));
    }

    @Test
    public void updaterNameClashesAreFound() {
        List<String> shipped = List.of("jars/commons-codec.jar", "jars/gson.jar");
        List<String> others = List.of("jars/api.jar");
        assertEquals(List.of(), UpdateSiteCheck.clashes(List.of("jars/ies-fiji-0.1.0-SNAPSHOT.jar", "jars/djl-api-0.36.0.jar",
                "jars/djl-pytorch-jni-2.7.1-0.36.0.jar", "jars/commons-statistics-inference-1.1.jar"), shipped, others));
        List<String> p = UpdateSiteCheck.clashes(List.of("jars/commons-codec-1.17.1.jar", "jars/api-0.36.0.jar", "jars/picocli-4.7.7.jar",
                "jars/picocli-4.7.6.jar"), shipped, others);
        assertEquals(p.toString(), 3, p.size());
        assertTrue(p.get(0), p.get(0).contains("Fiji already ships jars/commons-codec.jar"));
        assertTrue(p.get(1), p.get(1).contains("jars/api.jar"));
        assertTrue(p.get(2), p.get(2).contains("same file jars/picocli.jar"));
    }
}
