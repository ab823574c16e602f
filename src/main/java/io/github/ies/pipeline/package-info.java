/**
 * The runs: segmentation followed by the instance analysis ({@link io.github.ies.pipeline.LesionSegmentation}), the
 * explain pipeline on volumes in memory ({@link io.github.ies.pipeline.ExplainPipeline}, with a caller-owned sink),
 * its file front-end ({@link io.github.ies.pipeline.ExplainJob} with {@link io.github.ies.pipeline.FolderSink}), a
 * segmentation's files ({@link io.github.ies.pipeline.SegmentJob}), the reading of input files and the run record
 * ({@code run.json}).
 *
 * <p>May import {@code io}, {@code geometry}, {@code model}, {@code instances} and {@code saliency}. Never ImageJ,
 * SciJava or picocli.
 */
package io.github.ies.pipeline;
