/**
 * Files and grids: the NIfTI-1/2 codec (strict gzip integrity, header validation like nibabel's), {@link
 * io.github.ies.io.Volume} with its {@link io.github.ies.io.Geometry} (the affine every output keeps), index
 * arithmetic in NIfTI and C order ({@link io.github.ies.io.Grid}), reading inputs with the non-finite policy, the
 * output folder (checked, locked, staged, committed; {@link io.github.ies.io.OutputFolder}), the kinds of run folders
 * the callers give it ({@link io.github.ies.io.OutputKind}) and the names in it ({@link io.github.ies.io.ExplainLayout}).
 * It names no front-end: the command labels that runs write into run.json, and their kinds, are declared by the
 * front-ends ({@link io.github.ies.io.OutputKind.Labels}).
 *
 * <p>Imports nothing from the project: it is the bottom layer.
 */
package io.github.ies.io;
