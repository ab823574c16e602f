/**
 * The network: model bundles ({@code ies-model.json} + TorchScript), DJL/PyTorch loading, normalisation, MONAI's
 * sliding-window segmentation, and the gradient machinery the saliency core builds on: the
 * {@link io.github.ies.model.Autograd} scope (it, TorchModel, GradientBackend and TorchRuntime are the only places that
 * touch DJL's {@code JniUtils}), the gradient
 * backend self-check ({@link io.github.ies.model.GradientCheck}), libtorch's oneDNN switch and the out-of-memory
 * policy.
 *
 * <p>May import {@code io}. Never ImageJ, SciJava or picocli.
 */
package io.github.ies.model;
