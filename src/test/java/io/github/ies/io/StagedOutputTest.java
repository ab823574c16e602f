package io.github.ies.io;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class StagedOutputTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static java.util.Set<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).collect(Collectors.toSet());
        }
    }

    @Test
    public void commitMovesEverythingIntoPlaceAndReplacesOldFiles() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("out");
        Files.createDirectories(out.resolve("saliency"));
        Files.writeString(out.resolve("a.txt"), "old");
        Files.writeString(out.resolve("saliency/keep.txt"), "kept");
        try (StagedOutput s = StagedOutput.in(out)) {
            Files.writeString(s.resolve("a.txt"), "new");
            Files.createDirectories(s.resolve("saliency"));
            Files.writeString(s.resolve("saliency/b.txt"), "b");
            assertEquals("nothing visible before commit", "old", Files.readString(out.resolve("a.txt")));
            s.commit();
        }
        assertEquals(java.util.Set.of("a.txt", "saliency/keep.txt", "saliency/b.txt"), names(out));
        assertEquals("new", Files.readString(out.resolve("a.txt")));
        assertFalse(StagedOutput.hasLeftovers(out));
    }

    @Test
    public void failureLeavesNothingBehind() throws Exception {
        Path out = tmp.getRoot().toPath().resolve("out2");
        try (StagedOutput s = StagedOutput.in(out)) {
            Files.writeString(s.resolve("half.txt"), "x");
            assertTrue(StagedOutput.hasLeftovers(out));
            throw new IllegalStateException("cancelled");
        } catch (IllegalStateException expected) {
            // the run failed before commit
        }
        assertEquals(java.util.Set.of(), names(out));
        assertFalse(StagedOutput.hasLeftovers(out));
    }
}
