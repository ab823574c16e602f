package io.github.ies.model;

import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** DJL's offline property is only changed around our own engine start, and start failures are one clear line. */
public class TorchRuntimeTest {

    @Test
    public void offlineOverrideIsRestoredAfterTheWorkAlsoWhenItFails() throws Exception {
        String saved = System.getProperty(TorchRuntime.DJL_OFFLINE);
        try {
            System.clearProperty(TorchRuntime.DJL_OFFLINE);
            String seen = TorchRuntime.withDjlOffline("false", () -> System.getProperty(TorchRuntime.DJL_OFFLINE));
            assertEquals("false", seen);
            assertNull("an absent property stays absent for other plugins", System.getProperty(TorchRuntime.DJL_OFFLINE));

            System.setProperty(TorchRuntime.DJL_OFFLINE, "true");
            try {
                TorchRuntime.withDjlOffline("false", () -> {
                    assertEquals("false", System.getProperty(TorchRuntime.DJL_OFFLINE));
                    throw new IllegalStateException("boom");
                });
                fail();
            } catch (IllegalStateException expected) {
                assertEquals("boom", expected.getMessage());
            }
            assertEquals("a value another plugin or the user set comes back", "true", System.getProperty(TorchRuntime.DJL_OFFLINE));
            assertEquals("x", TorchRuntime.withDjlOffline(null, () -> "x"));
            assertEquals("null mode leaves the property alone", "true", System.getProperty(TorchRuntime.DJL_OFFLINE));
        } finally {
            if (saved == null) System.clearProperty(TorchRuntime.DJL_OFFLINE);
            else System.setProperty(TorchRuntime.DJL_OFFLINE, saved);
        }
    }

    @Test
    public void startingTheEngineLeavesTheProcessWideOfflinePropertyAsItWas() {
        String before = System.getProperty(TorchRuntime.DJL_OFFLINE);
        String override = System.getProperty(TorchRuntime.OFFLINE_OVERRIDE);
        try {
            System.setProperty(TorchRuntime.OFFLINE_OVERRIDE, "true");
            TorchRuntime.configure(1, s -> { });
            assertEquals(before, System.getProperty(TorchRuntime.DJL_OFFLINE));
            assertEquals("the natives come from the pytorch-native jar on the test class path", "class path", TorchRuntime.localNatives());
        } finally {
            if (override == null) System.clearProperty(TorchRuntime.OFFLINE_OVERRIDE);
            else System.setProperty(TorchRuntime.OFFLINE_OVERRIDE, override);
        }
    }

    @Test
    public void platformsAndMessages() {
        assertEquals("linux-x86_64", TorchRuntime.platform("Linux", "amd64"));
        assertEquals("osx-aarch64", TorchRuntime.platform("Mac OS X", "aarch64"));
        assertEquals("win-x86_64", TorchRuntime.platform("Windows 11", "amd64"));
        assertTrue(TorchRuntime.isSupported("linux-aarch64"));
        assertFalse("no pytorch-jni 2.7.1 build for Intel macOS", TorchRuntime.isSupported(TorchRuntime.platform("Mac OS X", "x86_64")));
        assertTrue(TorchRuntime.unsupportedPlatformMessage("osx-x86_64").contains("none for Intel macOS"));

        // DJL's offline refusal, as its LibUtils reports it
        RuntimeException djl = new RuntimeException("Failed to save pytorch index file", new java.io.IOException("Offline mode is enabled."));
        String offline = TorchRuntime.startFailureMessage(false, true, "linux-x86_64", djl);
        assertFalse("one line", offline.contains("\n"));
        assertTrue(offline, offline.contains("DJL is offline") && offline.contains("pytorch-native-cpu-2.7.1-linux-x86_64.jar")
                && offline.contains("Fiji.app/jars") && offline.contains("-Dies.djl.offline=false"));

        RuntimeException net = new RuntimeException("Failed to save pytorch index file", new java.net.UnknownHostException("publish.djl.ai"));
        String online = TorchRuntime.startFailureMessage(false, false, "linux-x86_64", net);
        assertFalse(online.contains("\n"));
        assertTrue(online, online.contains("could not be downloaded") && online.contains("unknown host publish.djl.ai"));

        String noEngine = TorchRuntime.startFailureMessage(true, true, "linux-x86_64", new IllegalArgumentException("Deep learning engine not found: PyTorch"));
        assertTrue(noEngine, noEngine.contains("pytorch-engine"));
    }
}
