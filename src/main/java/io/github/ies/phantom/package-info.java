/**
 * The synthetic MS brain phantom (FLAIR, MPRAGE, lesions, brain mask, tissues) behind {@code ies phantom}, the demo
 * subject and the training of the demo model.
 *
 * <p>May import {@code io}. Never ImageJ, SciJava or picocli.
 */
package io.github.ies.phantom;
