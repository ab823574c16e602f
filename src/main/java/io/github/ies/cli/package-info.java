/**
 * The {@code ies} command line (picocli): commands that map their options onto the algorithm packages' and
 * {@code jobs}' settings and print what they return; some still hold work of their own ({@code ies batch} schedules
 * the cohort: workers, markers, resuming). {@code ies run} executes the Fiji commands headless.
 *
 * <p>May import every other package.
 */
package io.github.ies.cli;
