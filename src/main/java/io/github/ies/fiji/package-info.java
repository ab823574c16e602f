/**
 * The Fiji commands (SciJava): commands over ImagePlus inputs that map their parameters (the macro keys) onto
 * the algorithm packages' and {@code jobs}' settings and turn the results into hyperstacks, ROIs and results tables.
 * The computation is the engine's, shared with the command line; the commands still hold work of their own (reading
 * and checking the images, the displays built as maps arrive, cancellation and the output folder's checks).
 *
 * <p>May import every package but {@code cli}.
 */
package io.github.ies.fiji;
