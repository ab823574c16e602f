/**
 * Lesion instances: 3D connected components (6/18/26), TP/FP/FN/TN categories, TN spheres, Dice/nDSC and
 * lesion-wise metrics, and the lesion table ({@code lesions.csv}).
 *
 * <p>May import {@code io}. Never ImageJ, SciJava or picocli.
 */
package io.github.ies.instances;
