package io.github.ies.fiji;

import io.github.ies.io.OutputKind;

import java.util.Map;

/**
 * The command labels the Fiji commands write into run.json, and the kind of folder each writes: how the io layer
 * tells an earlier run's folder from another kind's ({@link OutputKind#ofLabel}) without naming a front-end.
 */
public final class FijiRunLabels implements OutputKind.Labels {

    @Override
    public Map<String, OutputKind> labels() {
        return Map.of(
                SegmentLesionsCommand.COMMAND, OutputKind.SEGMENT,
                ExplainLesionsCommand.COMMAND, OutputKind.EXPLAIN,
                LesionStatisticsCommand.TITLE, OutputKind.ANALYSIS,
                ContextExperimentCommand.TITLE_RUN, OutputKind.CONTEXT,
                RelocateLesionCommand.TITLE_RUN, OutputKind.RELOCATE);
    }
}
