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
        return Map.of(
                "segment", OutputKind.SEGMENT,
                "explain", OutputKind.EXPLAIN,
                "demo", OutputKind.EXPLAIN,
                "batch", OutputKind.BATCH,
                "analyze", OutputKind.ANALYSIS,
                "experiment context", OutputKind.CONTEXT,
                "experiment relocate", OutputKind.RELOCATE,
                "evaluate", OutputKind.EVALUATION);
    }
}
