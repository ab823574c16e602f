package io.github.ies.cli;

import io.github.ies.jobs.BatchJob;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The worker JVMs of {@code ies batch --jobs N}: this Java with its memory and DJL settings, re-running the same
 * {@code ies batch} command line with {@code --jobs 1 --worker j/N --threads T --parent-pid PID} (the worker stops when
 * this process ends), its output on this process's.
 */
final class BatchWorkers implements BatchJob.WorkerLauncher {

    private final List<String> originalArgs;
    private final List<String> base = new ArrayList<>();
    private final List<String> args = new ArrayList<>();
    private String xmx;

    /** {@code originalArgs}: this command line's arguments as given ({@code batch ...}). */
    BatchWorkers(List<String> originalArgs) {
        this.originalArgs = originalArgs;
    }

    /** The command line of a worker less its worker options, made once (the JVM's arguments are read only when needed). */
    private void prepare() {
        if (!base.isEmpty()) return;
        base.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-Xmx") || a.startsWith("-Dai.djl") || a.startsWith("-Djava.awt.headless")) base.add(a);
            if (a.startsWith("-Xmx")) xmx = a;
        }
        if (System.getProperty("ai.djl.offline") != null && base.stream().noneMatch(a -> a.startsWith("-Dai.djl.offline"))) {
            base.add("-Dai.djl.offline=" + System.getProperty("ai.djl.offline"));
        }
        base.add("-cp");
        base.add(System.getProperty("java.class.path"));
        base.add(IesCli.class.getName());
        for (int k = 0; k < originalArgs.size(); k++) {
            String a = originalArgs.get(k);
            if (a.equals("--jobs") || a.equals("--threads") || a.equals("--parent-pid")) k++;           // replaced below
            else if (!a.startsWith("--jobs=") && !a.startsWith("--threads=") && !a.startsWith("--parent-pid=")) args.add(a);
        }
    }

    @Override
    public Process start(int j, int n, int threads) throws IOException {
        prepare();
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(args);
        cmd.add("--jobs");
        cmd.add("1");
        cmd.add("--worker");
        cmd.add(j + "/" + n);
        cmd.add("--threads");
        cmd.add(Integer.toString(threads));
        cmd.add("--parent-pid");
        cmd.add(Long.toString(ProcessHandle.current().pid()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
    }

    @Override
    public String note() {
        return xmx == null ? "" : " (" + xmx + " each)";
    }
}
