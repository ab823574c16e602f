/**
 * The paper's analyses over explain folders: channel contributions, peak statistics (Mann-Whitney U), the
 * perilesional-context and relocated-lesion experiments.
 *
 * <p>May import {@code io}, {@code geometry}, {@code model}, {@code instances}, {@code saliency} and {@code pipeline}. Never ImageJ,
 * SciJava or picocli.
 */
package io.github.ies.analysis;
