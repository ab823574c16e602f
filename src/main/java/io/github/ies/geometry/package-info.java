/**
 * The grid a network was trained on and the way there and back: {@link io.github.ies.geometry.ModelGeometry} (the
 * bundle's {@code orientation}, {@code spacing}, {@code spacing_tolerance}), {@link io.github.ies.geometry.Orientation}
 * (nibabel's axis codes and orientation transforms), {@link io.github.ies.geometry.Affines} and
 * {@link io.github.ies.geometry.ModelGrid} (MONAI's Orientationd and Spacingd rules to the model grid, and their
 * inverse back to the input's grid), and {@link io.github.ies.geometry.DisplayOrientation} (the one display convention
 * of the report and the Fiji views, its axes named by the same nibabel rule). Imports only {@code io}; see docs/model.md, "Model geometry".
 */
package io.github.ies.geometry;
