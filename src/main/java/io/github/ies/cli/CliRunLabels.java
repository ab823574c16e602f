package io.github.ies.cli;

import io.github.ies.io.OutputKind;

import java.util.Map;

/**
 * The command labels the {@code ies} subcommands write into run.json, and the kind of folder each writes: how the io
 * layer tells an earlier run's folder from another kind's ({@link OutputKind#ofLabel}) without naming a front-end.
 */
public final class CliRunLabels implements OutputKind.Labels {

    @Override
    public Map<String, OutputKind> labels() {
        return Map.ofEntries(
                Map.entry("experiment pool", OutputKind.POOL),
                Map.entry("segment", OutputKind.SEGMENT),
                Map.entry("explain", OutputKind.EXPLAIN),
                Map.entry("demo", OutputKind.EXPLAIN),
                Map.entry("batch", OutputKind.BATCH),
                Map.entry("analyze", OutputKind.ANALYSIS),
                Map.entry("experiment context", OutputKind.CONTEXT),
                Map.entry("experiment relocate", OutputKind.RELOCATE),
                Map.entry("evaluate", OutputKind.EVALUATION));
    }
}
