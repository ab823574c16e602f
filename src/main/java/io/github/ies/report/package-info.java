/**
 * Figures (ImageJ's {@code Plot}, rendered headless) and the self-contained HTML report of an explain folder.
 *
 * <p>May import {@code io}, {@code geometry}, {@code instances} and {@code analysis}, and ImageJ 1 for drawing. Never SciJava or
 * picocli.
 */
package io.github.ies.report;
