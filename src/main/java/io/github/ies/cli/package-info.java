/**
 * The {@code ies} command line (picocli): thin commands that map their options onto the algorithm packages'
 * settings and print what they return. {@code ies run} executes the Fiji commands headless.
 *
 * <p>May import every other package.
 */
package io.github.ies.cli;
