package io.github.ies.io;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Child JVMs for the tests that need a second process (locks held by another run, signals, killed parents). */
public final class Jvm {

    private Jvm() {}

    /** A command line running {@code mainClass} with this JVM's class path. */
    public static List<String> command(String mainClass, String... args) {
        List<String> c = new ArrayList<>();
        c.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java"));
        c.add("-Xmx1g");
        c.add("-Dai.djl.offline=true");
        c.add("-Djava.awt.headless=true");
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        c.add(mainClass);
        c.addAll(Arrays.asList(args));
        return c;
    }

    /** Starts {@code mainClass}; standard output and error go to {@code log}. */
    public static Process start(File log, String mainClass, String... args) throws IOException {
        return new ProcessBuilder(command(mainClass, args)).redirectErrorStream(true).redirectOutput(log).start();
    }

    /** Waits until {@code condition} holds, polling; fails with {@code what} after {@code seconds} (a liveness bound, not a timing). */
    public static void await(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("gave up waiting (" + seconds + " s) for: " + what);
            Thread.sleep(50);
        }
    }

    /** Sends a signal (TERM, INT, KILL) to a process. */
    public static void signal(long pid, String sig) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
    }
}
