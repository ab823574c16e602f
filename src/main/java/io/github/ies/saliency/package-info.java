/**
 * The saliency core: instance-level SmoothGrad (max and mean aggregation) and Grad-CAM++ of voxel sets, on a model in
 * memory. {@link io.github.ies.saliency.SaliencyEngine} is the entry; {@link io.github.ies.saliency.SaliencySettings}
 * the one settings object; {@link io.github.ies.saliency.NetworkProbe} (alignment, receptive field),
 * {@code ContextGeometry}, {@code BackendGuard}, {@code ReceptiveFieldCheck}, {@code VjpScheduler},
 * {@code SmoothGradRunner} and {@code GradCamRunner} are its parts. Maps leave as crops
 * ({@link io.github.ies.saliency.LesionMaps}), one lesion at a time.
 *
 * <p>May import {@code io} and {@code model} (the benchmark, {@code SaliencyBenchmark}, lives with the tests and is
 * run by {@code scripts/bench-saliency}). Files, tables and run records are the pipeline's. Never ImageJ, SciJava or picocli.
 */
package io.github.ies.saliency;
