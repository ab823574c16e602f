/**
 * The Fiji commands (SciJava): thin commands over ImagePlus inputs that map their parameters (the macro keys) onto
 * the algorithm packages' settings and turn the results into hyperstacks, ROIs and results tables; no computation of
 * their own.
 *
 * <p>May import every package but {@code cli}.
 */
package io.github.ies.fiji;
